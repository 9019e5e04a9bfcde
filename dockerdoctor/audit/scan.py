"""Read an image's export (`docker save`) as a stream: what each layer adds and deletes.

The export is a tar holding one tar per layer, the image config and a manifest that
puts the layers in order. Both levels are read sequentially with `tarfile`'s stream mode,
so memory stays flat whatever the image's size: only the paths that matter are kept
(secret-looking files, shells, package caches and build tools, each with its size and a
capped head when the content decides), plus each layer's whiteouts. Works with the
classic layout (`<id>/layer.tar`, Docker < 25) and the OCI one (`blobs/sha256/...`).
Pure: takes an iterator of bytes, returns data.
"""

from __future__ import annotations

import json
import posixpath
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, cast

HEAD_BYTES = 64 * 1024  # read from files whose content decides (keys, os-release)
_BUFSIZE = 1 << 20  # tarfile's stream mode skips file contents by reading: in big blocks
MAX_JSON = 4 * 1024 * 1024  # configs and manifests are small; anything larger is a layer

SHELLS = ("/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash", "/usr/bin/sh", "/usr/bin/bash",
          "/busybox/sh")
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")

# package and build caches: name -> path prefixes (a file under one belongs to it)
CACHES: dict[str, tuple[str, ...]] = {
    "apt lists": ("/var/lib/apt/lists/",),
    "apt archives (.deb)": ("/var/cache/apt/archives/",),
    "apk cache": ("/var/cache/apk/",),
    "dnf/yum cache": ("/var/cache/dnf/", "/var/cache/yum/"),
    "pip cache": ("/root/.cache/pip/", "/home/*/.cache/pip/"),
    "npm cache": ("/root/.npm/", "/home/*/.npm/"),
    "yarn cache": ("/usr/local/share/.cache/yarn/", "/root/.cache/yarn/",
                   "/home/*/.cache/yarn/"),
    "go build cache": ("/root/.cache/go-build/", "/home/*/.cache/go-build/"),
    "maven repository": ("/root/.m2/repository/",),
    "gradle cache": ("/root/.gradle/caches/",),
}
_CACHE_SKIP = re.compile(r"/(?:lock|partial/?)$")  # apt's empty lock files
_CACHE_RE = {name: re.compile("|".join("^" + re.escape(p).replace(r"\*", "[^/]+")
                                        for p in prefixes))
             for name, prefixes in CACHES.items()}

# build tools a multi-stage build would leave in the build stage
TOOLS: dict[str, re.Pattern[str]] = {
    "gcc/g++": re.compile(r"^/usr/(?:local/)?bin/(?:gcc|g\+\+|cc|c\+\+)(?:-\d+)?$|"
                          r"^/usr/bin/x86_64-linux-gnu-gcc(?:-\d+)?$"),
    "make": re.compile(r"^/usr/(?:local/)?bin/(?:make|cmake)$"),
    "Go toolchain": re.compile(r"^/usr/(?:local/go|lib/go-[\d.]+)/bin/go$"),
    "JDK compiler (javac)": re.compile(r"^/(?:usr/lib/jvm/[^/]+|opt/java/[^/]+)/bin/javac$"),
    "Rust toolchain": re.compile(r"^/(?:usr/local/cargo|root/\.cargo)/bin/(?:cargo|rustc)$"),
    "C headers (/usr/include)": re.compile(r"^/usr/include/stdio\.h$"),
}

_SECRET_NAMES = re.compile(
    r"(?:^|/)(?:\.env(?:\.(?!example|sample|template|dist)[\w.-]+)?|"
    r"id_(?:rsa|dsa|ecdsa|ed25519)|\.netrc|\.git-credentials|\.pypirc|\.npmrc|"
    r"\.aws/credentials|\.docker/config\.json|\.kube/config|credentials\.json|"
    r"[\w.-]+\.(?:pem|key|p12|pfx|jks))$")
# sample keys and test fixtures that packages ship (Go's testdata, python's test suite,
# ssl-cert's snakeoil key): not secrets of the image's owner
_NOT_SECRET = re.compile(r"/(?:testdata|tests?|fixtures|examples?|docs?)/|^/usr/share/|"
                         r"^/usr/lib/(?:go[-\d.]*|python[\d.]+|jvm)/|snakeoil")
