"""The engine layer: the only module that talks to the engine, and the only one that
imports docker-py (lazily, for TLS, ssh:// and Docker contexts).

EngineClient fetches payloads (plain JSON-like dicts and log lines) and translates every
transport error into a `DoctorError`; it only reads. ArtifactEngine, below, is the one
place that creates and removes things, and only dockerdoctor's own labelled artifacts:
nothing here starts, stops, pauses or changes the inspected container.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import socket
import struct
import threading
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockerdoctor.errors import (
    AmbiguousReference,
    DoctorError,
    EngineError,
    EngineUnreachable,
    NotFound,
    UsageError,
)
from dockerdoctor.times import iso

MAX_LINE_CHARS = 8192  # a longer log line is cut; memory stays bounded
MAX_TAIL = 100_000
DEFAULT_TIMEOUT = 60
# Over ssh:// every HTTP connection is an ssh session running `docker system dial-stdio`,
# and sshd allows 10 per connection by default (MaxSessions). docker-py's ssh transport
# seldom reuses a connection, and a closed session lingers until dial-stdio exits: with
# 4 requests in flight a deep diagnosis hit the limit (measured), with 1 it never does.
_SSH_POOL = 1

_TS = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ?")
_STREAMS = {0: "stdin", 1: "stdout", 2: "stderr"}
# The engine gzips archives when the client accepts it; we read only a file's head, so
# plain bytes are cheaper for both sides.
_IDENTITY = {"Accept-Encoding": "identity"}


@dataclass(frozen=True)
class LogOptions:
    tail: int = 500
    since: datetime | None = None
    until: datetime | None = None


def _explain_connection_error(exc: BaseException, where: str) -> DoctorError:
    """Walk the cause chain of a connection failure and say what it means in one line."""
    seen: BaseException | None = exc
    text = str(exc)
    while seen is not None:
        if isinstance(seen, PermissionError):
            return EngineUnreachable(
                f"permission denied on the engine socket ({where}): run as root, or add "
                "your user to the 'docker' group"
            )
        if isinstance(seen, FileNotFoundError):
            return EngineUnreachable(
                f"no Docker engine answers at {where} (the socket does not exist): "
                "is dockerd running? Set DOCKER_HOST or --host to use another engine"
            )
        if isinstance(seen, ConnectionRefusedError):
            return EngineUnreachable(
                f"the Docker engine at {where} refused the connection: is dockerd running?"
            )
        seen = seen.__cause__ or seen.__context__
    lowered = text.lower()
    if "permission denied" in lowered:
        return EngineUnreachable(
            f"permission denied on the engine socket ({where}): run as root, or add your "
            "user to the 'docker' group"
        )
    if "timed out" in lowered or "timeout" in lowered:
        return EngineUnreachable(f"the Docker engine at {where} did not answer in time")
    first = text.splitlines()[0] if text else type(exc).__name__
    return EngineUnreachable(f"cannot reach the Docker engine at {where}: {first}")


class EngineClient:
    """A connection to one engine. All reads dockerdoctor does go through here."""

    def __init__(self, host: str | None = None, timeout: int = DEFAULT_TIMEOUT) -> None:
        if host is None and not os.environ.get("DOCKER_HOST"):
            # the Docker CLI's current context (DOCKER_CONTEXT, or `docker context use`),
            # read from its context store: docker-py 7.1's from_env() ignores it
            context = os.environ.get("DOCKER_CONTEXT") or _current_context()
            if context and context != "default":
                host = context_host(context)
        where = host or _default_host()
        self.where = where
        self.host = host
        self.timeout = timeout
        self.client: Any = None
        self._docker: Any = None
        self._requests: Any = None
        self._not_found: tuple[type[BaseException], ...] = (_LiteNotFound,)
        self._api_error: tuple[type[BaseException], ...] = (_LiteAPIError,)
        self._conn_error: tuple[type[BaseException], ...] = (_LiteConnectionError,)
        self._req_error: tuple[type[BaseException], ...] = ()
        self._podman: bool | None = None
        # requests side by side: each is one connection; over ssh:// each connection is an
        # ssh session, and sshd allows 10 per connection by default (MaxSessions)
        self._slots = threading.BoundedSemaphore(
            _SSH_POOL if (host or os.environ.get("DOCKER_HOST", "")).startswith("ssh://")
            else 64)
        target = _lite_target(host)
        if target is not None:
            try:
                self.api: Any = _LiteAPI(target, timeout)
            except _LiteConnectionError as e:
                raise _explain_connection_error(e, where) from e
            except _LiteAPIError as e:
                raise EngineUnreachable(f"the engine at {where} answered {e}") from e
        else:
            self.api = self.docker_api()

    def docker_api(self) -> Any:
        """docker-py's APIClient for this engine (imported on first use: it is slow)."""
        if self.client is not None:
            return self.client.api
        import docker  # noqa: PLC0415 - lazy: `doctor --help` must not load requests
        import requests

        self._docker, self._requests = docker, requests
        self._not_found += (docker.errors.NotFound,)
        self._api_error += (docker.errors.APIError,)
        self._conn_error += (requests.exceptions.ConnectionError,)
        self._req_error += (requests.exceptions.RequestException,)
        if (self.host or "").startswith("ssh://"):
            try:
                import paramiko
            except ImportError:
                raise UsageError(f"{self.host}: ssh:// engines need paramiko: "
                                 "pip install 'dockerdoctor[ssh]'") from None
            # a refused port, a rejected key, a channel the server will not open
            self._conn_error += (paramiko.SSHException, OSError)
        try:
            if self.host:
                self.client = docker.DockerClient(
                    base_url=self.host, version="auto", timeout=self.timeout,
                    max_pool_size=_SSH_POOL if self.host.startswith("ssh://") else 10)
            else:
                self.client = docker.from_env(timeout=self.timeout)
        except docker.errors.DockerException as e:
            raise _explain_connection_error(e, self.where) from e
        except requests.exceptions.RequestException as e:
            raise _explain_connection_error(e, self.where) from e
        except self._conn_error as e:
            raise _explain_connection_error(e, self.where) from e
        return self.client.api

    # -- error translation -----------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], Any], ref: str | None = None) -> Any:
        try:
            with self._slots:
                return fn()
        except self._not_found as e:
            if ref is not None and _is_ambiguous(e):
                raise AmbiguousReference(_ambiguous_message(ref)) from e
            if ref is not None:
                raise NotFound(f"no such container: {ref}") from e
            raise
        except self._api_error as e:
            if ref is not None and _is_ambiguous(e):
                raise AmbiguousReference(_ambiguous_message(ref)) from e
            if _podman_gone(e):
                # Docker answers 404 here; Podman 4.3.1 answers some reads of a container
                # removed meanwhile with a 500 that says so (logs: "failed to obtain logs
                # for Container 'x': ... no such container")
                raise NotFound(f"no such container: {ref}" if ref else
                               f"{what}: the container is gone ({_api_error_text(e)})"
                               ) from e
            raise EngineError(f"{what}: the engine answered {_api_error_text(e)}") from e
        except self._conn_error as e:
            raise _explain_connection_error(e, self.where) from e
        except self._req_error as e:
            raise EngineUnreachable(f"{what}: {e}") from e

    def send(self, method: str, pathfmt: str, *args: str,
             params: dict[str, Any] | None = None, body: Any = None,
             timeout: float | None = None) -> Any:
        """One Engine API request: `body` is JSON-able or bytes (a tar); returns the JSON
        answer or None. Raises the transport's own errors: wrap it in `_call`. Only
        ArtifactEngine writes with it."""
        content_type = "application/json"
        if isinstance(body, bytes):
            data: bytes | None = body
            content_type = "application/x-tar"
        else:
            data = None if body is None else json.dumps(body).encode()
        if isinstance(self.api, _LiteAPI):
            return self.api.send(method, self.api._url(pathfmt, *args), params, data,
                                 content_type, timeout)
        api = self.api  # docker-py's APIClient, a requests.Session
        res = api.request(method, api._url(pathfmt, *args), params=params, data=data,
                          headers={"Content-Type": content_type} if data is not None
                          else None, timeout=timeout or api.timeout)
        api._raise_for_status(res)
        return res.json() if res.content.strip() else None

    # -- reads -----------------------------------------------------------------------

    def inspect(self, ref: str) -> dict[str, Any]:
        """The container's inspect payload; NotFound / AmbiguousReference on bad refs."""
        return self._call("inspect", lambda: self.api.inspect_container(ref), ref=ref)

    def list_containers(self, all: bool = True, filters: dict | None = None) -> list[dict]:
        return self._call(
            "list containers", lambda: self.api.containers(all=all, filters=filters or {})
        )

    def info(self) -> dict[str, Any]:
        return self._call("engine info", self.api.info)

    def version(self) -> dict[str, Any]:
        return self._call("engine version", self.api.version)

    @property
    def is_podman(self) -> bool:
        """Whether this is Podman's Docker-compatible service (`podman system service`):
        its /version lists a "Podman Engine" component. Read once."""
        if self._podman is None:
            try:
                self._podman = _is_podman(self.version())
            except DoctorError:
                self._podman = False
        return self._podman

    def diff(self, cid: str) -> list[dict[str, Any]]:
        # Podman 4.3.1 answers a diff it cannot make (the container's layer is gone, as
        # when it is being removed) with 500 "<id> not found: layer not known" where Docker
        # says 404: an EngineError, so collect() notes "could not read changes" and the
        # diagnosis goes on without the diff.
        return self._call("diff", lambda: self.api.diff(cid)) or []

    def image(self, image_id: str) -> dict[str, Any] | None:
        if image_id in ("", "sha256:"):
            return None  # Podman's `--rootfs` containers have no image: Image "sha256:"
        try:
            return self._call("image inspect", lambda: self.api.inspect_image(image_id))
        except self._not_found:
            return None

    def history(self, image_id: str) -> list[dict[str, Any]]:
        if image_id in ("", "sha256:"):
            return []
        try:
            return self._call("image history", lambda: self.api.history(image_id)) or []
        except self._not_found:
            return []

    # -- Swarm: services and their tasks (a manager answers; a worker cannot) ----------

    def swarm_services(self, filters: dict | None = None) -> list[dict[str, Any]]:
        return self._call("list services", lambda: self.api.services(filters=filters)) or []

    def swarm_service(self, ref: str) -> dict[str, Any] | None:
        """The service named or with id `ref`; None when there is none (or no swarm)."""
        try:
            return self._call("inspect service", lambda: self.api.inspect_service(ref))
        except self._not_found:
            return None
        except EngineError as e:
            if "not a swarm manager" in e.message or "swarm" in e.message.lower():
                return None
            raise

    def swarm_tasks(self, filters: dict | None = None) -> list[dict[str, Any]]:
        return self._call("list tasks", lambda: self.api.tasks(filters=filters)) or []

    def swarm_nodes(self) -> list[dict[str, Any]]:
        return self._call("list nodes", lambda: self.api.nodes()) or []

    def save(self, image_id: str, consume: Callable[[Iterator[bytes]], Any]) -> Any:
        """Stream the image's export (`docker save`: a tar of its layers and config) to
        `consume(chunks)` and return what it returns; nothing is held in memory here."""
        api = self.api
        url = api._url("/images/{0}/get", image_id)

        def fetch() -> Any:
            res = api._get(url, stream=True, headers=_IDENTITY)
            try:
                api._raise_for_status(res)
                return consume(_raw_chunks(res, 1 << 20))
            finally:
                _close(res)

        return self._call("image export", fetch)

    def events(self, cid: str, since: datetime | None) -> list[dict[str, Any]]:
        """The engine's recent events for this container (it keeps only the newest few).

        `until` is now, to the nanosecond: a whole second in the future would make the
        engine hold the answer until that second has passed.
        """
        now = datetime.now(UTC).timestamp()
        start = since.timestamp() if since else now - 86400
        params = {
            "since": f"{start:.9f}",
            "until": f"{now:.9f}",
            "filters": json.dumps({"container": [cid], "type": ["container"]}),
        }
        if self.is_podman:
            # Podman 4.3.1 streams until `until` and, when `until` is now or in the past,
            # closes the stream before it sent anything (or some of it, at random): always
            # empty. `stream=false` (Podman's own, not Docker's) returns the events it has,
            # at once: send that instead of `until`.
            del params["until"]
            params["stream"] = "false"

        def fetch() -> list[dict[str, Any]]:
            res = self.api._get(self.api._url("/events"), params=params, stream=True)
            try:
                self.api._raise_for_status(res)
                body = b"".join(_raw_chunks(res))
            finally:
                _close(res)
            out = []
            for line in body.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    out.append(event)
            return out

        return self._call("events", fetch)

    def logs(self, cid: str, tty: bool, options: LogOptions) -> dict[str, Any]:
        """A bounded tail of the logs, stdout and stderr kept apart, read as a stream.

        docker-py's logs() drops which stream a line came from, so this reads the engine's
        framed stream itself: 8-byte headers [stream, 0, 0, 0, size32be] then the payload.
        A TTY container has one unframed, merged stream.
        """
        tail = max(1, min(options.tail, MAX_TAIL))
        params: dict[str, Any] = {
            "stdout": 1,
            "stderr": 1,
            "timestamps": 1,
            "follow": 0,
            "tail": str(tail + 1),  # one more than asked: tells us whether we truncated
        }
        if options.since:
            params["since"] = f"{options.since.timestamp():.9f}"
        if options.until:
            params["until"] = f"{options.until.timestamp():.9f}"

        def fetch() -> dict[str, Any]:
            url = self.api._url("/containers/{0}/logs", cid)
            res = self.api._get(url, params=params, stream=True)
            try:
                self.api._raise_for_status(res)
                lines: deque[list[str | None]] = deque(maxlen=tail + 1)
                reader = _LineAssembler(lines)
                chunks = _raw_chunks(res)
                if tty:
                    for chunk in chunks:
                        reader.feed_tty(chunk)
                else:
                    for stream_id, payload in _frames(chunks):
                        reader.feed(_STREAMS.get(stream_id, "stdout"), payload)
                reader.flush()
            finally:
                _close(res)
            truncated = len(lines) > tail
            if truncated:
                lines.popleft()
            return {"lines": [list(x) for x in lines], "readable": True,
                    "truncated": truncated, "tail": tail, "error": None}

        try:
            return self._call("logs", fetch)
        except EngineError as e:
            cause = e.__cause__
            if isinstance(cause, self._api_error) and _logs_unreadable(cause):
                return {"lines": [], "readable": False, "truncated": False, "tail": tail,
                        "error": _api_error_text(cause), "driver_refused": True}
            raise

    # -- the archive API: read-only access to a container's files, even stopped -------

    def stat(self, cid: str, path: str) -> dict[str, Any] | None:
        """Path stat through HEAD /containers/{id}/archive; None when it does not exist."""
        url = self.api._url("/containers/{0}/archive", cid)

        def fetch() -> dict[str, Any] | None:
            res = self.api.head(url, params={"path": path}, timeout=self.api.timeout,
                                headers=_IDENTITY)
            if res.status_code == 404:
                return None
            self.api._raise_for_status(res)
            return _decode_stat(res.headers.get("X-Docker-Container-Path-Stat"))

        return self._call("stat", fetch)

    def read_head(self, cid: str, path: str, limit: int) -> bytes | None:
        """The first `limit` bytes of a regular file, never more read off the wire."""
        url = self.api._url("/containers/{0}/archive", cid)

        def fetch() -> bytes | None:
            res = self.api._get(url, params={"path": path}, stream=True, headers=_IDENTITY)
            try:
                if res.status_code == 404:
                    return None
                self.api._raise_for_status(res)
                return _first_tar_member(_raw_chunks(res), limit)
            finally:
                _close(res)

        return self._call("read file", fetch)


