"""What the app met in its environment, broken for real on the real engine.

Each test makes a container fail the way users' containers fail (an env var nobody set, a
non-root user and a root-owned directory, --read-only, a full tmpfs, a port someone else
holds, a bind mount of the wrong type, no DNS, nothing listening, a typo in nginx.conf)
and asserts on what `doctor inspect` says about it.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import textwrap
import uuid
from pathlib import Path
from typing import Any

import docker
import pytest
from docker.types import Mount

from tests.conftest import BUSYBOX, LABEL, PYTHON, RUN_ID, doctor

UNBUFFERED = {"PYTHONUNBUFFERED": "1"}
NODE = "/usr/bin/node"  # the host's Node 20, dynamically linked against the Debian image's libc


def app_dir(tmp_path: Path, files: dict[str, str], name: str = "app") -> str:
    """Host directory with the app's files, to bind-mount read-only at /app."""
    d = tmp_path / name
    d.mkdir()
    os.chmod(d, 0o755)
    for fname, content in files.items():
        p = d / fname
        p.write_text(textwrap.dedent(content))
        os.chmod(p, 0o644)
    return str(d)


def mount_app(path: str) -> dict[str, dict[str, str]]:
    return {path: {"bind": "/app", "mode": "ro"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _remove_network(client: Any, net: Any) -> None:
    """Remove a test network, first removing this run's containers still attached to it."""
    try:
        net.reload()
        for cid in (net.attrs.get("Containers") or {}):
            c = client.containers.get(cid)
            if c.labels.get(LABEL) == RUN_ID:
                c.remove(force=True, v=True)
        net.remove()
    except docker.errors.NotFound:
        pass


@pytest.fixture(scope="module", autouse=True)
def _sweep_networks(docker_client: Any) -> Any:
    """Label-aware cleanup for networks, which the shared harness does not know about."""
    yield
    for net in docker_client.networks.list(filters={"label": f"{LABEL}={RUN_ID}"}):
        _remove_network(docker_client, net)


@pytest.fixture
def user_network(docker_client: Any) -> Any:
    """A labelled user-defined bridge network, internal: nothing on it reaches beyond the
    host, so even the embedded DNS server's forwarded queries stay on this machine."""
    net = docker_client.networks.create(
        f"dd-test-{uuid.uuid4().hex[:8]}", driver="bridge", internal=True,
        labels={LABEL: RUN_ID},
    )
    yield net
    _remove_network(docker_client, net)


# --- missing-env ---------------------------------------------------------------------

WORKER = """\
    import os
    import time


    def connect():
        url = os.environ["DATABASE_URL"]
        print("connecting to", url.split("@")[-1])
        return url


    def main():
        print("worker: starting")
        connect()
        while True:
            time.sleep(5)


    main()
    """


def test_python_worker_without_database_url(lab, tmp_path):
    app = app_dir(tmp_path, {"worker.py": WORKER})
    c = lab.run(PYTHON, ["python3", "/app/worker.py"], volumes=mount_app(app),
                environment=UNBUFFERED)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c, "--fail-on", "error")
    assert r.verdict == "missing-env", r.text
    f = r.finding("missing-env")
    assert "DATABASE_URL" in f["title"]
    assert "not set" in f["title"]
    ev = r.evidence_text("missing-env")
    assert "KeyError: 'DATABASE_URL'" in ev
    assert "Config.Env: DATABASE_URL is not set" in ev
    # the traceback is still reported, as context
    assert "python-exception" in r.ids
    assert r.text.splitlines()[0].startswith("✖ ERROR ")
    assert r.text.splitlines()[0].endswith(
        "Required environment variable DATABASE_URL is not set [missing-env]")
    assert r.exit_code == 5  # --fail-on error


ENTRYPOINT_BUSYBOX = """\
    #!/bin/sh
    set -eu
    : "${API_TOKEN:?API_TOKEN is not set}"
    echo "starting sync with token of ${#API_TOKEN} chars"
    exec sleep 300
    """


def test_shell_entrypoint_requires_api_token(lab):
    image = lab.build(
        f'FROM {BUSYBOX}\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\n',
        files={"entrypoint.sh": (textwrap.dedent(ENTRYPOINT_BUSYBOX), 0o755)},
    )
    c = lab.run(image, environment={"SYNC_INTERVAL": "60"})
    assert c.attrs["State"]["ExitCode"] == 2  # ash's exit code for a failed ${X:?}
    r = lab.inspect(c)
    assert r.verdict == "missing-env", r.text
    f = r.finding("missing-env")
    assert "API_TOKEN" in f["title"]
    ev = r.evidence_text("missing-env")
    assert "API_TOKEN is not set" in ev
    assert "Config.Env: API_TOKEN is not set" in ev


DEFAULT_MESSAGE = 'echo "starting sync"; : "${API_TOKEN:?}"; exec sleep 300'


@pytest.mark.parametrize("shell, expected_exit, message", [
    # dash (Debian's /bin/sh): `sh: 1: API_TOKEN: parameter not set or null`, exit 2
    ("sh", 2, "sh: 1: API_TOKEN: parameter not set or null"),
    # bash: `bash: line 1: API_TOKEN: parameter null or not set`, and exit 127
    ("bash", 127, "bash: line 1: API_TOKEN: parameter null or not set"),
])
def test_entrypoint_default_message_of_each_shell(lab, shell, expected_exit, message):
    c = lab.run(PYTHON, [shell, "-c", DEFAULT_MESSAGE], environment={"API_TOKEN": ""})
    assert c.attrs["State"]["ExitCode"] == expected_exit
    # unredacted, to see the shell's own words (redaction is checked below)
    r = lab.inspect(c, "--no-redact")
    f = r.finding("missing-env")
    assert f["severity"] == "error"
    assert "API_TOKEN" in f["title"]
    assert "set but empty" in f["title"]
    ev = r.evidence_text("missing-env")
    assert message in ev
    assert "Config.Env: API_TOKEN is set but empty" in ev


def test_bash_parameter_error_exit_127_is_not_command_not_found(lab):
    c = lab.run(PYTHON, ["bash", "-c", DEFAULT_MESSAGE], environment={"API_TOKEN": ""})
    assert c.attrs["State"]["ExitCode"] == 127
    r = lab.inspect(c)
    assert r.verdict == "missing-env", r.text


def test_shell_parameter_message_survives_redaction(lab):
    c = lab.run(PYTHON, ["sh", "-c", DEFAULT_MESSAGE], environment={"API_TOKEN": ""})
    r = lab.inspect(c)
    assert "API_TOKEN: parameter not set or null" in r.evidence_text("missing-env")


DICT_LOOKUP = """\
    import os

    DEFAULTS = {"REDIS_URL": "redis://cache:6379/0"}


    def setting(name):
        # the bug: it reads the defaults table, not the environment
        return DEFAULTS[name]


    print("DATABASE_URL is", "set" if os.environ.get("DATABASE_URL") else "unset")
    db = setting("DATABASE_URL")
    """


def test_keyerror_about_a_dict_key_when_the_variable_is_set(lab, tmp_path):
    app = app_dir(tmp_path, {"app.py": DICT_LOOKUP})
    c = lab.run(PYTHON, ["python3", "/app/app.py"], volumes=mount_app(app),
                environment={**UNBUFFERED, "DATABASE_URL": "postgres://app@db:5432/app"})
    r = lab.inspect(c)
    # stdout and stderr interleave in any order: look for the line, not at a position
    assert "DATABASE_URL is set" in [x["text"] for x in r.json["logs"]["tail"]]
    assert "missing-env" not in r.ids, r.text
    assert r.verdict == "python-exception", r.text
    assert "KeyError: 'DATABASE_URL'" in r.evidence_text("python-exception")


RATES = """\
    RATES = {"USD": 1.0, "GBP": 0.79}


    def convert(amount, currency):
        return amount * RATES[currency]


    for currency in ("USD", "EUR"):
        print(currency, convert(100, currency))
    """


def test_keyerror_about_an_uppercase_dict_key_is_not_an_env_var(lab, tmp_path):
    app = app_dir(tmp_path, {"rates.py": RATES})
    c = lab.run(PYTHON, ["python3", "/app/rates.py"], volumes=mount_app(app),
                environment=UNBUFFERED)
    r = lab.inspect(c)
    assert "KeyError: 'EUR'" in r.evidence_text("python-exception")
    assert "missing-env" not in r.ids, r.text
    assert r.verdict == "python-exception"


# --- permission-denied ---------------------------------------------------------------


def test_nobody_writes_into_a_root_owned_directory(lab):
    image = lab.build(
        f"FROM {BUSYBOX}\n"
        "RUN mkdir -p /srv/app/data\n"
        "USER nobody\n"
        'CMD ["sh", "-c", "echo saving state; echo {} > /srv/app/data/state.json"]\n'
    )
    c = lab.run(image)
    assert c.attrs["State"]["ExitCode"] != 0
    r = lab.inspect(c)
    assert r.verdict == "permission-denied", r.text
    f = r.finding("permission-denied")
    assert "/srv/app/data/state.json" in f["title"]
    ev = r.evidence_text("permission-denied")
    assert "Permission denied" in ev
    assert "Config.User: nobody" in ev
    assert "nobody" in f["explanation"]
    assert "non-root" in f["explanation"]


def test_nobody_writes_into_a_root_owned_bind_mount(lab, tmp_path):
    host = tmp_path / "uploads"
    host.mkdir()
    os.chown(host, 0, 0)
    os.chmod(host, 0o755)
    assert stat.S_IMODE(host.stat().st_mode) == 0o755
    app = app_dir(tmp_path, {"upload.py": """\
        import pathlib

        print("writing thumbnail cache")
        pathlib.Path("/data/thumbs.idx").write_text("0\\n")
        """})
    c = lab.run(PYTHON, ["python3", "/app/upload.py"], user="nobody",
                volumes={**mount_app(app), str(host): {"bind": "/data", "mode": "rw"}},
                environment=UNBUFFERED)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "permission-denied", r.text
    f = r.finding("permission-denied")
    assert "/data/thumbs.idx" in f["title"]
    ev = r.evidence_text("permission-denied")
    assert "PermissionError: [Errno 13] Permission denied: '/data/thumbs.idx'" in ev
    assert "Config.User: nobody" in ev
    assert f"Mounts: bind {host} -> /data (rw)" in ev
    assert "nobody" in f["explanation"]
    assert f"bind mount from {host}" in f["explanation"]


def test_nginx_as_a_non_root_user(lab):
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"], user="nobody")
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "permission-denied", r.text
    f = r.finding("permission-denied")
    # the path nginx names, not a piece of its "2026/11/28" timestamp
    assert f["title"] == "Permission denied on /var/lib/nginx/body"
    assert 'mkdir() "/var/lib/nginx/body" failed (13: Permission denied)' in (
        r.evidence_text("permission-denied"))
    assert "config-error" not in r.ids, r.text


# --- read-only-fs --------------------------------------------------------------------


def test_read_only_rootfs_and_a_write_to_var_tmp(lab, tmp_path):
    app = app_dir(tmp_path, {"report.py": """\
        import csv

        print("exporting report")
        with open("/var/tmp/report.csv", "w") as fh:
            csv.writer(fh).writerow(["id", "total"])
        """})
    c = lab.run(PYTHON, ["python3", "/app/report.py"], read_only=True,
                volumes=mount_app(app), environment=UNBUFFERED)
    assert c.attrs["HostConfig"]["ReadonlyRootfs"] is True
    r = lab.inspect(c)
    assert r.verdict == "read-only-fs", r.text
    ev = r.evidence_text("read-only-fs")
    assert "[Errno 30] Read-only file system: '/var/tmp/report.csv'" in ev
    assert "HostConfig.ReadonlyRootfs: True" in ev
    assert "--read-only" in r.finding("read-only-fs")["explanation"]
    assert "permission-denied" not in r.ids


def test_write_into_a_read_only_bind_mount(lab, tmp_path):
    host = tmp_path / "cache"
    host.mkdir()
    c = lab.run(BUSYBOX, ["sh", "-c", "echo warming cache; touch /cache/warm.lock"],
                volumes={str(host): {"bind": "/cache", "mode": "ro"}})
    r = lab.inspect(c)
    assert r.verdict == "read-only-fs", r.text
    f = r.finding("read-only-fs")
    ev = r.evidence_text("read-only-fs")
    assert "Read-only file system" in ev
    assert f"Mounts: bind {host} -> /cache (ro)" in ev
    assert "mounted read-only" in f["explanation"]
    # the image fact that reads it right: root was refused, so the mount refuses it
    fact = r.finding("image-runs-as-root")
    assert fact["severity"] == "info" and r.ids[0] == "read-only-fs"
    assert "Config.User: (unset: root)" in r.evidence_text("image-runs-as-root")
    assert f"Mounts: bind {host} -> /cache" in r.evidence_text("image-runs-as-root")


def test_non_root_denied_gets_no_root_fact(lab, tmp_path):
    host = tmp_path / "cache"
    host.mkdir()
    c = lab.run(BUSYBOX, ["sh", "-c", "touch /cache/warm.lock"], user="1000:1000",
                volumes={str(host): {"bind": "/cache", "mode": "rw"}})
    r = lab.inspect(c)
    assert r.verdict == "permission-denied", r.text
    assert "image-runs-as-root" not in r.ids


# --- no-space ------------------------------------------------------------------------


SPOOL = {"spool.py": """\
    import os

    print("spooling 4 MiB")
    with open("/spool/batch.bin", "wb") as fh:
        for _ in range(4):
            fh.write(os.urandom(1024 * 1024))
    """}


def test_four_megabytes_into_a_one_megabyte_tmpfs(lab, tmp_path):
    app = app_dir(tmp_path, SPOOL)
    c = lab.run(PYTHON, ["python3", "/app/spool.py"], tmpfs={"/spool": "size=1m"},
                volumes=mount_app(app), environment=UNBUFFERED)
    assert c.attrs["State"]["ExitCode"] == 1
    assert c.attrs["HostConfig"]["Tmpfs"] == {"/spool": "size=1m"}
    r = lab.inspect(c)
    assert r.verdict == "no-space", r.text
    ev = r.evidence_text("no-space")
    assert "OSError: [Errno 28] No space left on device" in ev
    assert "size-limited tmpfs" in r.finding("no-space")["explanation"]


def test_no_space_names_the_tmpfs_given_with_the_tmpfs_flag(lab, tmp_path):
    app = app_dir(tmp_path, SPOOL)
    c = lab.run(PYTHON, ["python3", "/app/spool.py"], tmpfs={"/spool": "size=1m"},
                volumes=mount_app(app), environment=UNBUFFERED)
    r = lab.inspect(c)
    assert "/spool" in r.evidence_text("no-space")


def test_four_megabytes_into_a_tmpfs_mount(lab, tmp_path):
    app = app_dir(tmp_path, SPOOL)
    c = lab.run(PYTHON, ["python3", "/app/spool.py"], volumes=mount_app(app),
                mounts=[Mount(target="/spool", source=None, type="tmpfs",
                              tmpfs_size=1024 * 1024)],
                environment=UNBUFFERED)
    r = lab.inspect(c)
    assert r.verdict == "no-space", r.text
    ev = r.evidence_text("no-space")
    assert "[Errno 28] No space left on device" in ev
    assert "Mounts: tmpfs /spool" in ev


# --- port-in-use ---------------------------------------------------------------------


def test_second_container_publishing_the_same_host_port(lab):
    port = free_port()
    ports = {"80/tcp": ("127.0.0.1", port)}
    first = lab.run(BUSYBOX, ["sh", "-c", "exec sleep 300"], wait=False,
                    network_mode="bridge", ports=ports)
    lab.wait_for(first, lambda a: a["State"]["Running"], what="first running")
    second = lab.run(BUSYBOX, ["sh", "-c", "exec sleep 300"], network_mode="bridge",
                     ports=ports)
    state = second.attrs["State"]
    assert state["Status"] == "created"
    assert "port is already allocated" in state["Error"]
    r = lab.inspect(second)
    assert r.verdict == "port-in-use", r.text
    f = r.finding("port-in-use")
    assert str(port) in f["title"]
    ev = r.evidence_text("port-in-use")
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in ev
    assert f"HostConfig.PortBindings: 127.0.0.1:{port}->80/tcp" in ev
    assert "start-failed" not in r.ids
    # the one holding the port is fine
    assert "error" not in lab.inspect(first).severities()


def test_app_binds_a_port_already_bound_in_the_same_container(lab, tmp_path):
    app = app_dir(tmp_path, {"api.py": """\
        import asyncio


        async def handle(reader, writer):
            writer.close()


        async def main():
            server = await asyncio.start_server(handle, "0.0.0.0", 8000)
            print("api listening on :8000")
            async with server:
                await server.serve_forever()


        asyncio.run(main())
        """})
    # an entrypoint that starts a metrics exporter on the app's port, then the app
    script = ("python3 -m http.server 8000 --bind 0.0.0.0 >/dev/null 2>&1 & "
              "until (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; do sleep 0.1; done; "
              "echo starting api; exec python3 /app/api.py")
    c = lab.run(PYTHON, ["bash", "-c", script], volumes=mount_app(app),
                environment=UNBUFFERED)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "port-in-use", r.text
    f = r.finding("port-in-use")
    assert "8000" in f["title"]
    assert "address already in use" in r.evidence_text("port-in-use")
    assert "same network namespace" in f["explanation"]


# --- mount-source-missing ------------------------------------------------------------


def test_missing_host_file_becomes_a_directory_over_nginx_conf(lab, tmp_path):
    # `-v ./nginx.conf:/etc/nginx/nginx.conf` run where ./nginx.conf does not exist: the
    # engine creates a directory in its place and then mounts it over the image's file.
    missing = tmp_path / "nginx.conf"
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"],
                volumes={str(missing): {"bind": "/etc/nginx/nginx.conf", "mode": "ro"}})
    assert missing.is_dir()
    state = c.attrs["State"]
    assert state["Status"] == "created"
    assert "not a directory" in state["Error"]
    assert state["ExitCode"] == 127  # the engine maps ENOTDIR to 127
    r = lab.inspect(c)
    f = r.finding("mount-source-missing")
    assert f["severity"] == "error"
    assert "file/directory mismatch" in f["title"]
    ev = r.evidence_text("mount-source-missing")
    assert "Are you trying to mount a directory onto a file (or vice-versa)?" in ev
    assert f"Mounts: bind {missing} -> /etc/nginx/nginx.conf (ro)" in ev
    assert "start-failed" not in r.ids