_GIT_DIR = re.compile(r"^(?P<dir>.*/\.git)/(?:HEAD|config)$")
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----")
_SECRET_CONTENT: dict[str, re.Pattern[bytes]] = {
    ".npmrc": re.compile(rb"_authToken\s*=\s*\S|_auth\s*=\s*\S|_password\s*=\s*\S"),
    "config.json": re.compile(rb'"auth"\s*:\s*"[^"]+"|"identitytoken"\s*:\s*"[^"]+"'),
    "credentials.json": re.compile(rb'"private_key"\s*:|"client_secret"\s*:'),
    ".pypirc": re.compile(rb"password\s*[:=]\s*\S"),
    "credentials": re.compile(rb"(?i)aws_secret_access_key\s*=\s*\S|aws_access_key_id\s*=\s*\S"),
    ".netrc": re.compile(rb"password\s+\S"),
    ".git-credentials": re.compile(rb"://[^:\s]+:[^@\s]+@"),
    "config": re.compile(rb"client-key-data|token:\s*\S|password:\s*\S"),
}


@dataclass
class Hit:
    """A path that matters, in the layer that added it."""

    path: str
    kind: str  # "secret", "git", "shell", "os-release", "cache", "tool"
    size: int
    detail: str = ""  # the cache's or tool's name, what makes a file secret, os name


@dataclass
class LayerScan:
    member: str  # its name in the export
    files: int = 0
    bytes: int = 0
    hits: list[Hit] = field(default_factory=list)
    cache_bytes: dict[str, int] = field(default_factory=dict)  # cache name -> bytes
    cache_files: dict[str, int] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)  # paths this layer deletes
    opaque: list[str] = field(default_factory=list)  # directories it empties


@dataclass
class Export:
    """What the stream held: layers in order, the config, and what was read."""

    layers: list[LayerScan]  # oldest first (the manifest's order)
    config: dict[str, Any]
    files: int = 0
    bytes: int = 0
    notes: list[str] = field(default_factory=list)