def _default_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _api_error_text(e: Any) -> str:
    status = getattr(e, "status_code", None)
    explanation = getattr(e, "explanation", None) or str(e)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return f"{status}: {explanation}" if status else str(explanation)


def _is_ambiguous(e: Any) -> bool:
    text = _api_error_text(e).lower()
    return "multiple ids found" in text or "more than one result" in text


def _ambiguous_message(ref: str) -> str:
    return f"{ref!r} matches more than one container: give more characters of the id, or the name"


def _is_podman(version: dict[str, Any] | None) -> bool:
    return any(isinstance(c, dict) and c.get("Name") == "Podman Engine"
               for c in (version or {}).get("Components") or ())


def _podman_start_failed(inspect: dict[str, Any], events: list[dict[str, Any]] | None
                         ) -> str | None:
    """Podman (4.3.1) keeps no trace of why a start failed (an exec failure of `podman
    run`): State stays "created" with no Error and exit code 0, where Docker records
    State.Error. Its events still show that a start was tried: a "cleanup" without a
    "start"."""
    state = inspect.get("State") or {}
    if state.get("Status") != "created" or state.get("Error") or not events:
        return None
    actions = {e.get("Action") or e.get("status") for e in events}
    if "cleanup" not in actions or "start" in actions:
        return None
    return ("Podman tried to start this container and it failed (its events: create, "
            "cleanup, no start), but Podman does not record why: `podman start -a "
            f"{str(inspect.get('Id', ''))[:12]}` shows the error")


