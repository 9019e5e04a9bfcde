"""What the app met in its environment: env vars, files, disk, ports, mounts, network,
its own configuration."""

from __future__ import annotations

import re

from dockerdoctor.checks.base import (
    EXEC_FAILURE,
    config,
    crashed,
    finding,
    grep,
    line_evidence,
    log_severity,
    state,
)
from dockerdoctor.model import Evidence, Finding, LogLine, Severity, Snapshot

_ENV_PATTERNS = [
    re.compile(r"KeyError: '(?P<n>[A-Z][A-Z0-9_]{1,})'"),
    re.compile(r"[Mm]ust specify (?P<n>[A-Z][A-Z0-9_]+)"),
    re.compile(r"Could not resolve placeholder '(?P<n>[\w.\-]+)'"),
    re.compile(r"\b(?P<n>[A-Z][A-Z0-9_]{2,})(?: environment variable)? (?:is not set|is required|"
               r"must be set|not set|is missing|is undefined|is empty|must be specified)"),
    re.compile(r"(?:environment variable|env var(?:iable)?)s? [`'\"]?(?P<n>[A-Z][A-Z0-9_]+)"
               r"[`'\"]? (?:is )?(?:not set|required|missing|undefined|not defined|is empty)",
               re.IGNORECASE),
    re.compile(r"[Mm]issing (?:required )?(?:environment variable|env var)s?:? [`'\"]?"
               r"(?P<n>[A-Z][A-Z0-9_]+)"),
    re.compile(r"(?<![A-Z0-9_])(?P<n>[A-Z_][A-Z0-9_]+): parameter (?:null or )?not set"),
    re.compile(r"(?P<pg>superuser password is not specified)"),
    re.compile(r"(?P<my>password option is not specified)"),
]
_PERM = re.compile(
    r"Permission denied|EACCES|Operation not permitted|EPERM|PermissionError|"
    r"AccessDeniedException|access denied",
    re.IGNORECASE,
)
_ROFS = re.compile(r"Read-only file system|EROFS", re.IGNORECASE)
_NOSPACE = re.compile(r"No space left on device|ENOSPC|Disk quota exceeded|disk full",
                      re.IGNORECASE)
_PORT = re.compile(
    r"port is already allocated|address already in use|EADDRINUSE|Address in use|"
    r"could not bind to address|Only one usage of each socket address", re.IGNORECASE)
_PORT_NUM = re.compile(
    r"(?:(?<![\d.])[\d.]+|\[[0-9a-f:]*\]|::|\*):(?P<port>\d{2,5})\b|port (?P<p2>\d{2,5})|"
    r"\(\s*'[^']*',\s*(?P<p3>\d{2,5})\s*[,)]"  # Python: ('0.0.0.0', 8000)
)
_MOUNT = re.compile(
    r"bind source path does not exist|mount a directory onto a file|"
    r"not a directory: unknown|error mounting|mount source path|"
    r"invalid mount config|no such file or directory.*mount|mount.*no such file or directory",
    re.IGNORECASE,
)
_DNS = re.compile(
    r"Temporary failure in name resolution|Name or service not known|no such host|"
    r"UnknownHostException|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|host not found in upstream|"
    r"Could not resolve host|bad address '|nodename nor servname|Name does not resolve|"
    r"could not translate host name|server misbehaving|NameResolutionError|"
    r"No address associated with hostname|Unknown host",
    re.IGNORECASE,
)
_HOST_IN = [
    re.compile(r"lookup (?P<h>[\w.\-]+)"),
    re.compile(r"host not found in upstream \"(?P<h>[\w.\-]+)"),
    re.compile(r"Could not resolve host:? (?P<h>[\w.\-]+)"),
    re.compile(r"bad address '(?P<h>[\w.\-]+)(?::\d+)?'"),
    re.compile(r"UnknownHostException: (?P<h>[\w.\-]+)"),
    re.compile(r"(?:ENOTFOUND|EAI_AGAIN) (?P<h>[\w.\-]+)"),
    re.compile(r"translate host name \"(?P<h>[\w.\-]+)\""),
    re.compile(r"host='?(?P<h>[\w.\-]+)'?"),
]
_REFUSED = re.compile(r"Connection refused|ECONNREFUSED|ConnectionRefusedError|"
                      r"actively refused|connect: connection refused", re.IGNORECASE)
