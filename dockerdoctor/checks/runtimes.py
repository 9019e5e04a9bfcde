"""Uncaught crashes of language runtimes: Python, Java, Node.js, Go.

Each finding carries the exception line and the frame that raised it.
"""

from __future__ import annotations

import re

from dockerdoctor.checks.base import finding, line_evidence, log_severity
from dockerdoctor.model import Finding, LogLine, Snapshot

_PY_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):")
_PY_FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_PY_EXC = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|"
                     r"Failure|Fault|Timeout|Refused|NotFound|Invalid\w*)?)(?:: (?P<msg>.*))?$")

_JAVA_EXC = re.compile(
    r'^(?:Exception in thread "(?P<thread>[^"]+)" )?(?P<type>(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*'
    r'(?:Exception|Error|Throwable))(?:: (?P<msg>.*))?$'
)
# "at Main.main(Main.java:12)", with Java 9+ a module or class loader in front:
# "at java.base/java.lang.Integer.parseInt(Integer.java:668)", "at app//com.x.Y.z(Y.java:3)"
_JAVA_FRAME = re.compile(
    r"^\s+at (?P<frame>(?:(?P<module>[\w.$\-]+(?:@[\w.\-]+)?)?//?)?"
    r"(?P<method>[\w$.<>]+)\(.*\))"
)
_JAVA_CAUSE = re.compile(r"^Caused by: (?P<type>[\w$.]+)(?:: (?P<msg>.*))?$")
_JDK_PACKAGES = ("java.", "javax.", "jdk.", "sun.", "com.sun.")

_NODE_FRAME = re.compile(r"^\s+at (?:.+ \()?(?P<loc>(?:node:|file:|/)[^)]*?:\d+:\d+)\)?$")
_NODE_ANY_FRAME = re.compile(r"^\s+at \S")  # also "at JSON.parse (<anonymous>)"
_NODE_REASON = re.compile(r'The promise rejected with the reason "(?P<reason>.{0,300}?)"\.')
_NODE_ERR = re.compile(
    r"^(?:Uncaught )?(?P<type>(?:\w+Error|Error|\[?UnhandledPromiseRejection\]?|"
    r"AbortError|SystemError))(?: \[(?P<code>[A-Z_]+)\])?: (?P<msg>.*)$"
)
_NODE_MARK = re.compile(r"^Node\.js v\d+|ERR_UNHANDLED_REJECTION|triggerUncaughtException|"
                        r"FATAL ERROR: .*JavaScript heap out of memory|node:internal/")

_GO_PANIC = re.compile(r"^(?:panic: |fatal error: )(?P<msg>.*)$")
_GO_GOROUTINE = re.compile(r"^goroutine \d+ \[[\w ,]+\]:")
# absolute, or module-relative with -trimpath ("gateway/main.go:22")
_GO_LOC = re.compile(r"^\s+(?P<loc>\S+\.go:\d+)(?: \+0x[0-9a-f]+)?$")
_GO_RUNTIME = re.compile(r"(?:^|/src/)runtime/")


def check_runtimes(s: Snapshot) -> list[Finding]:
    lines = s.logs.lines
    out = []
    for fn in (_python, _java, _node, _go):
        f = fn(s, lines)
        if f:
            out.append(f)
    return out


def _python(s: Snapshot, lines: tuple[LogLine, ...]) -> Finding | None:
    start = None
    for i in range(len(lines) - 1, -1, -1):
        if _PY_TRACEBACK.match(lines[i].text):
            start = i
            break
    if start is None:
        return None
    frame = code = exc = None
    app_frame = app_code = None  # the innermost frame in the app's own code
    for line in lines[start + 1 : start + 400]:
        fm = _PY_FRAME.match(line.text)
        if fm:
            frame, code = line, None
            if not _library_file(fm.group("file")):
                app_frame, app_code = line, None
            continue
        if frame is not None and code is None and line.text.startswith("    "):
            code = line
            if app_frame is frame:
                app_code = line
            continue
        if line.text.strip() and not line.text[0].isspace() and _PY_EXC.match(line.text):
            if line.text.startswith(("During handling", "The above exception")):
                continue
            exc = line
            break
    if exc is None:
        return None
    if app_frame is not None:
        frame, code = app_frame, app_code
    m = _PY_EXC.match(exc.text)
    exc_type = m.group("type") if m else exc.text
    where = ""
    if frame is not None:
        fm = _PY_FRAME.match(frame.text)
        if fm:
            where = f" in {fm.group('func')} ({fm.group('file')}:{fm.group('line')})"
    ev = [exc] + [x for x in (frame, code) if x is not None]
    exit_code = s.container.exit_code
    # An uncaught exception ends the interpreter with exit 1 and the traceback on stderr.
    # A traceback in a file, or another exit code, was logged by the app itself
    # (log.exception) before it chose how to exit.
    if exc.stream == "file" or (exit_code not in (None, 0, 1) and not s.container.running):
        where_logged = f" in {exc.origin.split(':')[0].removeprefix('file ')}" \
            if exc.stream == "file" and exc.origin else ""
        how = (f"{exc_type}{where} and logged the traceback{where_logged}; the program then "
               "exited" + (f" with code {exit_code}." if exit_code else "."))
    else:
        how = (f"{exc_type}{where} and nothing caught it, so the interpreter printed the "
               "traceback and exited"
               + (f" (exit code {exit_code})." if exit_code else "."))
    return finding(
        "python-exception", log_severity(s),
        f"Python exception: {exc.text.strip()[:160]}",
        f"The Python program raised {how}",
        "Fix the cause named in the exception line; the frame shown is where it was "
        "raised. If it only fails in the container, compare its environment, files and "
        "network with where it works.",
        line_evidence(sorted(ev, key=lambda x: lines.index(x))),
    )


