"""The CLI against a real engine: references, exit codes, output options, log options,
redaction of planted secrets, hostile output."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from tests.conftest import BUSYBOX, PYTHON, doctor


def test_unknown_container_is_exit_4(docker_client) -> None:
    p = doctor("inspect", "no-such-container-zz9")
    assert p.returncode == 4
    assert p.stderr.strip() == "doctor: error: no such container: no-such-container-zz9"
    assert p.stdout == ""


def test_ambiguous_prefix_is_exit_2(lab) -> None:
    # 17 containers: two of them must share the first hex digit of their ids
    cs = [lab.create(BUSYBOX, ["true"]) for _ in range(17)]
    first = Counter(c.id[0] for c in cs)
    prefix = next(ch for ch, n in first.items() if n > 1)
    p = doctor("inspect", prefix)
    assert p.returncode == 2, p.stderr
    assert "matches more than one container" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_name_and_id_prefix_resolve_to_the_same_container(lab) -> None:
    c = lab.run(BUSYBOX, ["sh", "-c", "echo boom >&2; exit 3"])
    by_name = json.loads(doctor("inspect", c.name, "-f", "json").stdout)
    by_prefix = json.loads(doctor("inspect", c.id[:12], "-f", "json").stdout)
    assert by_name["container"]["id"] == by_prefix["container"]["id"] == c.id


def test_no_id_picks_the_most_recent_failure(lab) -> None:
    lab.run(BUSYBOX, ["sh", "-c", "exit 4"])
    time.sleep(1.1)
    newest = lab.run(BUSYBOX, ["sh", "-c", "echo newest >&2; exit 5"])
    lab.run(BUSYBOX, ["sh", "-c", "exit 0"])  # a success after it does not count
    p = doctor("inspect", "-f", "json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["container"]["id"] == newest.id


def test_several_ids_give_a_json_array_and_missing_ones_exit_4(lab) -> None:
    a = lab.run(BUSYBOX, ["sh", "-c", "exit 1"])
    b = lab.run(BUSYBOX, ["sh", "-c", "exit 0"])
    p = doctor("inspect", a.id, b.id, "-f", "json")
    assert p.returncode == 0
    data = json.loads(p.stdout)
    assert [d["container"]["id"] for d in data] == [a.id, b.id]
    p = doctor("inspect", a.id, "no-such-container-zz9", "-f", "json")
    assert p.returncode == 4
    assert [d["container"]["id"] for d in json.loads(p.stdout)] == [a.id]
    assert "no such container: no-such-container-zz9" in p.stderr


def test_fail_on_and_output_file(lab, tmp_path) -> None:
    bad = lab.run(BUSYBOX, ["sh", "-c", "echo 'fatal: broken' >&2; exit 1"])
    good = lab.run(BUSYBOX, ["sh", "-c", "echo done"])
    assert doctor("inspect", bad.id, "--fail-on", "error").returncode == 5
    assert doctor("inspect", bad.id, "--fail-on", "none").returncode == 0
    assert doctor("inspect", good.id, "--fail-on", "error").returncode == 0
    out = tmp_path / "report.md"
    out.write_text("old contents")
    p = doctor("inspect", bad.id, "-f", "markdown", "-o", str(out))
    assert p.returncode == 0 and p.stdout == ""
    assert out.read_text().startswith("### dockerdoctor: ")
    assert "`nonzero-exit`" in out.read_text()
    p = doctor("inspect", bad.id, "-o", str(tmp_path))  # a directory: refused, nothing lost
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1


def test_colour_only_when_asked_or_on_a_terminal(lab) -> None:
    c = lab.run(BUSYBOX, ["sh", "-c", "exit 1"])
    assert "\x1b[" not in doctor("inspect", c.id).stdout  # not a terminal
    assert "\x1b[31m" in doctor("inspect", c.id, "--color", "always").stdout
    assert "\x1b[" not in doctor("inspect", c.id, "-f", "markdown", "--color", "always").stdout


def test_tail_since_until(lab) -> None:
    script = "for i in $(seq 1 50); do echo line $i; done; sleep 2; echo late; exit 1"
    c = lab.run(BUSYBOX, ["sh", "-c", script])
    r = lab.inspect(c, "--tail", "5")
    tail = [x["text"] for x in r.json["logs"]["tail"]]
    assert tail == ["line 47", "line 48", "line 49", "line 50", "late"]
    assert r.json["logs"]["truncated"] is True
    r = lab.inspect(c, "--tail", "100")
    assert len(r.json["logs"]["tail"]) == 51 and r.json["logs"]["truncated"] is False
    late = c.attrs["State"]["FinishedAt"]
    r = lab.inspect(c, "--since", late[:19] + "Z")  # from the second "late" was written
    assert [x["text"] for x in r.json["logs"]["tail"]][-1] == "late"
    assert len(r.json["logs"]["tail"]) <= 2
    r = lab.inspect(c, "--since", "1h")
    assert len(r.json["logs"]["tail"]) == 51
    r = lab.inspect(c, "--until", "1h")  # until an hour ago: nothing yet
    assert r.json["logs"]["tail"] == []


def test_planted_secrets_never_leave(lab) -> None:
    secret = "s3cr3t-Planted-Value-91"
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    aws = "AKIA" + "QWERTYUIOPASDFGH"
    script = ('echo "connecting with $DB_PASSWORD"; '
              f'echo "using postgres://app:{secret}x@db:5432/prod"; '
              f'echo "token={token}" >&2; echo "aws key {aws}" >&2; exit 1')
    c = lab.run(BUSYBOX, ["sh", "-c", script],
                environment={"DB_PASSWORD": secret, "PLAIN": "visible-value"})
    outputs = [doctor("inspect", c.id, "-f", fmt).stdout for fmt in ("text", "markdown", "json")]
    for out in outputs:
        for planted in (secret, token, aws):
            assert planted not in out
        assert "[redacted]" in out
    js = json.loads(outputs[2])
    assert any("postgres://app:[redacted]@db" in x["text"] for x in js["logs"]["tail"])
    p = doctor("inspect", c.id, "--no-redact")
    assert secret in p.stdout and token in p.stdout
    assert "not redacted" in p.stderr


def test_hostile_output_cannot_drive_the_terminal(lab) -> None:
    script = (r"printf '\033]0;pwned\007\033[2J\033[1;1Hclear\n'; "
              r"printf 'bin \001\002\377\376 data\n' >&2; head -c 3000 /bin/busybox; exit 1")
    c = lab.run(BUSYBOX, ["sh", "-c", script])
    for fmt in ("text", "markdown"):
        out = doctor("inspect", c.id, "-f", fmt).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x00" not in out
    js = json.loads(doctor("inspect", c.id, "-f", "json").stdout)
    assert js["findings"][0]["id"] == "nonzero-exit"


def test_python_worker_report_reads_like_a_diagnosis(lab) -> None:
    c = lab.run(PYTHON, ["python3", "-c", "import os\nprint('worker up')\n"
                         "os.environ['QUEUE_URL']"])
    p = doctor("inspect", c.id)
    first = p.stdout.splitlines()[0]
    assert first.startswith("✖ ERROR") and "QUEUE_URL" in first and "[missing-env]" in first


@pytest.mark.parametrize("deep", ["--no-deep", "--deep"])
def test_a_local_socket_does_not_load_docker_py(lab, deep: str) -> None:
    """Reads and the deep path's writes speak HTTP themselves on unix:// and tcp://:
    importing docker-py and requests costs more than the whole diagnosis
    (bench/README.md)."""
    import subprocess
    import sys

    c = lab.run(BUSYBOX, ["sh", "-c", "echo 'fatal: config missing' >&2; exit 2"])
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "dockerdoctor", "inspect",
                        c.id, deep, "-f", "json"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert report["container"]["id"] == c.id
    if deep == "--deep":  # the debug copy was made, run and removed without docker-py
        assert report["forensics"]["method"] == "debug-container", report["forensics"]
        assert report["forensics"]["errors"] == []
        assert report["forensics"]["probes"], report["forensics"]
    modules = {line.rsplit("|", 1)[-1].strip() for line in p.stderr.splitlines()
               if line.startswith("import time:")}
    assert "docker" not in modules and "requests" not in modules and "urllib3" not in modules