def _podman_gone(e: Any) -> bool:
    """A 500 that means "no such container": Podman's (4.3.1) answer where Docker's is a
    404, e.g. logs of a container removed between its lookup and the read."""
    return getattr(e, "status_code", None) == 500 and \
        "no such container" in _api_error_text(e).lower()


def _logs_unreadable(e: Any) -> bool:
    text = _api_error_text(e).lower()
    return getattr(e, "status_code", None) == 501 or "does not support reading" in text or (
        "log driver" in text and "cannot read" in text
    )


def _close(res: Any) -> None:
    """Done with a response. A docker-py response read to its end goes back to its pool
    (`close()` would drop the connection: over ssh:// every request would then open an ssh
    session, and sshd refuses the eleventh while old ones wind down); anything else is
    closed."""
    raw = getattr(res, "raw", None)
    if raw is not None and raw is not res and getattr(raw, "closed", False) and hasattr(
            raw, "release_conn"):
        raw.release_conn()
        return
    res.close()


def _raw_chunks(res: Any, size: int = 65536) -> Iterator[bytes]:
    # decode_content: the engine may gzip a body (it does for archives) when asked to
    for chunk in res.raw.stream(size, decode_content=True):
        if chunk:
            yield chunk


def _frames(chunks: Iterator[bytes]) -> Iterator[tuple[int, bytes]]:
    """Split the engine's multiplexed stream into (stream id, payload) frames."""
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        while len(buf) >= 8:
            stream_id, size = struct.unpack(">BxxxL", bytes(buf[:8]))
            if len(buf) < 8 + size:
                break
            payload = bytes(buf[8 : 8 + size])
            del buf[: 8 + size]
            yield stream_id, payload