def test_mount_mismatch_is_the_verdict_not_command_not_found(lab, tmp_path):
    missing = tmp_path / "nginx.conf"
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"],
                volumes={str(missing): {"bind": "/etc/nginx/nginx.conf", "mode": "ro"}})
    r = lab.inspect(c)
    assert r.verdict == "mount-source-missing", r.text


def test_host_file_onto_a_directory_of_the_image(lab, tmp_path):
    conf = tmp_path / "site.conf"
    conf.write_text("server { listen 8080; }\n")
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"],
                volumes={str(conf): {"bind": "/etc/nginx/conf.d", "mode": "ro"}})
    state = c.attrs["State"]
    assert state["Status"] == "created"
    assert "not a directory" in state["Error"]
    r = lab.inspect(c)
    assert "file/directory mismatch" in r.finding("mount-source-missing")["title"]
    ev = r.evidence_text("mount-source-missing")
    assert f"Mounts: bind {conf} -> /etc/nginx/conf.d (ro)" in ev


def test_mount_api_with_a_missing_source_leaves_no_container(lab, tmp_path):
    """`--mount type=bind,source=/nonexistent` fails at create time: there is no container
    to inspect (out of scope for `doctor inspect`), and doctor says so by name."""
    name = f"dd-missing-mount-{uuid.uuid4().hex[:8]}"
    missing = str(tmp_path / "nonexistent")
    with pytest.raises(docker.errors.APIError) as err:
        lab.create(BUSYBOX, ["true"], name=name,
                   mounts=[Mount(target="/data", source=missing, type="bind")])
    assert f"bind source path does not exist: {missing}" in str(err.value)
    assert not lab.client.containers.list(all=True, filters={"name": name})
    out = doctor("inspect", name)
    assert out.returncode == 4, out
    assert name in out.stderr


