"""The toolbox: a static busybox copied into a debug container of a shell-less image
(FROM scratch, distroless) before it starts, so probes and `doctor shell` have a shell.

The busybox comes from an image the user names (`--toolbox IMAGE`, e.g. busybox:musl or
any image with a static /bin/busybox), read through the archive API from a container
created from it and never started.
"""

from __future__ import annotations

import io
import tarfile
import time

from dockerdoctor.engine import ArtifactEngine, read_tree
from dockerdoctor.errors import DoctorError
from dockerdoctor.forensics import artifacts
from dockerdoctor.probe import parse_elf

DIR = "/.doctor-toolbox"
SHELL = f"{DIR}/busybox"
PATH = f"{DIR}/bin"
APPLETS = ("sh", "ls", "id", "df", "cat", "head", "tail", "tr", "grep", "find", "stat",
           "wc", "env", "ps", "od", "du", "less", "vi", "which", "file", "hexdump", "echo",
           "test", "[", "readlink", "uname", "whoami")
_CANDIDATES = ("/bin/busybox", "/busybox/busybox", "/usr/bin/busybox", "/bin/busybox.static")
MAX_BINARY = 16 * 1024 * 1024


def fetch_busybox(engine: ArtifactEngine, image: str, source_id: str) -> bytes:
    """The bytes of a statically linked busybox from `image`."""
    holder = engine.create(image, artifacts.labels("toolbox-container", source_id),
                           entrypoint=["/bin/busybox", "true"], command=[])
    try:
        for path in _CANDIDATES:
            entries = read_tree(engine.engine, holder, path, lambda n, s: MAX_BINARY,
                                MAX_BINARY + 1024 * 1024)
            for e in entries:
                if e["type"] == "file" and e["data"] and not e.get("partial"):
                    data: bytes = e["data"]
                    machine, loader = parse_elf(data[:16384])
                    if machine and loader:
                        raise DoctorError(f"{image}:{path} is dynamically linked (needs "
                                          f"{loader}); the toolbox needs a static busybox")
                    if machine:
                        return data
    finally:
        engine.remove_container(holder)
    raise DoctorError(f"no static busybox found in {image} (looked at "
                      f"{', '.join(_CANDIDATES)})")


def install(engine: ArtifactEngine, cid: str, busybox: bytes) -> None:
    """Copy busybox and its applet links into the created, not yet started, container."""
    buf = io.BytesIO()
    now = int(time.time())
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in (DIR.lstrip("/"), PATH.lstrip("/")):
            d = tarfile.TarInfo(name)
            d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, now
            tar.addfile(d)
        info = tarfile.TarInfo(SHELL.lstrip("/"))
        info.size, info.mode, info.mtime = len(busybox), 0o755, now
        tar.addfile(info, io.BytesIO(busybox))
        for applet in APPLETS:
            link = tarfile.TarInfo(f"{PATH.lstrip('/')}/{applet}")
            link.type, link.linkname, link.mode, link.mtime = tarfile.SYMTYPE, SHELL, 0o777, now
            tar.addfile(link)
    engine.put_archive(cid, "/", buf.getvalue())
