"""Exec failures: the container's program could not be started at all.

The engine's and runc's wording changed across versions (see the FAILURES reference):
"exec user process caused ...", "exec /x: no such file or directory", "failed to create
task for container: ... exec: \"x\": executable file not found in $PATH". When the text is
ambiguous, the exec probe (the program's bytes, read through the archive API) decides.
"""

from __future__ import annotations

import re

from dockerdoctor.checks.base import crashed, finding, grep, line_evidence, state
from dockerdoctor.model import Evidence, ExecProbe, Finding, LogLine, Severity, Snapshot
from dockerdoctor.probe import runs_on

# engines before 20.10 quote the name with escaped quotes: exec: \"db:create\": ...
_NOT_IN_PATH = re.compile(
    r'exec: \\?"(?P<name>[^"\\]+)\\?": executable file not found in \$PATH')
# the OCI runtime's words only: an app's own "stat /etc/app.yaml: no such file" is not one
_STAT_MISSING = re.compile(
    r'exec: \\?"[^"]*\\?": stat (?P<name>/\S+?): no such file or directory')
_EXEC_NOENT = re.compile(
    r'^exec (?P<name>/?\S+): no such file or directory|'
    r'exec user process caused:? "?no such file or directory|'
    r'standard_init_linux\.go:\d+: exec user process caused:? "?no such file'
)
_EXEC_FORMAT = re.compile(r"exec format error", re.IGNORECASE)
_EXEC_PERM = re.compile(
    r'exec:? "?(?P<name>[^":\s]+)"?: permission denied|'
    r'exec user process caused:? "?permission denied'
)
_CRLF = re.compile(
    r"\r: bad interpreter|\^M: bad interpreter|\$'\\r': command not found|"
    r"set: Illegal option -\s*$|\$'\\r'|: not found\r|\r: not found|\r: No such file",
)
_LIBRARY = re.compile(
    r"error while loading shared libraries: (?P<lib>\S+?):|Error relocating|"
    r"required file not found|symbol not found|GLIBC_\d[\d.]* not found|"
    r"version `GLIBC_[\d.]+' not found"
)
_SHELL_NOT_FOUND = re.compile(
    r"^(?:/bin/)?(?:ba|da|z|a)?sh: (?:line )?(?:\d+: )?(?P<name>[^:]+): (?:command )?not found|"
    r"^env: '?(?P<env>[^':]+)'?: No such file or directory|"
    r"(?<!\S)(?P<cmd>\S+): command not found$"
)
_SHELL_PARAMETER = re.compile(r": parameter (?:null or )?not set")
_SHELL_PERM = re.compile(
    r"^(?:/bin/)?(?:ba|da|z|a)?sh: (?:\d+: )?(?P<name>[^:]+): Permission denied"
)


def _probe_evidence(p: ExecProbe) -> tuple[Evidence, ...]:
    src = f"file {p.path or p.argv0}"
    if not p.exists:
        note = f" ({p.note})" if p.note else ""
        return (Evidence(src, "does not exist in the container" + note),)
    if p.is_dir:
        return (Evidence(src, "is a directory"),)
    parts = []
    if p.mode is not None:
        parts.append(f"mode {p.mode:04o}" + ("" if p.mode & 0o111 else " (not executable)"))
    if p.first_line is not None:
        if p.shebang_cr:
            # the probe marks the CR as a literal backslash-r at the end of the line
            shown = p.first_line.removesuffix("\\r")
            parts.append(f"first line '{shown}' ends in CR (\\r: Windows line ending)")
        else:
            parts.append(f"first line {p.first_line!r}")
    if p.interpreter and p.shebang_cr:
        parts.append(f"so the kernel looks for the interpreter '{p.interpreter}\\r', which "
                     "does not exist")
    elif p.interpreter:
        parts.append(f"interpreter {p.interpreter} "
                     + ("exists" if p.interpreter_exists else "does not exist"))
    if p.is_elf:
        parts.append(f"ELF binary for {p.elf_machine}")
        if p.elf_interp:
            parts.append(f"needs loader {p.elf_interp} "
                         + ("(present)" if p.elf_interp_exists else "(missing)"))
        else:
            parts.append("statically linked")
    return (Evidence(src, ", ".join(parts) or "exists"),)


def _texts(
    s: Snapshot, pattern: re.Pattern[str]
) -> tuple[tuple[Evidence, ...], re.Match[str] | None]:
    """Match the pattern in State.Error first, then the logs."""
    if s.container.error:
        m = pattern.search(s.container.error)
        if m:
            return (state("Error", s.container.error),), m
    lines = grep(s, pattern, 2)
    if lines:
        return line_evidence(lines), pattern.search(lines[-1].text)
    return (), None