def _library_file(path: str) -> bool:
    return (path.startswith("<frozen") or "/lib/python" in path or "site-packages" in path
            or "dist-packages" in path)


def _jdk_frame(m: re.Match[str]) -> bool:
    module = m.group("module") or ""
    return (module.startswith(("java.", "jdk.")) or m.group("method").startswith(_JDK_PACKAGES))


def _app_frame(frames: list[LogLine]) -> LogLine | None:
    """The first frame outside the JDK: where the app called what threw (an exception
    thrown inside Files.readString is the app's fault at the line that called it)."""
    for x in frames:
        m = _JAVA_FRAME.match(x.text)
        if m and not _jdk_frame(m):
            return x
    return frames[0] if frames else None


def _java(s: Snapshot, lines: tuple[LogLine, ...]) -> Finding | None:
    for i in range(len(lines) - 1, -1, -1):
        m = _JAVA_EXC.match(lines[i].text)
        if not m:
            continue
        following = lines[i + 1 : i + 200]
        if not following or not _JAVA_FRAME.match(following[0].text):
            if not m.group("thread"):
                continue
        cause_at = [j for j, x in enumerate(following) if _JAVA_CAUSE.match(x.text)]
        top = following[: cause_at[0]] if cause_at else following
        frame = _app_frame([x for x in top if _JAVA_FRAME.match(x.text)])
        ev = [lines[i]] + ([frame] if frame else [])
        root = root_type = None
        if cause_at:
            root = following[cause_at[-1]]
            cm = _JAVA_CAUSE.match(root.text)
            root_type = root.text.removeprefix("Caused by: ").strip() if cm else root.text
            root_frames = [x for x in following[cause_at[-1] + 1 :]
                           if _JAVA_FRAME.match(x.text)]
            root_frame = _app_frame(root_frames)
            ev.append(root)
            if root_frame is not None and root_frame.text.strip() != (
                    frame.text.strip() if frame else None):
                ev.append(root_frame)
        where = ""
        if frame:
            fm = _JAVA_FRAME.match(frame.text)
            where = f" at {fm.group('frame')}" if fm else ""
        thread = m.group("thread")
        return finding(
            "java-exception", log_severity(s),
            f"Java exception: {m.group('type')}"
            + (f": {m.group('msg')[:120]}" if m.group("msg") else ""),
            f"The JVM threw {m.group('type')}{where}"
            + (f" in thread \"{thread}\"" if thread else "")
            + (f"; the root cause is {root_type[:200]}" if root_type else "")
            + ". An uncaught exception in the main thread ends the program.",
            "Fix the root cause (the last \"Caused by\"); for OutOfMemoryError size the heap "
            "to the container with -XX:MaxRAMPercentage=75 and raise the memory limit.",
            line_evidence(ev),
        )
    return None


def _node_app_frame(stack: tuple[LogLine, ...]) -> tuple[LogLine | None, str | None]:
    """The first frame in the app's own files: not node's internals, not <anonymous>
    (JSON.parse), not node_modules. Else the first frame with a location."""
    located = [(x, m.group("loc")) for x in stack for m in [_NODE_FRAME.match(x.text)] if m]
    for x, loc in located:
        if not loc.startswith("node:") and "/node_modules/" not in loc:
            return x, loc
    return located[0] if located else (None, None)


def _node_stack_start(lines: tuple[LogLine, ...], i: int, span: int = 12) -> int | None:
    """Where the stack of the error line `i` starts: the next line, or a few lines on
    when the message itself spans lines (`new Error("a\\nb")`, JSON.parse quoting the
    text around a syntax error)."""
    for j in range(i + 1, min(len(lines), i + 1 + span)):
        if _NODE_ANY_FRAME.match(lines[j].text):
            return j
        if _NODE_ERR.match(lines[j].text) or _NODE_MARK.search(lines[j].text):
            return None
    return None