_ADDR = re.compile(r"(?<![\w.\-])(?P<addr>(?:[\w\-]+\.)*[\w\-]+:\d{2,5})\b")
# Where the refusing address is not on the refused line itself (Python's
# "[Errno 111] Connection refused" names none): the app's own lines just before it,
# "connecting to db at 127.0.0.1:5432", psycopg's `"127.0.0.1", port 5432`, ('db', 5432).
_NEARBY_ADDR = [
    re.compile(r"(?<![\w.\-])(?P<h>localhost|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z][\w\-]*"
               r"(?:\.[\w\-]+)*):(?P<p>\d{2,5})\b(?![:\d])"),
    re.compile(r"\(\s*'(?P<h>[\w.\-]+)',\s*(?P<p>\d{2,5})\s*[,)]"),
    re.compile(r"\"(?P<h>[\w.\-]+)\",? port (?P<p>\d{2,5})"),
]
_STACK_FRAME = re.compile(r"^\s+(?:at |File \")")
_CONFIG = re.compile(
    r"\[emerg\]|AH0\d{4}: (?:.*(?:[Ss]yntax|[Ii]nvalid|not allowed|failed|Configuration error|"
    r"[Cc]ould not))|configuration file .* test failed|Syntax error on line|"
    r"Configuration error|[Ii]nvalid configuration|configuration (?:is )?invalid|"
    r"Invalid config|error parsing config|config(?:uration)? parse error|unknown directive|"
    r"Failed to load config|invalid config file",
)


_PY_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line \d+, in \S+')
_ENV_ACCESS = re.compile(r"\benviron\b|getenv")


def _env_set(s: Snapshot, name: str) -> str | None:
    return s.container.env_value(name)


def _keyerror_from_environ(lines: tuple[LogLine, ...], i: int) -> bool | None:
    """Did the `KeyError: 'X'` at lines[i] come from os.environ? Decided by the innermost
    frame of its traceback: os.py's __getitem__ (or "<frozen os>" since 3.11), or app code
    that reads the environment. A KeyError on a plain dict (`RATES['EUR']`) is not a
    missing variable. None when no traceback precedes it (a logged message)."""
    j = i - 1
    while j >= 0 and i - j <= 8 and lines[j].text[:1].isspace():
        fm = _PY_FRAME.match(lines[j].text)
        if fm:
            file = fm.group("file")
            if file == "<frozen os>" or file.endswith("/os.py"):
                return True
            return any(_ENV_ACCESS.search(x.text) for x in lines[j + 1 : i])
        j -= 1
    return None


def check_missing_env(s: Snapshot) -> list[Finding]:
    lines = s.logs.lines
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        for pat in _ENV_PATTERNS:
            m = pat.search(line.text)
            if not m:
                continue
            if m.group(0).startswith("KeyError") and _keyerror_from_environ(lines, i) is False:
                continue  # a dict's key, not the environment
            groups = m.groupdict()
            if groups.get("pg"):
                name = "POSTGRES_PASSWORD"
            elif groups.get("my"):
                name = "MYSQL_ROOT_PASSWORD"
            else:
                name = groups["n"]
            value = _env_set(s, name)
            if value:  # set and non-empty: KeyError was about something else
                continue
            status = "set but empty" if value == "" else "not set"
            return [finding(
                "missing-env", log_severity(s),
                f"Required environment variable {name} is {status}",
                f"The app needs {name} and the container's environment does not provide it "
                f"({status}), so it stopped at start-up.",
                # no `NAME=value` here: redaction would take it for a secret and mask it
                f"Set it where the container is created: `docker run -e {name}` (passes "
                "the value from your shell; -e goes before the image name, after it it "
                "becomes an argument of the app), `environment:` in compose, or "
                "--env-file. Keep secrets in a secret store or env file, not in the image.",
                (*line_evidence([line]), Evidence("Config.Env", f"{name} is {status}")),
            )]
    return []


def _not_exec(line: LogLine) -> bool:
    return not EXEC_FAILURE.search(line.text)


def _grep_app(s: Snapshot, pattern: re.Pattern[str], limit: int = 3) -> tuple[LogLine, ...]:
    return tuple(x for x in grep(s, pattern, limit + 3) if _not_exec(x))[-limit:]