# --- dns-failure ---------------------------------------------------------------------

RESOLVE_DB = """\
    import socket

    print("resolving database host db")
    addr = socket.getaddrinfo("db", 5432, proto=socket.IPPROTO_TCP)
    """


def test_network_none_resolving_db(lab, tmp_path):
    app = app_dir(tmp_path, {"wait_db.py": RESOLVE_DB})
    c = lab.run(PYTHON, ["python3", "/app/wait_db.py"], volumes=mount_app(app),
                environment=UNBUFFERED)
    r = lab.inspect(c)
    assert r.verdict == "dns-failure", r.text
    f = r.finding("dns-failure")
    ev = r.evidence_text("dns-failure")
    assert "socket.gaierror: [Errno -3] Temporary failure in name resolution" in ev
    assert "HostConfig.NetworkMode: none" in ev
    assert "--network none" in f["explanation"]


def test_user_network_resolving_a_service_that_does_not_exist(lab, user_network):
    # busybox wget, as a wait-for-it loop would run it; dns_opt keeps the test fast
    c = lab.run(BUSYBOX, ["sh", "-c", "echo waiting for orders-db; "
                          "wget -q -O- http://orders-db:8080/health"],
                network=user_network.name, network_mode=user_network.name,
                dns_opt=["timeout:1", "attempts:1"])
    r = lab.inspect(c)
    assert r.verdict == "dns-failure", r.text
    f = r.finding("dns-failure")
    assert "orders-db" in f["title"]
    assert "wget: bad address 'orders-db:8080'" in r.evidence_text("dns-failure")
    assert f"HostConfig.NetworkMode: {user_network.name}" in r.evidence_text("dns-failure")
    assert "same network" in f["explanation"]


