"""Uncaught crashes of real language runtimes, in real containers.

Python runs from the Debian image; the JVM, Node and Go come from the host: the JDK and
node are bind-mounted read-only into the Debian image (they link against its glibc), and
the Go program is compiled at test time with the host's `go build` (static) and copied
into a busybox image. Nothing here prints a stack trace it did not really get.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUSYBOX, PYTHON

UNBUFFERED = {"PYTHONUNBUFFERED": "1"}


def app_dir(tmp_path: Path, files: dict[str, str]) -> str:
    d = tmp_path / "app"
    d.mkdir()
    os.chmod(d, 0o755)
    for name, content in files.items():
        (d / name).write_text(textwrap.dedent(content))
        os.chmod(d / name, 0o644)
    return str(d)


def ro(path: str, target: str | None = None) -> dict[str, dict[str, str]]:
    return {path: {"bind": target or path, "mode": "ro"}}


# --- python-exception ----------------------------------------------------------------


def test_python_traceback_points_at_the_apps_own_frame(lab, tmp_path):
    app = app_dir(tmp_path, {
        "settings.json": '{"workers": 4,}\n',
        "server.py": """\
            import json


            def load_settings(path):
                with open(path) as fh:
                    return json.load(fh)


            print("loading settings")
            settings = load_settings("/app/settings.json")
            """,
    })
    c = lab.run(PYTHON, ["python3", "/app/server.py"], volumes=ro(app, "/app"),
                environment=UNBUFFERED)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "python-exception", r.text
    f = r.finding("python-exception")
    exc = ("json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: "
           "line 1 column 15 (char 14)")
    assert f["title"] == f"Python exception: {exc}"
    ev = r.evidence_text("python-exception")
    assert exc in ev
    # the innermost frame of the app, with its source line; not json/decoder.py
    assert 'File "/app/server.py", line 6, in load_settings' in ev
    assert "return json.load(fh)" in ev
    assert "/usr/lib/python3" not in ev
    assert "load_settings (/app/server.py:6)" in f["explanation"]
    assert "JSONDecodeError" in f["explanation"]


def test_python_chained_exception_reports_the_last_one(lab, tmp_path):
    app = app_dir(tmp_path, {"jobs.py": """\
        class JobError(Exception):
            pass


        def run(job):
            try:
                return 100 / job["weight"]
            except ZeroDivisionError as e:
                raise JobError(f"job {job['id']} has no weight") from e


        print("running 1 job")
        run({"id": "nightly-export", "weight": 0})
        """})
    c = lab.run(PYTHON, ["python3", "/app/jobs.py"], volumes=ro(app, "/app"),
                environment=UNBUFFERED)
    r = lab.inspect(c)
    assert r.verdict == "python-exception", r.text
    f = r.finding("python-exception")
    # Python prints a class of __main__ without its module
    assert f["title"] == "Python exception: JobError: job nightly-export has no weight"
    ev = r.evidence_text("python-exception")
    assert 'File "/app/jobs.py", line 9, in run' in ev
    assert "ZeroDivisionError" not in f["title"]
    assert "direct cause" in "\n".join(x["text"] for x in r.json["logs"]["tail"])


# --- java-exception ------------------------------------------------------------------


def _java_home() -> str:
    java = shutil.which("java") or "/usr/lib/jvm/java-17-openjdk-amd64/bin/java"
    return os.path.dirname(os.path.dirname(os.path.realpath(java)))


def jdk_volumes() -> dict[str, dict[str, str]]:
    """The host's JDK, read-only at the same path, plus what its symlinks point at:
    Debian keeps jvm.cfg, java.security and friends in /etc/java-N-openjdk."""
    home = _java_home()
    vols = ro(home)
    for root, _dirs, files in os.walk(home):
        for name in files:
            path = os.path.join(root, name)
            target = os.path.realpath(path)
            if target == path or target.startswith(home + os.sep):
                continue
            if not (target.startswith("/etc/") and os.path.isfile(target)):
                continue  # docs, GUI libraries: not needed to run a program
            parts = target.split(os.sep)
            src = os.sep.join(parts[:3]) if parts[2].startswith("java") else target
            vols.update(ro(src))
    return vols


def run_java(lab: Any, tmp_path: Path, source: str, main: str = "Main") -> Any:
    app = app_dir(tmp_path, {f"{main}.java": source})
    return lab.run(PYTHON, [f"{_java_home()}/bin/java", f"{main}.java"],
                   volumes={**jdk_volumes(), **ro(app, "/app")}, working_dir="/app",
                   timeout=120)


WRAPPED = """\
    public class Main {
        static int parsePort(String raw) {
            try {
                return Integer.parseInt(raw);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("invalid SERVER_PORT setting", e);
            }
        }

        public static void main(String[] args) {
            System.out.println("starting order service");
            int port = parsePort("eighty");
            System.out.println("listening on " + port);
        }
    }
    """


def test_java_exception_with_a_root_cause(lab, tmp_path):
    c = run_java(lab, tmp_path, WRAPPED)
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "java-exception", r.text
    f = r.finding("java-exception")
    assert f["title"] == ("Java exception: java.lang.IllegalStateException: invalid "
                          "SERVER_PORT setting")
    ev = r.evidence_text("java-exception")
    assert 'Exception in thread "main" java.lang.IllegalStateException' in ev
    assert "at Main.parsePort(Main.java:6)" in ev
    assert 'Caused by: java.lang.NumberFormatException: For input string: "eighty"' in ev
    assert "at Main.parsePort(Main.java:6)" in f["explanation"]
    assert 'root cause is java.lang.NumberFormatException: For input string: "eighty"' in (
        f["explanation"])


THROWN_IN_THE_JDK = """\
    import java.nio.file.Files;
    import java.nio.file.Path;

    public class Billing {
        static String loadConfig(String path) throws Exception {
            return Files.readString(Path.of(path));
        }

        public static void main(String[] args) throws Exception {
            System.out.println("starting billing");
            String config = loadConfig("/etc/billing/application.properties");
            System.out.println(config.length());
        }
    }
    """


def test_java_exception_thrown_inside_the_jdk_points_at_the_apps_frame(lab, tmp_path):
    c = run_java(lab, tmp_path, THROWN_IN_THE_JDK, main="Billing")
    r = lab.inspect(c)
    assert r.verdict == "java-exception", r.text
    f = r.finding("java-exception")
    assert f["title"] == ("Java exception: java.nio.file.NoSuchFileException: "
                          "/etc/billing/application.properties")
    ev = r.evidence_text("java-exception")
    assert "at Billing.loadConfig(Billing.java:6)" in ev
    assert "at Billing.loadConfig(Billing.java:6)" in f["explanation"]
    assert "sun.nio.fs" not in f["explanation"]


# --- node-crash ----------------------------------------------------------------------

NODE = "/usr/bin/node"


def run_node(lab: Any, tmp_path: Path, files: dict[str, str], main: str) -> Any:
    app = app_dir(tmp_path, files)
    return lab.run(PYTHON, ["node", f"/app/{main}"],
                   volumes={**ro(NODE, "/usr/local/bin/node"), **ro(app, "/app")})


def test_node_uncaught_type_error(lab, tmp_path):
    c = run_node(lab, tmp_path, {
        "config.json": '{"port": 3000}\n',
        "server.js": """\
            const config = require('./config.json');

            function connect(settings) {
              return settings.database.host.toLowerCase();
            }

            console.log('booting on port ' + config.port);
            connect(config);
            """,
    }, "server.js")
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "node-crash", r.text
    f = r.finding("node-crash")
    assert f["title"] == ("Node.js crash: TypeError: Cannot read properties of undefined "
                          "(reading 'host')")
    ev = r.evidence_text("node-crash")
    assert "at connect (/app/server.js:4:28)" in ev
    assert "Node.js v20" in ev
    assert "/app/server.js:4:28" in f["explanation"]
    assert "unhandled" not in f["explanation"]


def test_node_unhandled_rejection_of_a_non_error(lab, tmp_path):
    c = run_node(lab, tmp_path, {"rates.js": """\
        function fetchRates() {
          return new Promise((resolve, reject) => {
            setTimeout(() => reject('upstream timeout'), 10);
          });
        }

        console.log('rates worker ready');
        fetchRates().then((rates) => console.log(rates));
        """}, "rates.js")
    assert c.attrs["State"]["ExitCode"] == 1
    r = lab.inspect(c)
    assert r.verdict == "node-crash", r.text
    f = r.finding("node-crash")
    assert f["title"] == ('Node.js crash: unhandled promise rejection, reason '
                          '"upstream timeout"')
    ev = r.evidence_text("node-crash")
    assert "UnhandledPromiseRejection: This error originated either by throwing" in ev
    assert "code: 'ERR_UNHANDLED_REJECTION'" in ev
    assert "unhandled rejection" in f["explanation"]


def test_node_error_thrown_in_an_async_function(lab, tmp_path):
    c = run_node(lab, tmp_path, {"users.js": """\
        const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

        async function loadUser(id) {
          await sleep(10);
          throw new RangeError(`user id ${id} out of range`);
        }

        async function main() {
          const user = await loadUser(42);
          console.log(user);
        }

        console.log('users worker ready');
        main();
        """}, "users.js")
    r = lab.inspect(c)
    assert r.verdict == "node-crash", r.text
    f = r.finding("node-crash")
    assert f["title"] == "Node.js crash: RangeError: user id 42 out of range"
    assert "at loadUser (/app/users.js:5:9)" in r.evidence_text("node-crash")
    # it passed through `await`: a rejected promise that nothing caught
    assert "unhandled rejection" in f["explanation"]


def test_node_json_parse_error_points_at_the_apps_frame(lab, tmp_path):
    c = run_node(lab, tmp_path, {
        "config.json": '{"port": 3000,}\n',
        "app.js": """\
            const fs = require('fs');

            function loadConfig(path) {
              const raw = fs.readFileSync(path, 'utf8');
              return JSON.parse(raw);
            }

            console.log('loading config');
            const config = loadConfig('/app/config.json');
            """,
    }, "app.js")
    r = lab.inspect(c)
    assert r.verdict == "node-crash", r.text
    f = r.finding("node-crash")
    assert f["title"].startswith("Node.js crash: SyntaxError: ")
    assert "in JSON at position 14" in f["title"]
    assert "at loadConfig (/app/app.js:5:15)" in r.evidence_text("node-crash")
    assert "/app/app.js:5:15" in f["explanation"]


# --- go-panic ------------------------------------------------------------------------

GATEWAY = """\
    package main

    import (
    \t"fmt"
    \t"os"
    )

    type Config struct {
    \tListen string
    }

    func load(path string) *Config {
    \tif _, err := os.Stat(path); err != nil {
    \t\treturn nil
    \t}
    \treturn &Config{Listen: ":8080"}
    }

    func main() {
    \tfmt.Println("starting gateway")
    \tcfg := load("/etc/gateway.yaml")
    \tfmt.Println("listening on", cfg.Listen)
    }
    """


def go_build(tmp_path: Path, *flags: str) -> bytes:
    src = tmp_path / "gateway"
    src.mkdir()
    (src / "main.go").write_text(textwrap.dedent(GATEWAY))
    (src / "go.mod").write_text("module gateway\n\ngo 1.19\n")
    out = tmp_path / "gateway.bin"
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOPROXY": "off",
           "GOFLAGS": "", "GOCACHE": str(tmp_path / "gocache")}
    subprocess.run(["go", "build", *flags, "-o", str(out), "."], cwd=src, env=env,
                   check=True, capture_output=True, timeout=120)
    return out.read_bytes()


@pytest.mark.parametrize("flags, frame", [
    ((), "{src}/main.go:22"),
    (("-trimpath", "-ldflags=-s -w"), "gateway/main.go:22"),  # release builds
])
def test_go_nil_pointer_panic(lab, tmp_path, flags, frame):
    binary = go_build(tmp_path, *flags)
    frame = frame.format(src=tmp_path / "gateway")
    image = lab.build(
        f"FROM {BUSYBOX}\nCOPY gateway /usr/local/bin/gateway\nUSER nobody\n"
        'ENTRYPOINT ["/usr/local/bin/gateway"]\n',
        files={"gateway": (binary, 0o755)},
    )
    c = lab.run(image)
    assert c.attrs["State"]["ExitCode"] == 2
    r = lab.inspect(c)
    assert r.verdict == "go-panic", r.text
    f = r.finding("go-panic")
    assert f["title"] == ("Go panic: runtime error: invalid memory address or nil pointer "
                          "dereference")
    ev = r.evidence_text("go-panic")
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in ev
    assert "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0" in ev
    assert "main.main()" in ev
    assert frame in ev
    assert f"at {frame}" in f["explanation"]
    assert "segfault" not in r.ids  # a Go nil dereference exits 2, not 139