def _node(s: Snapshot, lines: tuple[LogLine, ...]) -> Finding | None:
    marks = [i for i, x in enumerate(lines) if _NODE_MARK.search(x.text)]
    # an error line followed by its stack; Node 15-18 print the rejection of a non-Error as
    # "[UnhandledPromiseRejection: ...] {" with no stack at all
    errs = [i for i, x in enumerate(lines) if _NODE_ERR.match(x.text)
            and (_node_stack_start(lines, i) is not None
                 or "UnhandledPromiseRejection" in x.text)]
    heap = [i for i, x in enumerate(lines) if "JavaScript heap out of memory" in x.text]
    if not errs and not heap:
        return None
    if not marks and not errs:
        return None
    if heap and (not errs or heap[-1] > errs[-1]):
        line = lines[heap[-1]]
        return finding(
            "node-crash", log_severity(s),
            "Node.js ran out of JavaScript heap",
            "V8 reached its heap limit and aborted the process. Node sizes its heap from "
            "its own defaults, not from the container's memory limit.",
            "Set NODE_OPTIONS=--max-old-space-size=<MiB> to about 75% of the container's "
            "limit, or find the leak (heap snapshots).",
            line_evidence([line]),
        )
    i = errs[-1]
    m = _NODE_ERR.match(lines[i].text)
    stack = []
    first = _node_stack_start(lines, i) or i + 1
    for x in lines[first : first + 60]:
        if not _NODE_ANY_FRAME.match(x.text):
            break
        stack.append(x)
    frame, loc = _node_app_frame(tuple(stack))
    reason = _NODE_REASON.search(lines[i].text)
    if reason and loc and loc.startswith("node:"):
        frame = loc = None  # a rejected non-Error has no stack of its own: only node's
    ev = [lines[i]] + ([frame] if frame is not None else [])
    code = next((x for x in lines[i + 1 : i + 30] if "ERR_UNHANDLED_REJECTION" in x.text), None)
    if code is not None:
        ev.append(code)
    if marks and marks[-1] > i and lines[marks[-1]] is not code:
        ev.append(lines[marks[-1]])
    window = lines[max(0, i - 5) : i + 30]
    unhandled = any("ERR_UNHANDLED_REJECTION" in x.text or "UnhandledPromiseRejection" in x.text
                    for x in window)
    # thrown in an async function and passed up through `await`: a rejected promise
    via_await = any(x.text.lstrip().startswith("at async ") for x in stack)
    if reason:
        title = f'Node.js crash: unhandled promise rejection, reason "{reason["reason"]}"'
    else:
        title = f"Node.js crash: {lines[i].text.strip().lstrip('[')[:160]}"
    if unhandled or via_await:
        how = (" in a promise that nothing awaited or caught (an unhandled rejection); "
               "since Node 15 an unhandled rejection ends the process.")
    else:
        how = " and not caught, so Node printed the stack and exited."
    what = m.group("type").strip("[]") if m else "An error"
    if reason:
        what = f'A promise was rejected with "{reason["reason"]}" (not an Error, so no stack)'
        how = (", and nothing handled the rejection; since Node 15 an unhandled "
               "rejection ends the process.")
    return finding(
        "node-crash", log_severity(s),
        title,
        (f"{what}" + ("" if reason else " was thrown")
         + (f" at {loc}" if loc and not reason else "") + how),
        "Fix the error at the frame shown; catch errors of async code (await in try/catch, "
        ".catch() on promises); add a process-level handler that logs and exits cleanly.",
        line_evidence(ev),
    )


def _go(s: Snapshot, lines: tuple[LogLine, ...]) -> Finding | None:
    for i in range(len(lines) - 1, -1, -1):
        m = _GO_PANIC.match(lines[i].text)
        if not m:
            continue
        following = lines[i + 1 : i + 60]
        if not any(_GO_GOROUTINE.match(x.text) for x in following):
            if not lines[i].text.startswith("panic: "):
                continue
        loc = next((x for x in following if _GO_LOC.match(x.text)
                    and not _GO_RUNTIME.search(x.text.strip())), None)
        func = None
        if loc is not None:
            j = lines.index(loc)
            func = lines[j - 1] if j > 0 else None
        ev = [lines[i]] + [x for x in (func, loc) if x is not None]
        sig = next((x for x in following if x.text.startswith("[signal ")), None)
        if sig:
            ev.insert(1, sig)
        where = ""
        if loc is not None:
            lm = _GO_LOC.match(loc.text)
            where = f" at {lm.group('loc')}" if lm else ""
        return finding(
            "go-panic", log_severity(s),
            f"Go panic: {m.group('msg')[:160]}",
            f"The Go program panicked{where} and nothing recovered it, so the runtime "
            "printed every goroutine's stack and exited with code 2.",
            "Fix the cause at the frame shown (a nil pointer, an index out of range, a "
            "closed channel...); check errors before using values they guard.",
            line_evidence(ev),
        )
    return None