# --- connection-refused --------------------------------------------------------------


def test_python_app_connects_to_localhost_postgres(lab, tmp_path):
    app = app_dir(tmp_path, {"migrate.py": """\
        import os
        import socket

        host = os.environ.get("DB_HOST", "127.0.0.1")
        port = int(os.environ.get("DB_PORT", "5432"))
        print(f"connecting to database at {host}:{port}")
        conn = socket.create_connection((host, port), timeout=5)
        """})
    c = lab.run(PYTHON, ["python3", "/app/migrate.py"], volumes=mount_app(app),
                environment=UNBUFFERED)
    r = lab.inspect(c)
    assert r.verdict == "connection-refused", r.text
    f = r.finding("connection-refused")
    assert "127.0.0.1:5432" in f["title"]
    ev = r.evidence_text("connection-refused")
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in ev
    # Python does not name the address: the app's own line before the refusal does
    assert "connecting to database at 127.0.0.1:5432" in ev
    assert "localhost is the container itself" in f["explanation"]


def test_node_app_connects_to_localhost_postgres(lab, tmp_path):
    app = app_dir(tmp_path, {"db.js": """\
        const net = require('net');
        console.log('connecting to postgres');
        const sock = net.connect({ host: '127.0.0.1', port: 5432 });
        sock.on('connect', () => console.log('connected'));
        """})
    c = lab.run(PYTHON, ["node", "/app/db.js"], volumes={
        **mount_app(app), NODE: {"bind": "/usr/local/bin/node", "mode": "ro"}})
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "connection-refused", r.text
    f = r.finding("connection-refused")
    assert "127.0.0.1:5432" in f["title"]
    assert "connect ECONNREFUSED 127.0.0.1:5432" in r.evidence_text("connection-refused")


