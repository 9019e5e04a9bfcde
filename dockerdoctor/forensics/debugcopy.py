"""The debug copy: commit the container, run a probe script in an isolated container
made from it, and remove both in every path (success, error, time-out, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from dockerdoctor.engine import ArtifactEngine, LogOptions
from dockerdoctor.errors import DoctorError
from dockerdoctor.forensics import artifacts
from dockerdoctor.interrupts import signals_deferred
from dockerdoctor.model import Snapshot

# POSIX sh, busybox-friendly. $1 is the program the container runs, the rest are paths
# to check as the container's own user. Sections start with "@@ ".
PROBE_SCRIPT = r"""
argv0="$1"; shift
echo "@@ id"; id 2>&1
echo "@@ program"
if [ -n "$argv0" ]; then
  p="$argv0"
  case "$p" in
    */*) ;;
    *) for d in $(echo "$PATH" | tr ':' ' '); do
         if [ -e "$d/$p" ]; then p="$d/$p"; break; fi
       done ;;
  esac
  ls -lL "$p" 2>&1
  if command -v ldd >/dev/null 2>&1; then echo "@@ ldd"; ldd "$p" 2>&1 | head -n 30; fi
fi
for path in "$@"; do
  echo "@@ path $path"
  ls -ld "$path" 2>&1
  if [ -w "$path" ]; then echo "writable by this user: yes"
  else echo "writable by this user: no"; fi
done
echo "@@ df"; df -h / "$@" 2>&1 | head -n 20
exit 0
"""


def run_probes(engine: ArtifactEngine, s: Snapshot, shell: list[str], paths: list[str],
               timeout: float, keep_image: bool, prepare: Callable[[str], None] | None = None,
               environment: list[str] | None = None,
               ) -> tuple[tuple[tuple[str, str], ...], str, list[str]]:
    """(probes, kept image id or "", errors).

    `shell` is the argv that starts a shell (["/bin/sh"], or the toolbox's busybox);
    `prepare(container id)` runs after the debug container is created, before it starts.
    """
    c = s.container
    errors: list[str] = []
    image = ""
    debug = ""
    # An interrupt that lands while a commit or create is in flight does not stop the
    # engine: the artifact appears after we gave up on learning its id. So those calls
    # hold SIGINT/SIGTERM until they return (then unwind, and cleanup knows the id), and
    # everything this run creates carries its own run id for a last sweep.
    run = uuid.uuid4().hex[:12]
    finished = False
    try:
        with signals_deferred():
            image = engine.commit(
                c.id, artifacts.labels("debug-image", c.id, run), artifacts.REPOSITORY,
                f"{c.id[:12]}-{int(time.time())}-{run[:6]}")
        argv0 = c.argv[0] if c.argv else ""
        user = c.user or "0"
        with signals_deferred():
            debug = engine.create(
                image, artifacts.labels("debug-container", c.id, run),
                entrypoint=[*shell, "-c", PROBE_SCRIPT, "doctor-probe"],
                command=[argv0, *paths], user=user, working_dir=c.working_dir or "/",
                tty=False, stdin_open=False, environment=environment,
            )
        if prepare:
            prepare(debug)
        try:
            engine.start(debug)
        except DoctorError as e:
            if user == "0":
                raise
            # the configured user may not exist in the image (that can be the failure)
            errors.append(f"as user {user}: {e.message}; probed as root instead")
            engine.remove_container(debug)
            debug = ""
            with signals_deferred():
                debug = engine.create(
                    image, artifacts.labels("debug-container", c.id, run),
                    entrypoint=[*shell, "-c", PROBE_SCRIPT, "doctor-probe"],
                    command=[argv0, *paths], user="0", working_dir="/",
                    environment=environment,
                )
            if prepare:
                prepare(debug)
            engine.start(debug)
        code = engine.wait(debug, timeout)
        if code is None:
            engine.kill(debug)
            errors.append(f"the debug container was killed after {timeout:.0f}s")
        raw = engine.engine.logs(debug, False, LogOptions(tail=2000))
        probes = _sections([line[2] for line in raw["lines"]])
        finished = True
        return probes, image if keep_image else "", errors
    finally:
        # an interrupt during cleanup would leave artifacts: hold it until cleanup is done
        with signals_deferred():
            keep = image if keep_image and finished else ""
            if debug and not engine.remove_container(debug):
                errors.append(f"could not remove debug container {debug[:12]}: "
                              "`doctor gc` removes it")
            if image and not keep and not engine.remove_image(image):
                errors.append(f"could not remove debug image {image[7:19]}: "
                              "`doctor gc` removes it")
            errors.extend(sweep(engine, run, keep))


def sweep(engine: ArtifactEngine, run: str, keep: str) -> list[str]:
    """Remove whatever this run created that cleanup does not know by id."""
    try:
        containers, images = engine.labelled(f"{artifacts.RUN}={run}")
    except DoctorError:
        return []
    errors = []
    for ctr in containers:
        if not engine.remove_container(ctr["Id"]):
            errors.append(f"could not remove debug container {ctr['Id'][:12]}: "
                          "`doctor gc` removes it")
    for img in images:
        if img["Id"] != keep and not engine.remove_image(img["Id"]):
            errors.append(f"could not remove debug image {img['Id'][7:19]}: "
                          "`doctor gc` removes it")
    return errors


def _sections(lines: list[str]) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("@@ "):
            out.append((line[3:].strip(), []))
        elif out:
            out[-1][1].append(line)
    return tuple((name, "\n".join(body).strip()) for name, body in out)
