"""Look at the program a container failed to execute, from its bytes.

Pure logic over two read callables (stat and read-the-first-bytes), which the engine
layer backs with the archive API: that works on stopped containers, runs nothing inside
them and changes nothing. Used when the state or logs show an exec failure, to tell a CRLF
shebang from a missing interpreter, a missing dynamic loader or a foreign architecture.
"""

from __future__ import annotations

import posixpath
import re
import struct
from collections.abc import Callable
from typing import Any

from dockerdoctor.model import Container, ExecProbe

Stat = Callable[[str], "dict[str, Any] | None"]
Head = Callable[[str, int], "bytes | None"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HEAD_BYTES = 16384
_GO_DIR = 1 << 31
_GO_SYMLINK = 1 << 27

ELF_MACHINES = {
    3: "i386",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv64",
    258: "loongarch64",
}

# engine "Architecture" (uname -m style or Go style) -> ELF machine names it runs
_ENGINE_ARCH = {
    "x86_64": {"x86_64", "i386"},
    "amd64": {"x86_64", "i386"},
    "aarch64": {"aarch64", "arm"},
    "arm64": {"aarch64", "arm"},
    "armv7l": {"arm"},
    "arm": {"arm"},
    "s390x": {"s390x"},
    "ppc64le": {"ppc64"},
    "riscv64": {"riscv64"},
}

_PATH_IN_ERROR = [
    re.compile(r"exec:? \"?(?P<p>/[^\s\":]+)\"?: (?:no such file|exec format|permission denied)"),
    re.compile(r"stat (?P<p>/[^\s:]+): no such file"),
    re.compile(r"exec (?P<p>\S+): (?:no such file|exec format|permission denied)"),
]


def runs_on(engine_arch: str, elf_machine: str | None) -> bool | None:
    if not elf_machine or not engine_arch:
        return None
    allowed = _ENGINE_ARCH.get(engine_arch.lower())
    if allowed is None:
        return None
    return elf_machine in allowed


def target_from_texts(texts: list[str]) -> str | None:
    """The path an exec error names ("exec /app/run.sh: no such file or directory")."""
    for text in texts:
        for pattern in _PATH_IN_ERROR:
            m = pattern.search(text)
            if m:
                return m.group("p")
    return None


def resolve_argv0(container: Container, stat: Stat) -> str:
    argv = container.argv
    if not argv:
        return ""
    argv0 = argv[0]
    if argv0.startswith("/"):
        return argv0
    if "/" in argv0:
        return posixpath.normpath(posixpath.join(container.working_dir or "/", argv0))
    path = container.env_value("PATH") or DEFAULT_PATH
    for directory in path.split(":"):
        if directory.startswith("/"):
            candidate = posixpath.join(directory, argv0)
            if stat(candidate) is not None:
                return candidate
    return ""


def _follow(path: str, stat: Stat) -> tuple[str, dict[str, Any] | None]:
    """Resolve symlinks ourselves (the archive API returns the link, not its target)."""
    st = stat(path)
    for _ in range(10):
        if st is None:
            return path, None
        link = st.get("linkTarget") or ""
        mode = int(st.get("mode") or 0)
        if not link or not (mode & _GO_SYMLINK):
            return path, st
        path = link if link.startswith("/") else posixpath.normpath(
            posixpath.join(posixpath.dirname(path), link)
        )
        st = stat(path)
    return path, st


def probe(container: Container, target: str | None, stat: Stat, head: Head) -> ExecProbe:
    argv0 = target or (container.argv[0] if container.argv else "")
    path = target if target and target.startswith("/") else resolve_argv0(container, stat)
    if not path:
        return ExecProbe(argv0=argv0, path="", exists=False,
                         note=f"{argv0!r} was not found on the container's PATH")
    path, st = _follow(path, stat)
    if st is None:
        return ExecProbe(argv0=argv0, path=path, exists=False)
    mode = int(st.get("mode") or 0)
    if mode & _GO_DIR:
        return ExecProbe(argv0=argv0, path=path, exists=True, is_dir=True, mode=mode & 0o7777)
    data = head(path, HEAD_BYTES) or b""
    fields: dict[str, Any] = {
        "argv0": argv0, "path": path, "exists": True, "mode": mode & 0o7777,
        "size": st.get("size"),
    }
    if data.startswith(b"#!"):
        line = data.split(b"\n", 1)[0]
        fields["shebang_cr"] = line.endswith(b"\r")
        text = line.rstrip(b"\r").decode("utf-8", "replace")
        fields["first_line"] = text + ("\\r" if fields["shebang_cr"] else "")
        parts = text[2:].strip().split()
        if parts:
            interp = parts[0]
            fields["interpreter"] = interp
            # "#!/bin/sh\r": the kernel looks for "/bin/sh\r", which does not exist
            if fields["shebang_cr"] and len(parts) == 1:
                fields["interpreter_exists"] = False
            else:
                fields["interpreter_exists"] = _follow(interp, stat)[1] is not None
    elif data.startswith(b"\x7fELF"):
        fields["is_elf"] = True
        machine, loader = parse_elf(data)
        fields["elf_machine"] = machine
        if loader:
            fields["elf_interp"] = loader
            fields["elf_interp_exists"] = _follow(loader, stat)[1] is not None
    else:
        first = data.split(b"\n", 1)[0][:200]
        fields["first_line"] = first.decode("utf-8", "replace") if data else None
    return ExecProbe(**fields)


def parse_elf(data: bytes) -> tuple[str | None, str | None]:
    """(machine name, PT_INTERP) from an ELF header; both None when unreadable."""
    if len(data) < 20 or not data.startswith(b"\x7fELF"):
        return None, None
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    (e_machine,) = struct.unpack_from(endian + "H", data, 18)
    machine = ELF_MACHINES.get(e_machine, f"machine {e_machine}")
    try:
        if is64:
            e_phoff, = struct.unpack_from(endian + "Q", data, 32)
            e_phentsize, e_phnum = struct.unpack_from(endian + "HH", data, 54)
        else:
            e_phoff, = struct.unpack_from(endian + "I", data, 28)
            e_phentsize, e_phnum = struct.unpack_from(endian + "HH", data, 42)
        for i in range(min(e_phnum, 64)):
            off = e_phoff + i * e_phentsize
            (p_type,) = struct.unpack_from(endian + "I", data, off)
            if p_type != 3:  # PT_INTERP
                continue
            if is64:
                p_offset, = struct.unpack_from(endian + "Q", data, off + 8)
                p_filesz, = struct.unpack_from(endian + "Q", data, off + 32)
            else:
                p_offset, = struct.unpack_from(endian + "I", data, off + 4)
                p_filesz, = struct.unpack_from(endian + "I", data, off + 16)
            raw = data[p_offset : p_offset + p_filesz]
            return machine, raw.rstrip(b"\0").decode("utf-8", "replace") or None
    except struct.error:
        pass
    return machine, None