def _mount_lines(s: Snapshot) -> list[Evidence]:
    out = []
    for m in s.container.mounts:
        if m.type in ("bind", "volume"):
            src = m.name if m.type == "volume" else m.source
            out.append(Evidence("Mounts", f"{m.type} {src} -> {m.destination} "
                                          f"({'rw' if m.rw else 'ro'})"))
    return out


# A path in an error line: quoted ('/data/x', "/var/lib/nginx/body"), else one standing
# alone; not the "/11/28" inside nginx's "2026/11/28" timestamp.
_PATH_QUOTED = re.compile(r"['\"](/[^'\"\s]+)['\"]")
_PATH_BARE = re.compile(r"(?:^|(?<=[\s(=]))(/[\w./\-@]+)")


def check_permission_denied(s: Snapshot) -> list[Finding]:
    c = s.container
    lines = _grep_app(s, _PERM)
    if not lines or (not crashed(s) and c.status != "exited"):
        return []
    if c.exit_code == 126:  # the exec family owns this
        return []
    user = c.user or "root (not set)"
    quoted = _PATH_QUOTED.search(lines[-1].text)
    bare = _PATH_BARE.search(lines[-1].text)
    path = quoted.group(1) if quoted else bare.group(1) if bare else None
    in_mount = None
    if path:
        for m in c.mounts:
            if path == m.destination or path.startswith(m.destination.rstrip("/") + "/"):
                in_mount = m
    why = f"The process, running as user {user}, was refused access"
    why += f" to {path}" if path else ""
    if in_mount is not None:
        why += (f", which is on a {in_mount.type} mount from "
                f"{in_mount.source or in_mount.name}: a bind mount keeps the host's owner and "
                "mode, so a non-root container user often cannot write it")
        if not in_mount.rw:
            why += " (and it is mounted read-only)"
    elif c.user and c.user not in ("0", "root"):
        why += ": the image's files are owned by root and the container runs as a non-root user"
    why += "."
    return [finding(
        "permission-denied", log_severity(s),
        f"Permission denied{' on ' + path if path else ''}",
        why,
        "Give the container user ownership: `RUN chown -R USER /path` in the image, "
        "`chown UID:GID` the host directory of a bind mount, run with `-u $(id -u):$(id -g)`, "
        "or use a named volume (which copies the image's ownership). Avoid running as root "
        "just to get past this.",
        (*line_evidence(lines), config("Config.User", user), *_mount_lines(s)),
    )]


def check_read_only(s: Snapshot) -> list[Finding]:
    lines = _grep_app(s, _ROFS)
    if not lines:
        return []
    c = s.container
    ev = [*line_evidence(lines), config("HostConfig.ReadonlyRootfs", c.read_only)]
    ev += [e for e in _mount_lines(s) if e.text.endswith("(ro)")]
    return [finding(
        "read-only-fs", log_severity(s),
        "Write to a read-only file system",
        ("The container runs with a read-only root file system (--read-only), and the app "
         "writes somewhere outside any writable mount (temp files, caches, pid files)."
         if c.read_only else
         "The app wrote to a path mounted read-only (a :ro volume or bind mount, or a "
         "read-only file system)."),
        "Give the paths it writes a writable place: --tmpfs /tmp --tmpfs /run (compose: "
        "tmpfs:), a volume for data and caches, or configure the app to write elsewhere.",
        ev,
    )]


def check_no_space(s: Snapshot) -> list[Finding]:
    if s.container.error and _NOSPACE.search(s.container.error):
        ev: tuple[Evidence, ...] = (state("Error", s.container.error),)
    else:
        ev = line_evidence(_grep_app(s, _NOSPACE))
    if not ev:
        return []
    tmpfs = [m for m in s.container.mounts if m.type == "tmpfs"]
    return [finding(
        "no-space", Severity.ERROR if crashed(s) or s.container.error else Severity.WARNING,
        "No space left on device",
        "A write failed because the file system it went to is full: the engine's data root "
        "(/var/lib/docker), a volume, or a size-limited tmpfs. With free space left it can "
        "also mean the inodes are used up.",
        "Check `docker system df` and `df -h; df -i` on the host, prune what is unused "
        "(`docker system prune`), grow the volume or tmpfs (--tmpfs /path:size=...), and "
        "rotate the app's logs and caches.",
        (*ev, *[Evidence("Mounts", f"tmpfs {m.destination}") for m in tmpfs],
         *[Evidence("HostConfig.Tmpfs", f"{path} ({opts or 'no size limit given'})")
           for path, opts in s.container.tmpfs]),
    )]


