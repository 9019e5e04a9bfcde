"""The two controls: a healthy running service and a finished batch job get no error."""

from __future__ import annotations

from tests.conftest import BUSYBOX


def test_running_service_has_no_error(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo ready; exec sleep 300"], wait=False)
    lab.wait_for(c, lambda a: a["State"]["Running"], what="running")
    r = lab.inspect(c)
    assert r.exit_code == 0
    assert "error" not in r.severities(), r.text
    assert r.json["container"]["status"] == "running"
    assert r.text.startswith("✔ OK")


def test_batch_job_that_finished_has_no_error(lab):
    c = lab.run(BUSYBOX, ["sh", "-c", "echo processed 42 records; exit 0"])
    r = lab.inspect(c)
    assert r.json["container"]["exit_code"] == 0
    assert "error" not in r.severities(), r.text
    assert r.json["logs"]["tail"][-1]["text"] == "processed 42 records"
