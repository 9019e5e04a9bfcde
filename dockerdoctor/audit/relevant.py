"""The image facts that explain a container's failure, for `doctor inspect` (pure).

Not the whole audit (`doctor image` does that): only what changes how to read this crash,
with the same ids as the audit and severity info (they give context; the cause stays the
verdict):

- `image-shell-form`: it was stopped the hard way (stop-timeout) and the image's command
  runs under `/bin/sh -c`, which is PID 1 and does not pass SIGTERM on;
- `image-runs-as-root`: it was denied a file although it runs as root (so the cause is
  the mount: NFS root squash, an SELinux label, a rootless engine, a read-only mount);
- `image-no-shell`: deep forensics found no shell, so it read files through the archive
  API only (and `doctor shell` needs --toolbox).
"""

from __future__ import annotations

import json
from typing import Any

from dockerdoctor.model import Evidence, Finding, Forensics, Severity, Snapshot

ROOT_USERS = ("", "0", "root", "0:0", "root:root", "0:root", "root:0")  # USER values that are root


def facts_for(s: Snapshot, findings: tuple[Finding, ...], forensics: Forensics | None
              ) -> tuple[Finding, ...]:
    ids = {f.id for f in findings}
    out: list[Finding] = []
    image = s.image
    c = s.container
    form = shell_form(c.entrypoint, c.cmd)
    if image is not None and "stop-timeout" in ids and form and not c.init:
        which, argv = form
        out.append(_fact(
            "image-shell-form", f"The command runs in shell form: {argv[0]} is PID 1",
            f"Its {which} is `{argv[0]} -c ...`: the shell is PID 1, and a shell does not "
            "pass SIGTERM on to the app, so `docker stop` had to wait and kill it.",
            f"Use the exec form ({which} [\"app\", ...]), `exec` the app at the end of a "
            "wrapper script, or run with --init.",
            [Evidence(f"Config.{which.title()}", json.dumps(argv))]))
    if {"permission-denied", "read-only-fs"} & ids and (c.user or "").strip() in ROOT_USERS:
        mounts = [m for m in c.mounts if m.type in ("bind", "volume")]
        out.append(_fact(
            "image-runs-as-root", "It runs as root and was still denied",
            "Root is not denied by file modes inside the container's own file system, so "
            "the path is on a mount that refuses it: a read-only mount, an NFS export with "
            "root squash, an SELinux label (bind mounts need :z or :Z), or a rootless "
            "engine whose root is an unprivileged user on the host.",
            "Check the mount the error names: its :ro flag, the host directory's owner and "
            "SELinux context; relabel with :z, or use a named volume.",
            [Evidence("Config.User", c.user or "(unset: root)"),
             *[Evidence("Mounts", f"{m.type} {m.source or m.name} -> {m.destination}")
               for m in mounts[:3]]]))
    if forensics is not None and forensics.ran and forensics.method == "archive" and any(
            "no shell" in e for e in forensics.errors):
        out.append(_fact(
            "image-no-shell", "The image has no shell (scratch or distroless)",
            "Deep forensics could not run probes in a debug copy and read the files "
            "through the archive API instead; `docker exec ... sh` cannot work either.",
            "Give `doctor inspect --deep --toolbox IMAGE` or `doctor shell --toolbox IMAGE` "
            "an image with a static busybox to debug it.",
            [Evidence("deep forensics", "no /bin/sh, /bin/bash, /busybox/sh or /bin/ash")]))
    return tuple(out)


def shell_form(entrypoint: Any, cmd: Any) -> tuple[str, list[str]] | None:
    """("ENTRYPOINT" or "CMD", argv) when PID 1 is `sh -c ...`: the entrypoint when there
    is one, else the command. Shared with the audit's image-shell-form rule."""
    entry, command = list(entrypoint or ()), list(cmd or ())
    argv = entry or command
    if len(argv) >= 3 and argv[0] in ("/bin/sh", "/bin/bash", "sh") and argv[1] == "-c":
        return ("ENTRYPOINT" if entry else "CMD"), argv
    return None


def _fact(fid: str, title: str, why: str, fix: str, ev: list[Evidence]) -> Finding:
    return Finding(fid, Severity.INFO, title, why, fix, tuple(ev))