class _LineAssembler:
    """Turns payloads into whole lines per stream, with the engine's timestamps.

    Each log entry starts with a timestamp; an entry may hold a partial line (the engine
    splits lines over 16 KiB) or, on a TTY, several lines. A line longer than
    MAX_LINE_CHARS is cut so memory stays bounded.
    """

    def __init__(self, out: deque) -> None:
        self.out = out
        self.pending: dict[str, tuple[str | None, bytearray]] = {}

    def feed(self, stream: str, payload: bytes) -> None:
        ts, cur = self.pending.get(stream, (None, bytearray()))
        for piece in payload.splitlines(keepends=True):
            if not cur:
                m = _TS.match(piece)
                if m:
                    ts = m.group(1).decode()
                    piece = piece[m.end() :]
            elif _TS.match(piece) and not cur.endswith(b"\n"):
                # a continuation entry of a long line: drop its own timestamp
                piece = piece[_TS.match(piece).end() :]  # type: ignore[union-attr]
            if len(cur) < MAX_LINE_CHARS * 4:
                cur += piece[: MAX_LINE_CHARS * 4 - len(cur)]
            if piece.endswith(b"\n"):
                self._emit(stream, ts, cur)
                ts, cur = None, bytearray()
        self.pending[stream] = (ts, cur)

    def feed_tty(self, chunk: bytes) -> None:
        """A TTY stream is not framed: cut it into lines first, then read each timestamp."""
        _, cur = self.pending.get("tty", (None, bytearray()))
        cur += chunk
        while True:
            nl = cur.find(b"\n")
            if nl < 0:
                break
            line = bytes(cur[: nl + 1])
            del cur[: nl + 1]
            m = _TS.match(line)
            ts = m.group(1).decode() if m else None
            self._emit("tty", ts, bytearray(line[m.end() :] if m else line))
        if len(cur) > MAX_LINE_CHARS * 4:  # no newline for too long: cut it here
            self._emit("tty", None, cur[: MAX_LINE_CHARS * 4])
            cur = bytearray()
        self.pending["tty"] = (None, cur)

    def _emit(self, stream: str, ts: str | None, raw: bytearray) -> None:
        text = bytes(raw).rstrip(b"\n").rstrip(b"\r").decode("utf-8", "replace")
        if len(text) > MAX_LINE_CHARS:
            text = text[:MAX_LINE_CHARS] + " …[line cut]"
        self.out.append([stream, ts, text])

    def flush(self) -> None:
        for stream, (ts, cur) in list(self.pending.items()):
            if cur:
                m = _TS.match(bytes(cur[:40])) if ts is None else None
                if m:
                    ts, cur = m.group(1).decode(), cur[m.end() :]
                self._emit(stream, ts, cur)
        self.pending.clear()