# --- config-error --------------------------------------------------------------------

BROKEN_SITE = """\
    server {
        listen 8080;
        server_nme shop.example.com;
        root /usr/share/nginx/html;
    }
    """


def test_nginx_with_a_typo_in_its_config(lab, tmp_path):
    conf = tmp_path / "shop.conf"
    conf.write_text(textwrap.dedent(BROKEN_SITE))
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"],
                volumes={str(conf): {"bind": "/etc/nginx/conf.d/shop.conf", "mode": "ro"}})
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "config-error", r.text
    f = r.finding("config-error")
    ev = r.evidence_text("config-error")
    # nginx's error log format: date, time, [level], pid#tid
    assert re.search(r'\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] 1#1: unknown directive '
                     r'"server_nme" in /etc/nginx/conf.d/shop.conf:3', ev), ev
    assert f["title"] == ('nginx refused its configuration: unknown directive "server_nme" in '
                          '/etc/nginx/conf.d/shop.conf:3')
    assert "nginx -t" in f["remedy"]


def test_nginx_on_a_read_only_rootfs_is_not_a_config_error(lab):
    c = lab.run(PYTHON, ["nginx", "-g", "daemon off;"], read_only=True)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "read-only-fs", r.text
    assert "(30: Read-only file system)" in r.evidence_text("read-only-fs")
    assert "config-error" not in r.ids, r.text