def check_port_in_use(s: Snapshot) -> list[Finding]:
    c = s.container
    if c.error and _PORT.search(c.error):
        ev: tuple[Evidence, ...] = (state("Error", c.error),)
        text = c.error
        engine_level = True
    else:
        lines = _grep_app(s, _PORT, 2)
        if not lines:
            return []
        ev, text, engine_level = line_evidence(lines), lines[-1].text, False
    m = _PORT_NUM.search(text.split("failed:")[-1]) or _PORT_NUM.search(text)
    port = (m.group("port") or m.group("p2") or m.group("p3")) if m else None
    where = f" {port}" if port else ""
    if engine_level:
        why = (f"The engine could not publish port{where} on the host: another container "
               "(\"port is already allocated\") or a host process (\"address already in "
               "use\") holds it, so the container was created but never started.")
    else:
        why = (f"The app could not bind port{where}: another process in the same network "
               "namespace (a second instance, a leftover process, or the host's process "
               "with --network host) already listens on it.")
    return [finding(
        "port-in-use", Severity.ERROR if crashed(s) or engine_level else Severity.WARNING,
        f"Port{where} is already in use",
        why,
        (f"Find the holder: `docker ps --filter publish={port}` and `ss -ltnp 'sport = :{port}'` "
         "on the host; stop it or publish another host port (-p OTHER:CONTAINER)."
         if port else "Find which process holds the port, stop it or use another port."),
        (*ev, *[Evidence("HostConfig.PortBindings", b) for b in c.port_bindings]),
    )]


def check_mount_source(s: Snapshot) -> list[Finding]:
    c = s.container
    if not (c.error and _MOUNT.search(c.error)):
        return []
    mismatch = "not a directory" in c.error or "onto a file" in c.error
    # a tmpfs (a directory) on a path where the image has a file: no host path involved
    tmpfs = [p for p, _ in c.tmpfs if p in c.error]
    if mismatch and tmpfs:
        why = (f"The tmpfs mount on {tmpfs[0]} is a directory, but the image has a file "
               "there; a mount must have the same type as its target.")
        parent = tmpfs[0].rsplit("/", 1)[0] or "/"
        fix = (f"Mount the tmpfs on a directory (e.g. {parent}), not on a file, or move the "
               "file out of the way in the image.")
    elif mismatch:
        why = ("A bind mount puts a directory where the image has a file, or a file where "
               "it has a directory (often: the host path did not exist, so `-v` created an "
               "empty directory in its place).")
        fix = ("Check each bind mount's host path exists and has the same type as the "
               "target (file onto file, directory onto directory); use absolute host paths.")
    else:
        why = ("The host path of a bind mount does not exist (or is not visible to the "
               "engine: Docker Desktop file sharing, snap confinement, a remote engine).")
        fix = ("Check each bind mount's host path exists and has the same type as the "
               "target (file onto file, directory onto directory); use absolute host paths.")
    return [finding(
        "mount-source-missing", Severity.ERROR,
        "A mount could not be set up: " + ("file/directory mismatch" if mismatch
                                           else "its source does not exist"),
        why, fix,
        (state("Error", c.error), *_mount_lines(s),
         *[Evidence("HostConfig.Tmpfs", f"{p} ({o or 'defaults'})") for p, o in c.tmpfs
           if p in tmpfs]),
    )]


def check_dns(s: Snapshot) -> list[Finding]:
    lines = _grep_app(s, _DNS)
    if not lines:
        return []
    host = None
    for line in reversed(lines):
        for pat in _HOST_IN:
            m = pat.search(line.text)
            if m:
                host = m.group("h")
                break
        if host:
            break
    net = s.container.network_mode
    why = f"The container could not resolve {('the name ' + host) if host else 'a host name'}."
    if net == "none":
        why += " It runs with --network none, so it has no DNS at all."
    elif net in ("default", "bridge"):
        why += (" It is on the default bridge network, where containers cannot find each "
                "other by name: only user-defined networks have the embedded DNS server.")
    else:
        why += (" Either that name is not a container/service on the same network "
                "(misspelt, not started yet, on another network) or the upstream DNS "
                "server is unreachable.")
    return [finding(
        "dns-failure", log_severity(s),
        f"Name resolution failed{' for ' + host if host else ''}",
        why,
        "Put both containers on one user-defined network (`docker network create`, "
        "compose does this per project) and use the service name; check the spelling; if "
        "it is an outside name, check the host's DNS (--dns) and `docker run --rm busybox "
        "nslookup NAME`.",
        (*line_evidence(lines), config("HostConfig.NetworkMode", net or "default")),
    )]