def _decode_stat(header: str | None) -> dict[str, Any] | None:
    if not header:
        return None
    try:
        return json.loads(base64.b64decode(header))
    except (ValueError, TypeError):
        return None


def _first_tar_member(chunks: Iterator[bytes], limit: int) -> bytes | None:
    """The first `limit` bytes of the first regular file in a tar stream.

    Reads no more than the headers plus `limit` bytes: a huge file is never pulled whole.
    """
    buf = bytearray()
    it = iter(chunks)

    def need(n: int) -> bool:
        while len(buf) < n:
            try:
                buf.extend(next(it))
            except StopIteration:
                return False
        return True

    pos = 0
    for _ in range(8):  # PAX/GNU long-name headers come before the entry
        if not need(pos + 512):
            return None
        header = bytes(buf[pos : pos + 512])
        if header == b"\0" * 512:
            return None
        size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        kind = header[156:157]
        pos += 512
        if kind in (b"x", b"g", b"L", b"K"):
            pos += (size + 511) // 512 * 512
            continue
        if kind not in (b"0", b"\0", b"7"):
            return None  # a directory, link or device: nothing to read
        want = min(size, limit)
        need(pos + want)
        return bytes(buf[pos : pos + want])
    return None


# -- what one `doctor inspect` reads ----------------------------------------------------


