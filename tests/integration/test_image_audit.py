"""`doctor image` on images built here, each committing known sins, and a clean control.

Every finding must name the Dockerfile step that caused it: the evidence source is checked
against the step and layer index the same report lists in `layers[]`, and against the
instruction text, so a finding that blames the wrong layer fails. The images are built
once per module (they are only read) and removed at the end; the 1 GiB one measures that
the layer scan streams (peak RSS of the `doctor` process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import BUSYBOX, RUN_ID, Lab, doctor

# -- secrets the sinful image carries; none may leak into a redacted report --------------
API_KEY = "apikey-q8w7e6r5t4y3"
DB_PASSWORD = "dbpw-z1x2c3v4b5n6"
NPM_TOKEN = "npm-buildarg-9g8h7j6k5l"  # passed with --build-arg
# long enough to cross the 120th character of the RUN line evidence quotes: a value cut
# in two must not leak its first half
WEBHOOK_PART = "T0AAAAAAA/B0BBBBBBB"
SLACK_WEBHOOK = f"https://hooks.slack.com/services/{WEBHOOK_PART}/" + "c" * 24
NPMRC_TOKEN = "npmrc-authtoken-0p9o8i7u"
AWS_SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzz"
ENV_FILE_SECRET = "envfile-secret-3e4r5t6y"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
FAKE_KEY = ("-----BEGIN OPENSSH PRIVATE KEY-----\n" + (KEY_BODY + "\n") * 5
            + "-----END OPENSSH PRIVATE KEY-----\n")
REDACTED_VALUES = (API_KEY, DB_PASSWORD, NPM_TOKEN, SLACK_WEBHOOK, WEBHOOK_PART)
NEVER_PRINTED = (NPMRC_TOKEN, AWS_SECRET, ENV_FILE_SECRET, KEY_BODY)

SINFUL_DOCKERFILE = f"""\
FROM {BUSYBOX}
ENV API_KEY={API_KEY} DB_PASSWORD={DB_PASSWORD}
ARG NPM_TOKEN
ARG SLACK_WEBHOOK
RUN echo "$NPM_TOKEN" | wc -c > /tmp/token-length
COPY dotenv /app/.env
COPY repo/.git /app/.git
COPY npmrc /root/.npmrc
COPY aws-credentials /root/.aws/credentials
COPY k.txt /tmp/k.txt
RUN mkdir -p /root/.ssh && mv /tmp/k.txt /root/.ssh/id_ed25519
RUN rm /app/.env
EXPOSE 8080
VOLUME /data
CMD python3 app.py
"""
SINFUL_FILES: dict[str, tuple[bytes | str, int]] = {
    "dotenv": (f"DATABASE_HOST=db\nSECRET={ENV_FILE_SECRET}\n", 0o644),
    "repo/.git/HEAD": ("ref: refs/heads/main\n", 0o644),
    "repo/.git/config": ("[core]\n\trepositoryformatversion = 0\n\tbare = false\n", 0o644),
    "npmrc": (f"//registry.npmjs.org/:_authToken={NPMRC_TOKEN}\n", 0o644),
    "aws-credentials": ("[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                        f"aws_secret_access_key = {AWS_SECRET}\n", 0o600),
    "k.txt": (FAKE_KEY, 0o600),  # not a secret-looking name: only where it lands counts
}

MIB = 1 << 20
BIG_LAYER = 120 * MIB
# caches written in one RUN and deleted in the next: still shipped in the first layer
CACHE_DOCKERFILE = f"""\
FROM {BUSYBOX}
RUN mkdir -p /var/lib/apt/lists /root/.cache/pip/http \
 && head -c {2 * MIB} /dev/urandom > /var/lib/apt/lists/deb.debian.org_dists_Packages \
 && head -c {3 * MIB // 2} /dev/urandom > /root/.cache/pip/http/wheel-cache.bin
RUN rm -rf /var/lib/apt/lists/* /root/.cache/pip
RUN mkdir -p /root/.npm/_cacache && head -c {3 * MIB} /dev/urandom > /root/.npm/_cacache/blob \
 && rm -rf /root/.npm
RUN mkdir -p /usr/bin && printf '#!/bin/sh\\necho fake gcc\\n' > /usr/bin/gcc \
 && chmod 755 /usr/bin/gcc
RUN head -c {BIG_LAYER} /dev/zero > /opt-blob.bin
USER 1000
CMD ["sleep", "3600"]
"""

# FROM scratch with one static binary; a service with EXPOSE and a HEALTHCHECK
SCRATCH_DOCKERFILE = f"""\
FROM {BUSYBOX} AS tools
FROM scratch
COPY --from=tools /bin/busybox /app/tool
USER 1000
EXPOSE 9000
HEALTHCHECK --interval=30s --timeout=3s CMD ["/app/tool", "true"]
CMD ["/app/tool", "httpd", "-f", "-p", "9000"]
"""

# no sin: non-root, exec form, a health check for its service, no EXPOSE; plus the
# look-alikes that must not be taken for secrets (official images' GPG_KEY, a *_FILE
# path, a switch; `-p` inside python3-pip / --prefix / tar -pxf is no password)
CLEAN_DOCKERFILE = f"""\
FROM {BUSYBOX}
ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D \
    DB_PASSWORD_FILE=/run/secrets/db_password AUTH_ENABLED=true
RUN mkdir -p /www && echo 'ok' > /www/index.html \
 && echo 'built with: python3-pip ./configure --prefix=/usr/local; tar -pxf' > /www/notes
USER 1000
HEALTHCHECK --interval=30s --timeout=3s CMD ["wget", "-qO-", "http://127.0.0.1:8080/"]
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
"""

GIB = 1 << 30
BIG_DOCKERFILE = f"FROM {BUSYBOX}\nRUN head -c {GIB} /dev/zero > /one-gib.bin\n"
RSS_LIMIT_KB = 150 * 1024  # ru_maxrss is in KiB on Linux


@dataclass
class Audit:
    """`doctor image ... --format json`, parsed."""

    exit_code: int
    json: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def ids(self) -> list[str]:
        return [f["id"] for f in self.json["findings"]]

    def finding(self, fid: str) -> dict[str, Any]:
        for f in self.json["findings"]:
            if f["id"] == fid:
                return f
        raise AssertionError(f"no finding {fid!r}; findings: {self.ids}")

    def evidence(self, fid: str) -> list[dict[str, str]]:
        return list(self.finding(fid)["evidence"])

    def layer(self, starts: str = "", ends: str = "", contains: str = "") -> dict[str, Any]:
        """The one history step whose instruction matches."""
        hits = [x for x in self.json["layers"]
                if x["instruction"].startswith(starts) and x["instruction"].endswith(ends)
                and contains in x["instruction"]]
        assert len(hits) == 1, (starts, ends, contains, self.json["layers"])
        return hits[0]

    def source_of(self, layer: dict[str, Any]) -> str:
        """How the evidence names this step: "layer 3, step 5: COPY ..." or "step 2: ENV"."""
        pos = (f"layer {layer['index']}, step {layer['step']}" if layer["index"]
               else f"step {layer['step']}")
        text = layer["instruction"]
        return f"{pos}: {text if len(text) <= 120 else text[:117] + '...'}"


def audit(ref: str, *args: str) -> Audit:
    r = doctor("image", ref, "--format", "json", *args, timeout=300)
    assert r.stdout, f"doctor image printed nothing (exit {r.returncode}); stderr: {r.stderr}"
    try:
        data = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        raise AssertionError(f"not JSON: {r.stdout[:500]}") from e
    assert data["kind"] == "image-audit"
    return Audit(r.returncode, data, r.stdout, r.stderr)


# -- the images, built once for the module ---------------------------------------------


@pytest.fixture(scope="module")
def mlab(docker_client: Any) -> Iterator[Lab]:
    lab = Lab(docker_client)
    yield lab
    lab.cleanup()


@pytest.fixture(scope="module")
def sinful(mlab: Lab) -> str:
    return mlab.build(SINFUL_DOCKERFILE, SINFUL_FILES, buildargs={"NPM_TOKEN": NPM_TOKEN,
                                                              "SLACK_WEBHOOK": SLACK_WEBHOOK})


@pytest.fixture(scope="module")
def sinful_audit(sinful: str) -> Audit:
    return audit(sinful)


@pytest.fixture(scope="module")
def cached(mlab: Lab) -> str:
    return mlab.build(CACHE_DOCKERFILE)


@pytest.fixture(scope="module")
def cached_audit(cached: str) -> Audit:
    return audit(cached)


@pytest.fixture(scope="module")
def scratch_audit(mlab: Lab) -> Audit:
    return audit(mlab.build(SCRATCH_DOCKERFILE))


@pytest.fixture(scope="module")
def clean(mlab: Lab) -> str:
    return mlab.build(CLEAN_DOCKERFILE)


@pytest.fixture(scope="module")
def clean_audit(clean: str) -> Audit:
    return audit(clean)


# -- secrets -----------------------------------------------------------------------------


def test_secret_env_names_the_env_step(sinful_audit: Audit) -> None:
    a = sinful_audit
    f = a.finding("image-secret-env")
    assert f["severity"] == "error"
    assert "API_KEY" in f["title"] and "DB_PASSWORD" in f["title"]
    env = a.layer(starts="ENV API_KEY=")
    assert env["empty"] and env["index"] is None
    assert {e["source"] for e in f["evidence"]} == {a.source_of(env)}
    assert a.source_of(env) == f"step {env['step']}: ENV API_KEY=[redacted] " \
                               "DB_PASSWORD=[redacted]"
    assert sorted(e["text"] for e in f["evidence"]) == ["API_KEY has a value",
                                                        "DB_PASSWORD has a value"]


def test_build_arg_secret_in_history_names_the_run_step(sinful_audit: Audit) -> None:
    a = sinful_audit
    f = a.finding("image-secret-in-history")
    assert f["severity"] == "error"
    run = a.layer(starts="RUN (build args: NPM_TOKEN=[redacted] SLACK_WEBHOOK=[redacted]) "
                         "echo")
    assert run["index"] is not None
    first = f["evidence"][0]
    assert first["source"] == a.source_of(run)
    assert first["text"] == "build argument NPM_TOKEN; build argument SLACK_WEBHOOK"
    # the legacy builder records the argument on every later RUN: each is named, and
    # nothing but RUN steps is
    runs = [x for x in a.json["layers"] if x["instruction"].startswith("RUN ")]
    assert [e["source"] for e in f["evidence"]] == [a.source_of(x) for x in runs]
    # ENV secrets are image-secret-env's, not repeated here
    assert not any("ENV " in e["source"] for e in f["evidence"])


def test_secret_values_are_redacted_in_every_format(sinful: str, tmp_path: Any) -> None:
    for fmt in ("text", "markdown", "json"):
        r = doctor("image", sinful, "--format", fmt)
        assert r.returncode == 0, r.stderr
        assert "[redacted]" in r.stdout.replace("\\[", "[").replace("\\]", "]"), fmt
        for value in REDACTED_VALUES + NEVER_PRINTED:
            assert value not in r.stdout, f"{value} leaked into the {fmt} report"
            assert value not in r.stderr, f"{value} leaked into stderr ({fmt})"
    out = tmp_path / "audit.json"
    r = doctor("image", sinful, "--format", "json", "-o", str(out))
    assert r.returncode == 0, r.stderr
    written = out.read_text()
    assert json.loads(written)["redacted"] is True
    for value in REDACTED_VALUES + NEVER_PRINTED:
        assert value not in written


def test_no_redact_shows_the_values_and_warns(sinful: str) -> None:
    for fmt in ("text", "markdown", "json"):
        r = doctor("image", sinful, "--format", fmt, "--no-redact")
        assert r.returncode == 0, r.stderr
        # the long webhook is cut at 120 characters where an instruction is quoted: whole
        # in the JSON's layers[], its first part everywhere
        shown = (API_KEY, DB_PASSWORD, NPM_TOKEN, WEBHOOK_PART) + (
            (SLACK_WEBHOOK,) if fmt == "json" else ())
        for value in shown:
            assert value in r.stdout, f"{value} missing from the --no-redact {fmt} report"
        assert "doctor: warning: secrets are not redacted" in r.stderr
        if fmt == "json":
            assert json.loads(r.stdout)["redacted"] is False
        # file contents are never quoted, redacted or not
        for value in NEVER_PRINTED:
            assert value not in r.stdout


def _file_evidence(a: Audit, path: str) -> dict[str, str]:
    hits = [e for e in a.evidence("image-secret-file") if e["text"].endswith(f"at {path}")
            or f"at {path} (" in e["text"]]
    assert len(hits) == 1, (path, a.evidence("image-secret-file"))
    return hits[0]


def test_secret_files_each_name_the_step_that_added_them(sinful_audit: Audit) -> None:
    a = sinful_audit
    f = a.finding("image-secret-file")
    assert f["severity"] == "error"

    env = _file_evidence(a, "/app/.env")
    copy_env = a.layer(starts="COPY file:", ends=" in /app/.env")
    assert env["source"] == a.source_of(copy_env)
    assert env["text"] == ("an environment file with values at /app/.env (deleted by a "
                           "later layer, but still shipped in this one)")
    rm = a.layer(starts="RUN ", ends="rm /app/.env")
    assert rm["step"] > copy_env["step"]

    git = _file_evidence(a, "/app/.git")
    assert git["source"] == a.source_of(a.layer(starts="COPY dir:", ends=" in /app/.git"))
    assert "a .git directory" in git["text"] and "deleted" not in git["text"]

    npmrc = _file_evidence(a, "/root/.npmrc")
    assert npmrc["source"] == a.source_of(a.layer(starts="COPY ", ends=" in /root/.npmrc"))
    assert npmrc["text"] == "an npm auth token at /root/.npmrc"

    aws = _file_evidence(a, "/root/.aws/credentials")
    assert aws["source"] == a.source_of(
        a.layer(starts="COPY ", ends=" in /root/.aws/credentials"))
    assert aws["text"] == "AWS credentials at /root/.aws/credentials"

    # the key was COPY'd under an innocent name; the RUN that moved it to id_ed25519
    # is the layer that ships it as a key
    key = _file_evidence(a, "/root/.ssh/id_ed25519")
    mv = a.layer(starts="RUN ", ends="mv /tmp/k.txt /root/.ssh/id_ed25519")
    assert key["source"] == a.source_of(mv)
    assert key["text"] == "a private key at /root/.ssh/id_ed25519"

    assert len(f["evidence"]) == 5, f["evidence"]


# -- config sins and their controls ------------------------------------------------------


def test_runs_as_root_without_user(sinful_audit: Audit, clean_audit: Audit,
                                   cached_audit: Audit) -> None:
    f = sinful_audit.finding("image-runs-as-root")
    assert f["severity"] == "warning"
    assert f["evidence"] == [{"source": "Config.User", "text": "(unset)"}]
    assert "image-runs-as-root" not in clean_audit.ids  # USER 1000
    assert "image-runs-as-root" not in cached_audit.ids


def test_shell_form_cmd_vs_exec_form(sinful_audit: Audit, clean_audit: Audit) -> None:
    a = sinful_audit
    f = a.finding("image-shell-form")
    assert f["title"] == "CMD is in shell form: /bin/sh is PID 1"
    cmd = a.layer(starts="CMD ")
    assert f["evidence"] == [{"source": a.source_of(cmd),
                              "text": 'CMD ["/bin/sh", "-c", "python3 app.py"]'}]
    assert "python3 app.py" in cmd["instruction"]
    assert "image-shell-form" not in clean_audit.ids


def test_exposed_ports_and_volumes_name_their_steps(sinful_audit: Audit) -> None:
    a = sinful_audit
    ports = a.finding("image-exposed-ports")
    assert ports["evidence"] == [{"source": a.source_of(a.layer(starts="EXPOSE 8080")),
                                  "text": "8080/tcp"}]
    vols = a.finding("image-volumes")
    assert vols["title"] == "Declares volume /data"
    assert vols["evidence"] == [{"source": a.source_of(a.layer(starts="VOLUME [/data]")),
                                 "text": "/data"}]


def test_no_healthcheck_with_expose_vs_with_healthcheck(sinful_audit: Audit,
                                                        scratch_audit: Audit,
                                                        clean_audit: Audit) -> None:
    f = sinful_audit.finding("image-no-healthcheck")
    assert {"source": "Config.ExposedPorts", "text": "8080/tcp"} in f["evidence"]
    # exposes a port, runs a server, but has a HEALTHCHECK
    assert "image-exposed-ports" in scratch_audit.ids
    assert "image-no-healthcheck" not in scratch_audit.ids
    assert "image-no-healthcheck" not in clean_audit.ids  # httpd, with HEALTHCHECK


# -- what the layers ship -----------------------------------------------------------------


def test_package_cache_deleted_later_is_still_reported(cached_audit: Audit) -> None:
    a = cached_audit
    f = a.finding("image-package-cache")
    assert f["severity"] == "warning"
    made = a.layer(starts="RUN mkdir -p /var/lib/apt/lists /root/.cache/pip")
    removed = a.layer(starts="RUN rm -rf /var/lib/apt/lists/*")
    assert removed["step"] > made["step"]
    ev = {e["text"].split(":")[0]: e for e in f["evidence"]}
    assert set(ev) == {"apt lists", "pip cache"}, f["evidence"]
    for e in ev.values():
        assert e["source"] == a.source_of(made)
    assert ev["apt lists"]["text"] == "apt lists: 2.0 MiB in 1 files"
    assert ev["pip cache"]["text"] == "pip cache: 1.5 MiB in 1 files"
    # the npm cache created and removed in one RUN never reached a layer
    same_run = a.layer(starts="RUN mkdir -p /root/.npm")
    assert all(e["source"] != a.source_of(same_run) for e in f["evidence"])
    assert "npm" not in json.dumps(f["evidence"])


def test_build_tools_name_the_step(cached_audit: Audit) -> None:
    a = cached_audit
    f = a.finding("image-build-tools")
    assert f["severity"] == "info"
    assert f["evidence"] == [{
        "source": a.source_of(a.layer(starts="RUN mkdir -p /usr/bin && printf")),
        "text": "gcc/g++: /usr/bin/gcc"}]


def test_large_layer_names_its_run_instruction(cached_audit: Audit) -> None:
    a = cached_audit
    f = a.finding("image-large-layers")
    assert f["title"] == "Largest layer: 120.0 MiB, worth a look"
    top = f["evidence"][0]
    assert top["source"] == a.source_of(a.layer(starts=f"RUN head -c {BIG_LAYER} /dev/zero"))
    assert top["text"].startswith("120.0 MiB (")


def test_remote_add_names_its_layer(mlab: Lab, clean_audit: Audit, tmp_path: Any) -> None:
    """ADD of a URL, served from this machine (the engine downloads it at build time)."""
    import functools
    import http.server
    import threading

    (tmp_path / "install.sh").write_text("echo installing\n")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/install.sh"
        image = mlab.build(f"FROM {BUSYBOX}\nADD {url} /opt/install.sh\nUSER 1000\n"
                           'CMD ["sh", "/opt/install.sh"]\n')
    finally:
        server.shutdown()
    a = audit(image)
    f = a.finding("image-remote-add")
    layer = a.layer(starts="ADD ", ends="in /opt/install.sh")
    assert [e["source"] for e in f["evidence"]] == [a.source_of(layer)]
    assert "a download into /opt/install.sh" in f["evidence"][0]["text"]
    assert "image-remote-add" not in clean_audit.ids  # COPY/ADD of local files: not remote


def test_no_shell_in_a_scratch_image(scratch_audit: Audit, clean_audit: Audit) -> None:
    f = scratch_audit.finding("image-no-shell")
    assert f["title"] == "No shell in the image (scratch, no OS)"
    assert f["severity"] == "info"
    assert scratch_audit.json["scan"]["files"] == 1  # /app/tool only
    assert "image-no-shell" not in clean_audit.ids  # busybox has /bin/sh


# -- references, the clean control, options and exit codes -------------------------------


def test_unpinned_by_name_or_latest_but_not_by_id(mlab: Lab, clean: str,
                                                  clean_audit: Audit) -> None:
    repo = f"dockerdoctor-test/unpinned-{uuid.uuid4().hex[:8]}"
    mlab.client.images.get(clean).tag(repo, "latest")
    mlab.images.append(f"{repo}:latest")
    bare = audit(repo, "--no-files")
    assert bare.finding("image-unpinned")["evidence"] == [
        {"source": "reference", "text": f"{repo}: no tag, so latest (moves with every push)"}]
    latest = audit(f"{repo}:latest", "--no-files")
    assert latest.finding("image-unpinned")["evidence"] == [
        {"source": "reference", "text": f"{repo}:latest: latest (moves with every push)"}]
    image_id = clean_audit.json["image"]["id"]
    for ref in (image_id, image_id[7:19], image_id[7:14]):
        assert "image-unpinned" not in audit(ref, "--no-files").ids, ref
    assert "image-unpinned" not in clean_audit.ids  # its own tag is the run id


def test_clean_image_has_no_error_and_no_warning(clean: str, clean_audit: Audit) -> None:
    a = clean_audit
    assert a.exit_code == 0
    severities = {f["severity"] for f in a.json["findings"]}
    assert severities <= {"info"}, a.json["findings"]
    for fid in ("image-secret-env", "image-secret-in-history", "image-secret-file",
                "image-runs-as-root", "image-shell-form", "image-package-cache",
                "image-no-healthcheck", "image-no-shell", "image-unpinned",
                "image-exposed-ports", "image-volumes", "image-build-tools"):
        assert fid not in a.ids, a.finding(fid)
    assert a.json["scan"]["files_scanned"] is True and a.json["scan"]["files"] > 100
    text = doctor("image", clean).stdout
    assert not text.startswith(("✖", "▲")), text


def test_fail_on_error_exit_codes(sinful: str, clean: str, cached: str) -> None:
    assert doctor("image", sinful, "--fail-on", "error").returncode == 5
    assert doctor("image", clean, "--fail-on", "error").returncode == 0
    assert doctor("image", clean, "--fail-on", "warning").returncode == 0
    # warnings (cache) but no error
    assert doctor("image", cached, "--fail-on", "error").returncode == 0
    assert doctor("image", cached, "--fail-on", "warning").returncode == 5
    assert doctor("image", sinful).returncode == 0  # --fail-on none by default


def test_no_files_reads_config_and_history_only(sinful: str) -> None:
    a = audit(sinful, "--no-files")
    assert a.json["scan"]["files_scanned"] is False
    assert a.json["scan"]["files"] == 0
    assert "image-secret-env" in a.ids and "image-secret-in-history" in a.ids
    assert "image-runs-as-root" in a.ids and "image-shell-form" in a.ids
    for fid in ("image-secret-file", "image-package-cache", "image-build-tools",
                "image-no-shell"):
        assert fid not in a.ids
    text = doctor("image", sinful, "--no-files").stdout
    scanned = [line for line in text.splitlines() if line.strip().startswith("scanned")]
    assert scanned and scanned[0].split(None, 1)[1] == "config and history only (--no-files)"
    md = doctor("image", sinful, "--no-files", "--format", "markdown").stdout
    assert "| scanned | config and history only (--no-files) |" in md


def test_unknown_image_exits_4_with_one_line(docker_client: Any) -> None:
    ref = f"dockerdoctor-test/no-such-image-{uuid.uuid4().hex[:8]}:{RUN_ID}"
    r = doctor("image", ref)
    assert r.returncode == 4
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"doctor: error: no such image: {ref}")


# -- a 1 GiB image: the scan streams ----------------------------------------------------


@pytest.fixture(scope="module")
def big_image(mlab: Lab) -> str:
    return mlab.build(BIG_DOCKERFILE)


def test_one_gib_image_is_streamed_in_bounded_memory(big_image: str) -> None:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "dockerdoctor", "image", big_image, "--format", "json"],
            stdout=out, stderr=err, env={**os.environ, "NO_COLOR": "1"})
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    assert child.returncode == 0, stderr
    data = json.loads(stdout)
    peak_kb = usage.ru_maxrss
    print(f"\n1 GiB image audit: {seconds:.1f}s, peak RSS {peak_kb / 1024:.1f} MiB, "
          f"scanned {data['scan']['bytes'] / GIB:.2f} GiB in {data['scan']['seconds']}s")
    assert data["scan"]["files_scanned"] is True
    assert data["scan"]["bytes"] >= GIB
    assert peak_kb < RSS_LIMIT_KB, f"peak RSS {peak_kb} KiB"
    big = [x for x in data["layers"] if x["size"] >= GIB]
    assert len(big) == 1 and big[0]["instruction"] == f"RUN head -c {GIB} /dev/zero > /one-gib.bin"
    top = next(f for f in data["findings"] if f["id"] == "image-large-layers")
    assert top["title"] == "Largest layer: 1.0 GiB, worth a look"
    assert top["evidence"][0]["source"].startswith(f"layer {big[0]['index']}, step "
                                                   f"{big[0]['step']}: RUN head -c {GIB}")