def check_refused(s: Snapshot) -> list[Finding]:
    lines = _grep_app(s, _REFUSED)
    if not lines:
        return []
    addr = None
    for line in reversed(lines):
        m = _ADDR.search(line.text.split("refused")[0][-120:] + " " + line.text)
        if m:
            addr = m.group("addr")
            break
    ev = line_evidence(lines)
    if addr is None:
        near = _nearby_addr(s, lines[0])
        if near is not None:
            addr = near[0]
            ev = (*line_evidence([near[1]]), *ev)  # show where the address came from
    local = addr is not None and addr.split(":")[0] in ("localhost", "127.0.0.1", "0.0.0.0")
    why = f"A connection to {addr or 'a dependency'} was refused: nothing listened there."
    if local:
        why += (" Inside a container, localhost is the container itself, not the host or "
                "another container.")
    else:
        why += " The service may not be up yet (started at the same time), crashed, or "
        why += "listens on another port or only on its own localhost."
    return [finding(
        "connection-refused", log_severity(s),
        f"Connection refused{' by ' + addr if addr else ''}",
        why,
        "Point the app at the service's name on a shared network, not localhost; wait for "
        "the dependency (compose depends_on with condition: service_healthy, or retry with "
        "backoff); check the dependency is running and listens on 0.0.0.0.",
        ev,
    )]


def _nearby_addr(s: Snapshot, first: LogLine) -> tuple[str, LogLine] | None:
    """host:port, and the line saying it, from the few lines before the first refusal
    (not stack frames)."""
    lines = s.logs.lines
    i = lines.index(first)
    for line in reversed(lines[max(0, i - 15) : i + 1]):
        if _STACK_FRAME.match(line.text):
            continue
        for pat in _NEARBY_ADDR:
            m = pat.search(line.text)
            if m:
                return f"{m.group('h')}:{m.group('p')}", line
    return None


# "[emerg] bind() ... (98: Address already in use)", "mkdir() ... (30: Read-only file
# system)", "open() ... (13: Permission denied)": the server stopped on its environment,
# not on its configuration; those checks explain it.
_NOT_CONFIG = re.compile(f"{_PORT.pattern}|{_PERM.pattern}|{_ROFS.pattern}|{_NOSPACE.pattern}",
                         re.IGNORECASE)
_NGINX_PREFIX = re.compile(r"^(?:nginx: )?(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?"
                           r"\[emerg\] (?:\d+#\d+: )?")


# An uncaught exception's own line ("Exception in thread "main" java.lang.Illegal...:
# invalid configuration", "ValueError: invalid config", "Caused by: ..."): the runtime
# checks explain it, with its frame; it is no server refusing its configuration.
_RUNTIME_EXCEPTION = re.compile(
    r"^(?:Exception in thread |Caused by: |Uncaught |(?:[\w$]+\.)*[\w$]*(?:Error|Exception)"
    r"(?::|$| \[))")


def check_config_error(s: Snapshot) -> list[Finding]:
    lines = tuple(x for x in _grep_app(s, _CONFIG) if not _NOT_CONFIG.search(x.text)
                  and not _RUNTIME_EXCEPTION.match(x.text.strip()))
    if not lines:
        return []
    # nginx -t adds "configuration file ... test failed" after the line that says why
    last = next((x for x in reversed(lines) if "[emerg]" in x.text), lines[-1]).text.strip()
    nginx = _NGINX_PREFIX.match(last)
    if nginx and nginx.group(0):
        title = "nginx refused its configuration: " + last[nginx.end():]
    else:
        title = "The server refused its configuration: " + last
    return [finding(
        "config-error", log_severity(s),
        title[:200],
        "The server read its configuration at start-up, found an error (syntax, an unknown "
        "directive, a host it cannot resolve, a file it cannot open) and exited.",
        "Fix the file and line named in the message; test the configuration before "
        "deploying (`nginx -t`, `apachectl configtest`, `httpd -t`).",
        line_evidence(lines),
    )]
