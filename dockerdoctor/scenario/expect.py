"""A scenario's expectations against a diagnosis (pure)."""

from __future__ import annotations

from dockerdoctor.model import Diagnosis, Severity
from dockerdoctor.scenario.spec import Expect


def check(expect: Expect, d: Diagnosis) -> list[str]:
    """What did not hold, one line each (empty: every expectation held)."""
    from dockerdoctor.report import text

    ids = [f.id for f in d.findings]
    failures = []
    missing = [i for i in expect.findings if i not in ids]
    if missing:
        failures.append(f"missing finding(s) {', '.join(missing)} (found: "
                        f"{', '.join(ids) or 'none'})")
    if expect.verdict and (not ids or ids[0] != expect.verdict):
        failures.append(f"verdict {ids[0] if ids else 'none'}, expected {expect.verdict}")
    unwanted = [i for i in expect.absent if i in ids]
    if unwanted:
        failures.append(f"unexpected finding(s) {', '.join(unwanted)}")
    if expect.max_severity:
        limit = Severity(expect.max_severity).rank
        worse = [f"{f.id} ({f.severity.value})" for f in d.findings
                 if f.severity.rank > limit]
        if worse:
            failures.append(f"worse than {expect.max_severity}: {', '.join(worse)}")
    ran = bool(d.forensics and d.forensics.ran)
    if expect.deep is not None and ran != expect.deep:
        reason = d.forensics.reason if d.forensics else "no decision"
        failures.append(f"deep forensics {'ran' if ran else 'did not run'} "
                        f"({reason}), expected it "
                        f"{'to run' if expect.deep else 'not to run'}")
    if expect.contains or expect.not_contains:
        report = text.render(d, color=False)
        for t in expect.contains:
            if t not in report:
                failures.append(f"the report does not say {t!r}")
        for t in expect.not_contains:
            if t in report:
                failures.append(f"the report says {t!r}")
    return failures