def check_exec(s: Snapshot) -> list[Finding]:
    c = s.container
    if not crashed(s) and c.status != "created":
        return []
    p = s.exec_probe
    code = [state("ExitCode", c.exit_code)] if c.exit_code else []
    probe_ev = _probe_evidence(p) if p else ()
    argv = " ".join(c.argv) or "(none)"

    def crlf(ev: tuple[Evidence, ...]) -> list[Finding]:
        script = p.path if p and p.shebang_cr else "the script"
        return [finding(
            "crlf-shebang", Severity.ERROR,
            f"{script} has Windows (CRLF) line endings",
            f"The first line of {script} ends in a carriage return, so the kernel looks "
            "for an interpreter named e.g. \"/bin/sh\\r\", which does not exist; the error "
            "says \"no such file or directory\" although the script is there. This happens "
            "when the file was edited or checked out on Windows (git autocrlf).",
            "Convert it to LF: `sed -i 's/\\r$//' FILE` or dos2unix in the Dockerfile, and "
            "add `*.sh text eol=lf` to .gitattributes so it stays fixed.",
            (*ev, *probe_ev, *code),
        )]

    def missing_library(ev: tuple[Evidence, ...], lib: str | None) -> list[Finding]:
        what = (f"the shared library {lib}" if lib else
                f"the dynamic loader {p.elf_interp}" if p and p.elf_interp else
                "its dynamic loader or a shared library")
        return [finding(
            "missing-library", Severity.ERROR,
            f"The program cannot load {what}",
            "The binary is dynamically linked and the image lacks what it links against. "
            "Typical: a binary built on a glibc system (Debian, Ubuntu) copied into an "
            "Alpine/musl or scratch/distroless image, where /lib64/ld-linux-x86-64.so.2 "
            "does not exist, so exec reports \"no such file or directory\" for a file that "
            "is there; or a runtime package missing from a multi-stage build.",
            "Build on the same base the binary runs on; link statically (Go: "
            "CGO_ENABLED=0); install the library (apt-get install / apk add), or use a "
            "glibc base such as debian-slim. `ldd BINARY` in the image lists what is missing.",
            (*ev, *probe_ev, *code),
        )]

    def not_found(ev: tuple[Evidence, ...], name: str | None, how: str,
                  probed: bool = True) -> list[Finding]:
        return [finding(
            "command-not-found", Severity.ERROR,
            f"Command not found: {name}" if name else "Command not found",
            how,
            "Check the spelling and the path; install the program in the image; put "
            "docker run options before the image name (anything after it becomes the "
            "command); for scripts use an absolute path or ./ and make them executable.",
            (*ev, *(probe_ev if probed else ()), config_ev(argv), *code),
        )]

    def config_ev(text: str) -> Evidence:
        return Evidence("Config.Entrypoint+Cmd", text)

    # 1. CRLF: the clearest signature, and the probe can prove it
    ev, m = _texts(s, _CRLF)
    if m or (p and p.shebang_cr):
        return crlf(ev or _texts(s, _EXEC_NOENT)[0])

    # 2. exec format error: wrong architecture or a script without #!
    ev, m = _texts(s, _EXEC_FORMAT)
    if m:
        arch = s.engine.architecture
        fix = ("Compare `docker image inspect -f '{{.Architecture}}' IMAGE` with the host; "
               "build multi-arch images with buildx (--platform) using $TARGETPLATFORM; add "
               "#!/bin/sh (or the right interpreter) as the script's first line.")
        if p and p.is_elf and runs_on(arch, p.elf_machine) is False:
            title = f"The binary is built for {p.elf_machine}, the engine runs {arch}"
            why = ("The image (or a binary copied into it) is for another CPU architecture. "
                   "Single-architecture images pulled on another platform, or a build that "
                   "used $BUILDPLATFORM instead of $TARGETPLATFORM, do this.")
            fix = ("Use an image built for the engine's architecture: build multi-arch "
                   "images with buildx (--platform) using $TARGETPLATFORM, or pull the "
                   f"variant for {arch}.")
        elif p and p.exists and not p.is_elf and (p.first_line is None or
                                                   not p.first_line.startswith("#!")):
            title = f"{p.path} is a script without a #! line"
            why = ("The kernel can only exec binaries and scripts that start with #!; a "
                   "script without an interpreter line fails with exec format error.")
            fix = ("Add #!/bin/sh (or the interpreter it is written for, e.g. "
                   "#!/usr/bin/env python3) as the script's first line, or run it through "
                   f"its interpreter: [\"sh\", \"{p.path}\"].")
        else:
            title = "exec format error: wrong architecture or a script without #!"
            why = ("The kernel could not execute the program: it is a binary for another "
                   "CPU architecture, or a script without a #! line.")
        image_arch = s.image.architecture if s.image else ""
        extra = (Evidence("Image.Architecture", image_arch),) if image_arch else ()
        return [finding(
            "exec-format", Severity.ERROR, title, why, fix,
            (*ev, *probe_ev, Evidence("engine architecture", arch), *extra, *code),
        )]

    # 3. missing shared library / loader
    ev, m = _texts(s, _LIBRARY)
    if m:
        return missing_library(ev, m.groupdict().get("lib"))

    # 4. not executable
    ev, m = _texts(s, _EXEC_PERM)
    if not m and c.exit_code == 126:
        ev2 = line_evidence(grep(s, _SHELL_PERM, 2))
        ev = ev2 or (state("ExitCode", 126),)
        m = True  # type: ignore[assignment]
    if m:
        target = p.path if p else (m.groupdict().get("name") if hasattr(m, "groupdict") else None)
        if p and p.is_dir:
            why = f"{p.path} is a directory, not a program."
        elif p and p.mode is not None and not p.mode & 0o111:
            why = (f"{p.path} has no execute permission (mode {p.mode:04o}): the +x bit was "
                   "lost in checkout, COPY from Windows, or never set.")
        else:
            why = ("The program exists but may not be executed: no execute bit, a "
                   "directory, or a noexec mount.")
        return [finding(
            "not-executable", Severity.ERROR,
            f"Permission denied executing {target}" if target else "Command is not executable",
            why,
            "Add `RUN chmod +x FILE` after COPY (or COPY --chmod=755), check that the "
            "command names a file rather than a directory, and that its mount is not noexec.",
            (*ev, *probe_ev, config_ev(argv), *code),
        )]

    # 5. not found: OCI start-time errors
    ev, m = _texts(s, _NOT_IN_PATH)
    if m:
        name = m.group("name")
        hint = ""
        if name.startswith("-"):
            hint = (f" \"{name}\" looks like an option: options written after the image "
                    "name are passed to the container as its command.")
        return not_found(ev, name,
                         f"The engine could not find \"{name}\" on the container's PATH, so "
                         "the container never started." + hint)
    ev, m = _texts(s, _STAT_MISSING)
    if m:
        return not_found(ev, m.group("name"),
                         f"{m.group('name')} does not exist in the image, so the container "
                         "never started.")

    # 6. post-start "no such file or directory": the file was found at lookup time, so
    #    its interpreter or loader is what is missing; the probe tells which
    ev, m = _texts(s, _EXEC_NOENT)
    if m:
        if p and p.is_elf and p.elf_interp and p.elf_interp_exists is False:
            return missing_library(ev, None)
        if p and p.interpreter and p.interpreter_exists is False:
            return not_found(
                ev, p.interpreter,
                f"{p.path} starts with \"#!{p.interpreter}\", and {p.interpreter} does not "
                "exist in the image (e.g. #!/bin/bash on Alpine or busybox, which only "
                "have /bin/sh).",
            )
        if p and not p.exists:
            return not_found(ev, p.path, f"{p.path} does not exist in the container.")
        return not_found(
            ev, m.groupdict().get("name"),
            "exec reported \"no such file or directory\". When the program itself exists, "
            "this means what it needs to run does not: the interpreter named in its #! line "
            "(a CRLF line ending makes it look for \"sh\\r\"), or the dynamic loader of a "
            "binary built for another C library.",
        )

    # 7. a shell, or env, could not find a program
    lines = grep(s, _SHELL_NOT_FOUND, 2)
    if lines and (c.exit_code in (127, 1, 2) or c.restarting):
        m2 = _SHELL_NOT_FOUND.search(lines[-1].text)
        name = None
        if m2:
            name = m2.group("name") or m2.group("env") or m2.group("cmd")
        return not_found(
            line_evidence(lines), name,
            f"A shell (or env) in the container tried to run \"{name}\", which is not "
            "installed or not on PATH.",
            probed=False,  # the probe looked at the shell, which ran fine
        )
    if c.exit_code == 127:
        # 127 is also what bash exits with on ${X:?} and what the engine gives a mount
        # that failed (ENOTDIR): those have their own findings
        if c.error or grep(s, _SHELL_PARAMETER, 1):
            return []
        return not_found((), None, "Exit code 127 means a command could not be found.")
    return []


def exec_failure_texts(s: Snapshot) -> list[str]:
    """Texts that name the failing program, for the probe to pick its target."""
    pats = (_EXEC_NOENT, _EXEC_FORMAT, _EXEC_PERM, _LIBRARY, _CRLF, _NOT_IN_PATH, _STAT_MISSING)
    error = s.container.error
    texts = [error] if error and any(p.search(error) for p in pats) else []
    lines: list[LogLine] = []
    for pat in pats:
        lines.extend(grep(s, pat, 1))
    texts.extend(line.text for line in lines)
    return texts


def wants_probe(s: Snapshot) -> bool:
    """Would reading the program's bytes tell more? Only for exec-failure-looking deaths."""
    c = s.container
    if c.running and not c.restarting:
        return False
    if exec_failure_texts(s):
        return True
    quick = c.runtime_seconds is not None and c.runtime_seconds < 2
    return c.exit_code in (126, 127, 255) or (
        quick and c.exit_code in (1, 255) and not s.logs.lines
    )
