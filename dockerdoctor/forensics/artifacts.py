"""Labels on everything forensics creates, and `doctor gc` for what a killed run left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dockerdoctor.engine import ArtifactEngine
from dockerdoctor.times import iso, parse_docker_time

LABEL = "dockerdoctor.artifact"
SOURCE = "dockerdoctor.source"
CREATED = "dockerdoctor.created"
RUN = "dockerdoctor.run"  # one id per `doctor inspect --deep`: its cleanup sweeps by it
REPOSITORY = "dockerdoctor-debug"


def labels(kind: str, source_id: str, run: str = "") -> dict[str, str]:
    out = {LABEL: kind, SOURCE: source_id, CREATED: iso(datetime.now(UTC)) or ""}
    if run:
        out[RUN] = run
    return out


def gc(engine: ArtifactEngine, older_than: timedelta) -> list[str]:
    """Remove debug containers and images dockerdoctor labelled, older than `older_than`.

    Returns one line per artifact removed (or that could not be removed).
    """
    now = datetime.now(UTC)
    containers, images = engine.labelled(LABEL)
    done = []
    for c in containers:
        if _old_enough(c.get("Labels") or {}, now, older_than):
            ok = engine.remove_container(c["Id"])
            done.append(f"{'removed' if ok else 'could not remove'} container {c['Id'][:12]} "
                        f"({(c.get('Labels') or {}).get(LABEL, '')})")
    for img in images:
        if _old_enough(img.get("Labels") or {}, now, older_than):
            ok = engine.remove_image(img["Id"])
            tags = ", ".join(img.get("RepoTags") or []) or img["Id"][7:19]
            done.append(f"{'removed' if ok else 'could not remove'} image {tags}")
    return done


def _old_enough(lbl: dict[str, Any], now: datetime, older_than: timedelta) -> bool:
    created = parse_docker_time(lbl.get(CREATED))
    return created is None or now - created >= older_than
