"""Container output is hostile: long lines of base64, JSON or digits must not make any
check or the redaction regexes go quadratic. Run in a subprocess with a hang guard (this
is not a performance measurement: bench/ does that; a quadratic regex takes minutes)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_checks_and_redaction_survive_pathological_lines() -> None:
    code = textwrap.dedent(
        """
        import json, random, string
        from dockerdoctor import snapshot
        from dockerdoctor.diagnose import diagnose_snapshot
        raw = json.load(open("tests/fixtures/missing_env.json"))
        rnd = random.Random(7)
        alphabets = [string.ascii_letters + string.digits + "+/=",  # base64
                     string.ascii_uppercase + string.digits + "_",
                     string.digits + ".", string.ascii_lowercase + ".-"]
        lines = []
        for i in range(120):
            body = "".join(rnd.choice(alphabets[i % 4]) for _ in range(8000))
            tail = [": command not found", ": parameter not set", " refused",
                    ":8080 address already in use", " password", "://x:y@"][i % 6]
            lines.append(["stderr", None, body + tail])
        raw["logs"]["lines"] = lines + raw["logs"]["lines"]
        d = diagnose_snapshot(snapshot.build(raw))
        print(d.verdict.id)
        """
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() in ("command-not-found", "missing-env")