class _ChunkReader:
    """A read()-able view of an iterator of byte chunks (what tarfile's stream mode needs)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = b""
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        out = []
        want = n if n >= 0 else 1 << 62
        while want > 0:
            if self._pos >= len(self._buf):
                try:
                    self._buf = next(self._chunks)
                except StopIteration:
                    break
                self._pos = 0
            piece = self._buf[self._pos:self._pos + want]
            self._pos += len(piece)
            want -= len(piece)
            out.append(piece)
        return b"".join(out)


class _Prefixed:
    """`head` then the rest of `f`: a member whose first bytes were peeked at."""

    def __init__(self, head: bytes, f: IO[bytes]) -> None:
        self._head = head
        self._f = f

    def read(self, n: int = -1) -> bytes:
        if self._head:
            if n < 0:
                out, self._head = self._head + self._f.read(), b""
                return out
            out, self._head = self._head[:n], self._head[n:]
            if len(out) < n:
                out += self._f.read(n - len(out))
            return out
        return self._f.read(n)


def read_export(chunks: Iterator[bytes]) -> Export:
    """Walk the export stream once; layers are put in order by the manifest at the end."""
    outer = tarfile.open(fileobj=cast(BinaryIO, _ChunkReader(chunks)), mode="r|",
                         bufsize=_BUFSIZE)
    scans: dict[str, LayerScan] = {}
    small: dict[str, bytes] = {}
    links: dict[str, str] = {}
    for member in outer:
        cast(Any, outer).members = []  # stream mode keeps every header otherwise
        name = member.name.lstrip("./")
        if member.issym() or member.islnk():
            links[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                            member.linkname)) \
                if member.issym() else member.linkname.lstrip("./")
            continue
        if not member.isfile():
            continue
        f = outer.extractfile(member)
        if f is None:
            continue
        head = f.read(512)
        if len(head) == 512 and head[257:262] == b"ustar":
            scans[name] = _scan_layer(name, cast(BinaryIO, _Prefixed(head, f)))
        elif member.size <= MAX_JSON:
            small[name] = head + f.read()
    manifest = _json(small.get("manifest.json"))
    if not isinstance(manifest, list) or not manifest:
        raise ValueError("the export has no manifest.json")
    entry = manifest[0]
    config = _json(small.get(_resolve(entry.get("Config", ""), links)))
    layers = []
    for layer_name in entry.get("Layers") or []:
        real = _resolve(layer_name, links)
        layers.append(scans.get(real) or LayerScan(member=real))
    return Export(layers=layers, config=config if isinstance(config, dict) else {},
                  files=sum(x.files for x in layers), bytes=sum(x.bytes for x in layers))


def _resolve(name: str, links: dict[str, str]) -> str:
    name = name.lstrip("./")
    for _ in range(8):
        if name not in links:
            return name
        name = links[name]
    return name


def _json(data: bytes | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def _scan_layer(name: str, f: BinaryIO) -> LayerScan:
    scan = LayerScan(member=name)
    inner = tarfile.open(fileobj=f, mode="r|", bufsize=_BUFSIZE)
    for m in inner:
        cast(Any, inner).members = []
        path = "/" + m.name.lstrip("./").rstrip("/")
        base = posixpath.basename(path)
        if base.startswith(".wh."):
            parent = posixpath.dirname(path)
            if base == ".wh..wh..opq":
                scan.opaque.append(parent)
            else:
                scan.whiteouts.append(posixpath.join(parent, base[4:]))
            continue
        if m.isdir():
            continue
        scan.files += 1
        scan.bytes += m.size
        _classify(scan, inner, m, path)
    # the outer member ends with padding tarfile does not read: drain it
    while f.read(1 << 20):
        pass
    return scan


def _classify(scan: LayerScan, inner: tarfile.TarFile, m: tarfile.TarInfo, path: str
              ) -> None:
    if path in SHELLS:
        scan.hits.append(Hit(path, "shell", m.size))
        return
    if path in OS_RELEASE and m.isfile():
        head = _head(inner, m)
        pretty = re.search(rb'^PRETTY_NAME="?([^"\n]*)', head, re.MULTILINE)
        scan.hits.append(Hit(path, "os-release", m.size,
                             pretty.group(1).decode("utf-8", "replace") if pretty else ""))
        return
    for cache, pattern in _CACHE_RE.items():
        if pattern.match(path):
            if m.isfile() and not _CACHE_SKIP.search(path):
                scan.cache_bytes[cache] = scan.cache_bytes.get(cache, 0) + m.size
                scan.cache_files[cache] = scan.cache_files.get(cache, 0) + 1
            return
    for tool, pattern in TOOLS.items():
        if pattern.match(path):
            scan.hits.append(Hit(path, "tool", m.size, tool))
            return
    git = _GIT_DIR.match(path)
    if git:
        if not any(h.kind == "git" and h.path == git.group("dir") for h in scan.hits):
            scan.hits.append(Hit(git.group("dir"), "git", 0, "a git repository"))
        return
    if _SECRET_NAMES.search(path) and m.isfile() and not _NOT_SECRET.search(path):
        why = _secret_reason(path, _head(inner, m))
        if why:
            scan.hits.append(Hit(path, "secret", m.size, why))


def _head(inner: tarfile.TarFile, m: tarfile.TarInfo) -> bytes:
    f = inner.extractfile(m)
    return f.read(HEAD_BYTES) if f is not None else b""


def _secret_reason(path: str, head: bytes) -> str:
    base = posixpath.basename(path)
    if _PRIVATE_KEY.search(head):
        return "a private key"
    if base == ".env" or base.startswith(".env."):
        if re.search(rb"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*\S", head, re.MULTILINE):
            return "an environment file with values"
        return ""
    pattern = _SECRET_CONTENT.get(base)
    if pattern is not None and pattern.search(head):
        return {".npmrc": "an npm auth token", "config.json": "Docker registry credentials",
                "credentials.json": "cloud service-account credentials",
                ".pypirc": "a PyPI password", "credentials": "AWS credentials",
                ".netrc": "a .netrc password", ".git-credentials": "git credentials",
                "config": "Kubernetes credentials"}[base]
    return ""