def collect(engine: EngineClient, ref: str, options: LogOptions) -> dict[str, Any]:
    """Every payload a diagnosis needs, as plain data (see snapshot.build).

    The container is inspected first (that resolves the reference); the other reads run
    concurrently. A read that fails is noted in the report rather than fatal.
    """
    inspect = engine.inspect(ref)
    cid = inspect["Id"]
    tty = bool((inspect.get("Config") or {}).get("Tty"))
    created = inspect.get("Created")
    from dockerdoctor.times import parse_docker_time

    since = parse_docker_time(created)
    notes: list[str] = []
    raw: dict[str, Any] = {"inspect": inspect, "taken_at": iso(datetime.now(UTC))}
    jobs: dict[str, Callable[[], Any]] = {
        "logs": lambda: engine.logs(cid, tty, options),
        "changes": lambda: engine.diff(cid),
        "image": lambda: engine.image(inspect.get("Image", "")),
        "history": lambda: engine.history(inspect.get("Image", "")),
        "info": engine.info,
        "version": engine.version,
        "events": lambda: engine.events(cid, since),
    }
    # plain threads: each read mostly waits on the engine (concurrent.futures costs more
    # to import than these few threads need)
    results: dict[str, tuple[bool, Any]] = {}

    def worker(name: str, job: Callable[[], Any]) -> None:
        try:
            results[name] = (True, job())
        except BaseException as e:  # noqa: BLE001 - handed to the main thread below
            results[name] = (False, e)

    threads = [threading.Thread(target=worker, args=item, daemon=True)
               for item in jobs.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in jobs:
        ok, value = results[name]
        if ok:
            raw[name] = value
        elif isinstance(value, (AmbiguousReference, NotFound, EngineUnreachable)):
            raise value
        elif isinstance(value, DoctorError):
            raw[name] = None
            raw[f"{name}_error"] = value.message
            notes.append(f"could not read {name}: {value.message}")
        else:
            raise value
    if _is_podman(raw.get("version")):
        failed = _podman_start_failed(inspect, raw.get("events"))
        if failed:
            notes.append(failed)
    raw["notes"] = notes
    return raw


# -- writes: used only by forensics/, on artifacts dockerdoctor itself labels ---------


class ArtifactEngine:
    """The few engine calls that create and remove things (debug images and containers).

    Kept apart from EngineClient's reads so that what can change the engine is easy to
    audit: everything here acts on dockerdoctor's own labelled artifacts, never on the
    inspected container (commit only reads it, and never pauses it). The requests are
    the Engine API's own, sent over the same transport as the reads (http.client on a
    local socket, docker-py otherwise), so the deep path does not import docker-py either.
    """

    def __init__(self, engine: EngineClient) -> None:
        self.engine = engine

    def _send(self, what: str, method: str, pathfmt: str, *args: str,
              params: dict[str, Any] | None = None, body: Any = None,
              timeout: float | None = None) -> Any:
        return self.engine._call(what, lambda: self.engine.send(
            method, pathfmt, *args, params=params, body=body, timeout=timeout))

    def commit(self, cid: str, labels: dict[str, str], repository: str, tag: str) -> str:
        changes = [f"LABEL {k}={json.dumps(v)}" for k, v in labels.items()]
        result = self._send("commit", "POST", "/commit", params={
            "container": cid, "repo": repository, "tag": tag, "pause": "false",
            "changes": changes, "comment": "dockerdoctor debug copy (forensics)"},
            # the body is the container config to merge ({}: none). Docker takes an empty
            # body; Podman (4.3.1) decodes it as JSON and answers 500 "Decode(): EOF"
            body={})
        return str(result["Id"])

    def create(self, image: str, labels: dict[str, str], network: str = "none",
               entrypoint: list[str] | None = None, command: list[str] | None = None,
               user: str = "", working_dir: str = "", environment: list[str] | None = None,
               tty: bool = False, stdin_open: bool = False, memory: int = 128 << 20,
               pids_limit: int = 64) -> str:
        """A debug container: no network (unless asked), no capabilities, limits."""
        body = {
            "Image": image, "Labels": labels, "Entrypoint": entrypoint, "Cmd": command,
            "User": user, "WorkingDir": working_dir, "Env": environment, "Tty": tty,
            "OpenStdin": stdin_open, "StdinOnce": stdin_open, "AttachStdin": stdin_open,
            "AttachStdout": True, "AttachStderr": True,
            "NetworkDisabled": network == "none",
            "HostConfig": {
                "NetworkMode": network, "CapDrop": ["ALL"],
                "SecurityOpt": ["no-new-privileges"], "Memory": memory,
                "PidsLimit": pids_limit, "LogConfig": {"Type": "json-file", "Config": {}},
                "RestartPolicy": {"Name": "no"},
            },
        }
        result = self._send("create debug container", "POST", "/containers/create",
                            body={k: v for k, v in body.items() if v is not None})
        return str(result["Id"])

    def start(self, cid: str) -> None:
        self._send("start debug container", "POST", "/containers/{0}/start", cid)

    def wait(self, cid: str, timeout: float) -> int | None:
        """The exit code, or None when it did not exit in time."""
        try:
            result = self.engine.send("POST", "/containers/{0}/wait", cid, timeout=timeout)
        except self.engine._conn_error + self.engine._req_error:
            return None  # a read time-out (docker-py raises ConnectionError, #1966)
        except self.engine._api_error as e:
            raise EngineError(f"wait: the engine answered {_api_error_text(e)}") from e
        return int((result or {}).get("StatusCode", -1))

    def kill(self, cid: str) -> None:
        try:
            self.engine.send("POST", "/containers/{0}/kill", cid)
        except self.engine._api_error:
            pass  # already gone or stopped

    def remove_container(self, cid: str) -> bool:
        return self._removed("/containers/{0}", cid, {"force": "1", "v": "1"})

    def remove_image(self, image_id: str) -> bool:
        return self._removed("/images/{0}", image_id, {"force": "1", "noprune": "0"})

    def _removed(self, pathfmt: str, ref: str, params: dict[str, str]) -> bool:
        """True when it is gone (also when it was gone already), False if it stays."""
        try:
            self.engine.send("DELETE", pathfmt, ref, params=params)
            return True
        except self.engine._not_found:
            return True
        except self.engine._api_error + self.engine._conn_error + self.engine._req_error:
            return False

    def labelled(self, label: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(containers, images) carrying `label`."""
        filters = {"filters": json.dumps({"label": [label]})}
        containers = self._send("list", "GET", "/containers/json",
                                params={"all": "1", **filters})
        images = self._send("list images", "GET", "/images/json", params=filters)
        return containers or [], images or []

    def put_archive(self, cid: str, path: str, data: bytes) -> None:
        """Put a tar into a container that is created but not started (the toolbox)."""
        self._send("copy into debug container", "PUT", "/containers/{0}/archive", cid,
                   params={"path": path}, body=data)


def read_tree(engine: EngineClient, cid: str, path: str, want: Callable[[str, int], int],
              max_stream: int) -> list[dict[str, Any]]:
    """Walk the tar of `path` from the archive API and keep what `want` asks for.

    `want(name, size)` returns how many bytes of that regular file to keep (0: none).
    Symlinks, devices and other special files are listed but never followed or read;
    no more than `max_stream` bytes are read off the wire (tar bombs, huge trees).
    Returns [{name, size, type, data, link}] with the tail of each kept file.
    """
    api = engine.api
    url = api._url("/containers/{0}/archive", cid)

    def fetch() -> list[dict[str, Any]]:
        res = api._get(url, params={"path": path}, stream=True, headers=_IDENTITY)
        try:
            if res.status_code == 404:
                return []
            api._raise_for_status(res)
            return _walk_tar(_raw_chunks(res), want, max_stream)
        finally:
            _close(res)

    return engine._call("read files", fetch)


def _walk_tar(chunks: Iterator[bytes], want: Callable[[str, int], int],
              max_stream: int) -> list[dict[str, Any]]:
    buf = bytearray()
    it = iter(chunks)
    consumed = 0
    out: list[dict[str, Any]] = []
    long_name: str | None = None

    def fill(n: int) -> bool:
        nonlocal consumed
        while len(buf) < n:
            if consumed >= max_stream:
                return False
            try:
                chunk = next(it)
            except StopIteration:
                return False
            consumed += len(chunk)
            buf.extend(chunk)
        return True

    short = False  # the last skip() ended before its n bytes (stream end or limit)

    def skip(n: int, keep_tail: int) -> bytes:
        """Consume n bytes, returning the last keep_tail of them."""
        nonlocal short
        short = False
        tail = bytearray()
        left = n
        while left > 0:
            if not buf and not fill(1):
                short = True
                break
            take = min(left, len(buf))
            piece = bytes(buf[:take])
            del buf[:take]
            left -= take
            if keep_tail:
                tail += piece
                if len(tail) > keep_tail:
                    del tail[: len(tail) - keep_tail]
        return bytes(tail)

    while fill(512):
        header = bytes(buf[:512])
        del buf[:512]
        if header == b"\0" * 512:
            break
        name = header[:100].rstrip(b"\0").decode("utf-8", "replace")
        prefix = header[345:500].rstrip(b"\0").decode("utf-8", "replace")
        if prefix:
            name = f"{prefix}/{name}"
        try:
            size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        except ValueError:
            break  # not a tar we understand: stop rather than guess
        kind = header[156:157]
        padded = (size + 511) // 512 * 512
        if kind in (b"x", b"g"):  # PAX: may carry a long path
            data = skip(padded, padded)[:size]
            for rec in data.decode("utf-8", "replace").split("\n"):
                if " path=" in rec:
                    long_name = rec.split(" path=", 1)[1]
            continue
        if kind == b"L":  # GNU long name
            long_name = skip(padded, padded)[:size].rstrip(b"\0").decode("utf-8", "replace")
            continue
        if long_name:
            name, long_name = long_name, None
        link = header[157:257].rstrip(b"\0").decode("utf-8", "replace")
        types = {b"0": "file", b"\0": "file", b"7": "file", b"1": "hardlink", b"2": "symlink",
                 b"3": "char-device", b"4": "block-device", b"5": "dir", b"6": "fifo"}
        entry: dict[str, Any] = {"name": name, "size": size,
                                 "type": types.get(kind, "other"), "link": link, "data": None}
        if entry["type"] == "file":
            keep = want(name, size)
            data = skip(padded, keep + (padded - size) if keep else 0)
            if short:
                # the read limit (or the stream) ended inside this file: what was read is
                # from its middle, not its tail, so none of it is shown as its last lines
                entry["cut"] = True
            elif keep:
                entry["data"] = data[: len(data) - (padded - size)] if padded > size else data
                entry["partial"] = size > keep
            out.append(entry)
        else:
            skip(padded, 0)
            out.append(entry)
        if consumed >= max_stream and not buf:
            out.append({"name": "", "size": 0, "type": "stopped", "link": "", "data": None})
            break
    return out


# -- the read path without docker-py ---------------------------------------------------
#
# Importing docker-py (and with it requests) costs more than the whole diagnosis. For the
# common cases (a local unix socket, or plain tcp://), reads go over the standard
# library's http.client instead, with the same methods docker-py's APIClient offers for
# the calls made here. TLS, ssh:// and Docker contexts go through docker-py.


class _LiteAPIError(Exception):
    def __init__(self, status_code: int, explanation: str) -> None:
        super().__init__(f"{status_code}: {explanation}")
        self.status_code = status_code
        self.explanation = explanation


class _LiteNotFound(_LiteAPIError):
    pass


class _LiteConnectionError(Exception):
    """Could not reach the engine; the cause chain holds the OSError."""


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class _LiteResponse:
    def __init__(self, conn: http.client.HTTPConnection, resp: http.client.HTTPResponse
                 ) -> None:
        self._conn = conn
        self._resp = resp
        self.status_code = resp.status
        self.headers = resp.headers
        self.raw = self

    def stream(self, size: int, decode_content: bool = True) -> Iterator[bytes]:
        while True:
            try:
                chunk = self._resp.read(size)
            except (OSError, http.client.HTTPException) as e:
                raise _LiteConnectionError(str(e)) from e
            if not chunk:
                return
            yield chunk

    @property
    def content(self) -> bytes:
        return b"".join(self.stream(65536))

    def close(self) -> None:
        self._resp.close()
        self._conn.close()


class _LiteAPI:
    """The subset of docker-py's APIClient that the reads use, on http.client."""

    def __init__(self, target: tuple[str, str, int], timeout: float) -> None:
        self._target = target
        self.timeout = timeout
        self.base_url = ""
        self.version_payload = self._json_unversioned("/version")
        self.api_version = str(self.version_payload.get("ApiVersion") or "1.24")

    def _connection(self, timeout: float | None = None) -> http.client.HTTPConnection:
        kind, where, port = self._target
        t = timeout or self.timeout
        if kind == "unix":
            return _UnixHTTPConnection(where, t)
        return http.client.HTTPConnection(where, port, timeout=t)

    def _url(self, pathfmt: str, *args: str) -> str:
        quoted = [urllib.parse.quote(a, safe="/:") for a in args]
        return f"/v{self.api_version}{pathfmt.format(*quoted)}"

    def _request(self, method: str, url: str, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, timeout: float | None = None,
                 body: bytes | None = None) -> _LiteResponse:
        if params:
            pairs = [(k, v) for k, v in params.items() if v is not None]
            url += "?" + urllib.parse.urlencode(pairs, doseq=True)
        conn = self._connection(timeout)
        try:
            conn.request(method, url, body=body,
                         headers={"Host": "docker", "Accept-Encoding": "identity",
                                  "User-Agent": "dockerdoctor", **(headers or {})})
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise _LiteConnectionError(str(e)) from e
        return _LiteResponse(conn, resp)

    def _get(self, url: str, params: dict[str, Any] | None = None, stream: bool = False,
             headers: dict[str, str] | None = None) -> _LiteResponse:
        return self._request("GET", url, params, headers)

    def head(self, url: str, params: dict[str, Any] | None = None,
             timeout: float | None = None, headers: dict[str, str] | None = None
             ) -> _LiteResponse:
        res = self._request("HEAD", url, params, headers, timeout)
        res.close()
        return res

    def _raise_for_status(self, res: _LiteResponse) -> None:
        if res.status_code < 400:
            return
        body = b""
        try:
            body = res.content
        except _LiteConnectionError:
            pass
        try:
            message = json.loads(body).get("message") or body.decode("utf-8", "replace")
        except (ValueError, AttributeError):
            message = body.decode("utf-8", "replace").strip() or (res._resp.reason or "")
        res.close()
        cls = _LiteNotFound if res.status_code == 404 else _LiteAPIError
        raise cls(res.status_code, str(message))

    def _json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        res = self._get(url, params)
        try:
            self._raise_for_status(res)
            return json.loads(res.content or b"null")
        finally:
            res.close()

    def send(self, method: str, url: str, params: dict[str, Any] | None,
             body: bytes | None, content_type: str, timeout: float | None) -> Any:
        res = self._request(method, url, params, {"Content-Type": content_type} if body
                            is not None else None, timeout, body)
        try:
            self._raise_for_status(res)
            content = res.content
            return json.loads(content) if content.strip() else None
        finally:
            res.close()

    def _json_unversioned(self, path: str) -> Any:
        return self._json(path)

    def inspect_container(self, ref: str) -> Any:
        return self._json(self._url("/containers/{0}/json", ref))

    def containers(self, all: bool = False, filters: dict | None = None) -> Any:
        params: dict[str, Any] = {"all": 1 if all else 0}
        if filters:
            params["filters"] = json.dumps(filters)
        return self._json(self._url("/containers/json"), params)

    def info(self) -> Any:
        return self._json(self._url("/info"))

    def version(self) -> Any:
        return self.version_payload

    def diff(self, cid: str) -> Any:
        return self._json(self._url("/containers/{0}/changes", cid))

    def inspect_image(self, image: str) -> Any:
        return self._json(self._url("/images/{0}/json", image))

    def history(self, image: str) -> Any:
        return self._json(self._url("/images/{0}/history", image))

    def services(self, filters: dict | None = None) -> Any:
        params = {"filters": json.dumps(filters)} if filters else None
        return self._json(self._url("/services"), params)

    def inspect_service(self, ref: str) -> Any:
        return self._json(self._url("/services/{0}", ref))

    def tasks(self, filters: dict | None = None) -> Any:
        params = {"filters": json.dumps(filters)} if filters else None
        return self._json(self._url("/tasks"), params)

    def nodes(self, filters: dict | None = None) -> Any:
        params = {"filters": json.dumps(filters)} if filters else None
        return self._json(self._url("/nodes"), params)


def _lite_target(host: str | None) -> tuple[str, str, int] | None:
    """Where the standard-library client can go by itself; None: leave it to docker-py."""
    env = os.environ
    if host is None:
        if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_CERT_PATH"):
            return None
        host = env.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if host.startswith("unix://"):
        return ("unix", host[len("unix://"):] or "/var/run/docker.sock", 0)
    if host.startswith("tcp://") and not (env.get("DOCKER_TLS_VERIFY")
                                          or env.get("DOCKER_CERT_PATH")):
        parsed = urllib.parse.urlsplit(host)
        if parsed.hostname and not parsed.path.strip("/"):
            return ("tcp", parsed.hostname, parsed.port or 2375)
    return None


def _current_context() -> str:
    path = os.path.join(os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker"),
                        "config.json")
    try:
        with open(path, encoding="utf-8") as fh:
            return str(json.load(fh).get("currentContext") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def context_host(name: str) -> str | None:
    """The engine URL of the Docker context `name` (None for `default`: the usual one).

    Reads the CLI's context store (~/.docker/contexts/meta/<sha256 of name>/meta.json).
    """
    import hashlib

    if name == "default":
        return None
    root = os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker")
    digest = hashlib.sha256(name.encode()).hexdigest()
    path = os.path.join(root, "contexts", "meta", digest, "meta.json")
    try:
        with open(path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except FileNotFoundError:
        raise UsageError(f"no Docker context named {name!r} (`docker context ls` lists "
                         "them)") from None
    except (OSError, ValueError) as e:
        raise UsageError(f"Docker context {name!r}: cannot read {path}: {e}") from None
    endpoint = ((meta.get("Endpoints") or {}).get("docker") or {})
    host = endpoint.get("Host")
    if not host:
        raise UsageError(f"Docker context {name!r} has no docker endpoint")
    if os.path.isdir(os.path.join(root, "contexts", "tls", digest, "docker")):
        raise UsageError(f"Docker context {name!r} uses TLS: use DOCKER_HOST with "
                         "DOCKER_TLS_VERIFY and DOCKER_CERT_PATH instead")
    return str(host)
