"""An image's config, history and scanned layers -> findings (pure).

Every finding names the layer that caused it as evidence ("layer 3, step 5: RUN ..."),
so the fix lands on the right Dockerfile line. The catalogue below is the public list of
`doctor image` finding ids; the order is the priority among equal severities.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dockerdoctor.audit.relevant import ROOT_USERS, shell_form
from dockerdoctor.model import Evidence, Finding, ImageLayer, Severity
from dockerdoctor.redact import Redactor, is_secret_name
from dockerdoctor.report import size

if TYPE_CHECKING:  # scan.py (tarfile) is imported only when the layers are read
    from dockerdoctor.audit.scan import Export, Hit

IMAGE_CATALOGUE: dict[str, tuple[Severity, str]] = {
    "image-secret-env": (Severity.ERROR, "a secret-looking ENV with a value, baked into the "
                         "image config"),
    "image-secret-in-history": (Severity.ERROR, "a secret in a build argument or RUN line, "
                                "visible to anyone with `docker history`"),
    "image-secret-file": (Severity.ERROR, "a private key, .env, .git directory or credentials "
                          "file inside a layer (also when a later layer deletes it)"),
    "image-runs-as-root": (Severity.WARNING, "USER is unset or 0: the app runs as root"),
    "image-shell-form": (Severity.WARNING, "CMD/ENTRYPOINT in shell form: sh is PID 1 and "
                         "does not pass SIGTERM on"),
    "image-package-cache": (Severity.WARNING, "package-manager caches left in a layer (apt "
                            "lists, .deb files, pip/npm/yarn/go caches)"),
    "image-remote-add": (Severity.WARNING, "ADD of a remote URL: not pinned, not verified, "
                         "not cached"),
    "image-unpinned": (Severity.WARNING, "the base image (or the image itself) is named by a "
                       "moving tag (latest or none), not a digest"),
    "image-build-tools": (Severity.INFO, "compilers and build tools in the final image that "
                          "a multi-stage build would drop"),
    "image-no-healthcheck": (Severity.INFO, "a long-running service without HEALTHCHECK"),
    "image-large-layers": (Severity.INFO, "the largest layers, with the instruction that made "
                           "them"),
    "image-no-shell": (Severity.INFO, "no shell in the image (scratch or distroless): `doctor "
                       "shell` needs --toolbox"),
    "image-exposed-ports": (Severity.INFO, "ports the image declares (EXPOSE)"),
    "image-volumes": (Severity.INFO, "declared volumes: their data lives outside the image "
                      "and `docker commit`"),
}
_RANK = {fid: i for i, fid in enumerate(IMAGE_CATALOGUE)}

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s+")
_SHELL_RUN = re.compile(r"^(?:\|\d+ (?P<args>.*?) )?/bin/(?:ba)?sh -c (?P<cmd>.*)$", re.S)
_BUILD_ARGS = re.compile(r"^\|(?P<n>\d+) ")
_METADATA = re.compile(r"^(?:ENV|ARG|CMD|ENTRYPOINT|EXPOSE|VOLUME|LABEL|USER|WORKDIR|"
                       r"HEALTHCHECK|STOPSIGNAL|SHELL|ONBUILD|MAINTAINER)\b")
# BuildKit keeps the URL; the legacy builder records a download as its bare sha256
# ("ADD <hex> in /dest"), a local file as "ADD file:<hex> in /dest"
_REMOTE_ADD = re.compile(r"^ADD (?:--\S+ )*(?:(?P<url>https?://\S+)|(?P<sum>[0-9a-f]{64}) in "
                         r"(?P<dest>\S+))", re.IGNORECASE)
_SERVICE_CMD = re.compile(r"\b(?:nginx|httpd|apache2|gunicorn|uvicorn|node|java|redis-server|"
                          r"postgres|mysqld|mongod|php-fpm|caddy|traefik|serve|server|"
                          r"flask|rails|puma|dotnet)\b", re.IGNORECASE)
# `--password=x`, `-pass x`: a whole option word (not the `-p` in python3-pip, --prefix or
# tar -pxf); `-pSECRET` only after the MySQL clients, the one family that takes it so
_PASSWORD_FLAG = re.compile(r"(?:(?<![\w-])--?(?:password|passwd|pass|token|secret|api-key|"
                            r"apikey)(?:=|\s+)|\b(?:mysql|mysqladmin|mysqldump|mariadb|"
                            r"mariadb-dump)\b[^|;&\n]*?\s-p)(?P<val>[^\s'\"-][^\s'\"]*)",
                            re.IGNORECASE)
# secret-looking names whose values are public by convention: the official images'
# GPG_KEY (a key fingerprint), *_FILE (the path of a mounted secret), versions, switches
_PUBLIC_ENV = re.compile(r"^(?:GPG_KEYS?|[A-Z0-9_]*_GPG_KEYS?|TOKENIZERS_PARALLELISM|"
                         r"[A-Za-z0-9_]*_(?:FILE|VERSION|ENABLED|DISABLED|SOCK))$",
                         re.IGNORECASE)
_SWITCH_VALUES = ("true", "false", "yes", "no", "on", "off", "enabled", "disabled")
LARGE_LAYER = 100 * 1024 * 1024  # a layer this big is worth a look
CACHE_WORTH = 1024 * 1024  # caches smaller than this are not worth a finding


@dataclass(frozen=True)
class Facts:
    """What the rules read: the engine's image inspect, its history, maybe the export."""

    ref: str
    inspect: dict[str, Any]
    history: list[dict[str, Any]]  # the API's, newest first
    export: Export | None = None


def layers_of(facts: Facts) -> tuple[ImageLayer, ...]:
    """The history, oldest first, with each step's file system layer index (if any)."""
    entries: list[tuple[str, int, bool]] = []
    config_history = (facts.export.config.get("history") if facts.export else None) or []
    api = list(reversed(facts.history))  # oldest first
    if config_history and len(config_history) == len(api):
        for h, a in zip(config_history, api, strict=True):
            entries.append((h.get("created_by") or "", int(a.get("Size") or 0),
                            bool(h.get("empty_layer"))))
    else:
        for a in api:
            instruction = shorten(a.get("CreatedBy") or "")
            size = int(a.get("Size") or 0)
            entries.append((a.get("CreatedBy") or "", size,
                            size == 0 and bool(_METADATA.match(instruction))))
    out = []
    index = 0
    for step, (created_by, size, empty) in enumerate(entries, 1):
        if not empty:
            index += 1
        out.append(ImageLayer(step=step, instruction=shorten(created_by), size=size,
                              empty=empty, index=None if empty else index))
    return tuple(out)


def shorten(created_by: str) -> str:
    """The Dockerfile instruction behind a history entry (legacy builder or BuildKit)."""
    text = created_by.strip()
    if not text:
        return "(imported file system)"
    text = re.sub(r"\s+# buildkit$", "", text)
    if text.startswith("RUN ") and _SHELL_RUN.match(text[4:]):
        text = text[4:]  # BuildKit: "RUN |1 A=b /bin/sh -c cmd # buildkit"
    nop = _NOP.match(text)
    if nop:
        return text[nop.end():].strip()
    run = _SHELL_RUN.match(text)
    if run:
        args = f"(build args: {run.group('args')}) " if run.group("args") else ""
        return f"RUN {args}{run.group('cmd').strip()}"
    return text


def audit_findings(facts: Facts, layers: tuple[ImageLayer, ...]) -> tuple[Finding, ...]:
    cfg = facts.inspect.get("Config") or {}
    by_index = {x.index: x for x in layers if x.index is not None}
    findings: list[Finding] = []
    findings += _secret_env(cfg, layers)
    findings += _secret_history(layers)
    if facts.export:
        findings += _secret_files(facts.export, by_index)
    findings += _root(cfg)
    findings += _shell_form(cfg, layers)
    if facts.export:
        findings += _caches(facts.export, by_index)
    findings += _remote_add(layers)
    findings += _unpinned(facts)
    if facts.export:
        findings += _build_tools(facts.export, by_index)
    findings += _no_healthcheck(cfg)
    findings += _large_layers(facts, layers)
    if facts.export:
        findings += _no_shell(facts.export)
    findings += _ports_and_volumes(cfg, layers)
    findings.sort(key=lambda f: (-f.severity.rank, _RANK.get(f.id, len(_RANK))))
    return tuple(findings)


def redactor(facts: Facts, layers: tuple[ImageLayer, ...]) -> Redactor:
    """Knows the image's secret values: ENV values and build-argument values."""
    cfg = facts.inspect.get("Config") or {}
    known = [v.partition("=")[2] for v in cfg.get("Env") or []
             if is_secret_name(v.partition("=")[0])]
    for h in facts.history:
        for key, value in _build_args(h.get("CreatedBy") or ""):
            if is_secret_name(key) and value:
                known.append(value)
    return Redactor(known)


# -- the rules ---------------------------------------------------------------------------


def _where(layer: ImageLayer | None) -> str:
    """The whole instruction: clip_source() shortens it, after redaction (a secret cut in
    two is no longer the value the redactor knows, and its first half would leak)."""
    if layer is None:
        return "image config"
    pos = f"layer {layer.index}, step {layer.step}" if layer.index else f"step {layer.step}"
    return f"{pos}: {layer.instruction}"


def clip_source(source: str, width: int = 120) -> str:
    """An evidence source with its instruction cut to `width` characters."""
    pos, sep, text = source.partition(": ")
    if not sep or not pos.startswith(("layer ", "step ")) or len(text) <= width:
        return source
    return f"{pos}: {text[:width - 3]}..."


def _step_setting(layers: tuple[ImageLayer, ...], keyword: str, name: str = ""
                  ) -> ImageLayer | None:
    """The newest step whose instruction is `keyword` (and sets `name`)."""
    for layer in reversed(layers):
        text = layer.instruction
        if text.upper().startswith(keyword + " ") and (not name or re.search(
                rf"(?:^|\s){re.escape(name)}[=\s]", text[len(keyword):])):
            return layer
    return None


def _secret_env(cfg: dict[str, Any], layers: tuple[ImageLayer, ...]) -> list[Finding]:
    secrets = [item for item in cfg.get("Env") or [] if _secret_env_item(item)]
    if not secrets:
        return []
    names = [s.partition("=")[0] for s in secrets]
    ev = [Evidence(_where(_step_setting(layers, "ENV", n)), f"{n} has a value") for n in names]
    return [_finding(
        "image-secret-env",
        f"Secret-looking environment variable{'s' if len(names) > 1 else ''} baked into "
        f"the image: {', '.join(names)}",
        "ENV values are part of the image config: anyone who can pull the image reads them "
        "with `docker inspect`, and every container inherits them.",
        "Remove the ENV line; pass the value at run time (`docker run -e`, an env file, "
        "Compose secrets) or mount it as a secret file.", ev)]


def _secret_env_item(item: str) -> bool:
    """`NAME=value` with a secret-looking name and a value that could be a secret."""
    name, _, value = item.partition("=")
    return (is_secret_name(name) and bool(value) and not _PUBLIC_ENV.match(name)
            and value.strip().lower() not in _SWITCH_VALUES)


def _build_args(created_by: str) -> list[tuple[str, str]]:
    """The build arguments a RUN line records: `|2 A=x B=y /bin/sh -c` (legacy builder),
    `RUN |2 A=x B=y /bin/sh -c ... # buildkit` (BuildKit)."""
    created_by = created_by.removeprefix("RUN ")
    m = _BUILD_ARGS.match(created_by)
    if not m:
        return []
    rest = created_by[m.end():]
    out = []
    for _ in range(int(m.group("n"))):
        pair = re.match(r"(?P<k>[A-Za-z_][A-Za-z0-9_]*)=(?P<v>\S*)\s", rest)
        if not pair:
            break
        out.append((pair.group("k"), pair.group("v")))
        rest = rest[pair.end():]
    return out


def _secret_history(layers: tuple[ImageLayer, ...]) -> list[Finding]:
    ev = []
    probe = Redactor()
    for layer in layers:
        text = layer.instruction
        if text.upper().startswith("ENV "):
            continue  # image-secret-env says it, from the config
        reasons = []
        args = re.match(r"RUN \(build args: (?P<a>.*?)\) ", text)
        if args:
            for pair in args.group("a").split():
                key, _, value = pair.partition("=")
                if is_secret_name(key) and value:
                    reasons.append(f"build argument {key}")
        if layer.instruction.upper().startswith("ARG "):
            for pair in text[4:].split():
                key, _, value = pair.partition("=")
                if is_secret_name(key) and value:
                    reasons.append(f"ARG {key} with a default value")
        flag = _PASSWORD_FLAG.search(text)
        if flag and not flag.group("val").startswith("$"):
            reasons.append("a password on the command line")
        if not reasons and probe.text(text) != text:
            reasons.append("a credential or token")
        if reasons:
            ev.append(Evidence(_where(layer), "; ".join(dict.fromkeys(reasons))))
    if not ev:
        return []
    return [_finding(
        "image-secret-in-history", "A secret is visible in the image's build history",
        "`docker history --no-trunc` shows every instruction with the build arguments it "
        "used: a token passed with --build-arg, an ARG default or a password on a RUN line "
        "ships with the image even if no file keeps it.",
        "Use BuildKit secrets (`RUN --mount=type=secret,id=npm ...` with `docker build "
        "--secret`), or fetch credentials at run time; rotate the exposed secret.", ev)]


def _present(export: Export, index: int, path: str) -> bool:
    """Whether `path`, added in layer `index`, survives the later layers."""
    for later in export.layers[index:]:
        for gone in later.whiteouts:
            if path == gone or path.startswith(gone + "/"):
                return False
        for d in later.opaque:
            if path.startswith(d + "/"):
                return False
    return True


def _hits(export: Export, kind: str) -> list[tuple[int, Hit]]:
    return [(i, h) for i, layer in enumerate(export.layers, 1) for h in layer.hits
            if h.kind == kind]


def _secret_files(export: Export, by_index: dict[int, ImageLayer]) -> list[Finding]:
    ev = []
    for i, h in _hits(export, "secret") + _hits(export, "git"):
        still = "" if _present(export, i, h.path) else \
            " (deleted by a later layer, but still shipped in this one)"
        what = h.detail if h.kind == "secret" else "a .git directory (history, maybe " \
            "credentials in .git/config)"
        ev.append(Evidence(_where(by_index.get(i)), f"{what} at {h.path}{still}"))
    if not ev:
        return []
    return [_finding(
        "image-secret-file", "Secret files inside the image's layers",
        "Every layer is shipped: a key, .env or credentials file copied in (or created by "
        "a RUN step) can be extracted with `docker save`, even when a later step deletes "
        "it.",
        "Keep them out of the build context (.dockerignore: .env, .git, *.pem, id_*), use "
        "BuildKit secret mounts for build-time credentials, and rotate what leaked.", ev)]


def _root(cfg: dict[str, Any]) -> list[Finding]:
    user = (cfg.get("User") or "").strip()
    if user not in ROOT_USERS:
        return []
    return [_finding(
        "image-runs-as-root",
        "The image runs as root" + ("" if user else " (no USER)"),
        "Without a USER instruction the process runs as uid 0. A compromise of the app is "
        "root in the container, and files it writes to bind mounts belong to root.",
        "Add a user and switch to it at the end of the Dockerfile (`RUN useradd -r -u "
        "10001 app` then `USER 10001`), or run it with `docker run -u UID:GID`.",
        [Evidence("Config.User", user or "(unset)")])]


def _shell_form(cfg: dict[str, Any], layers: tuple[ImageLayer, ...]) -> list[Finding]:
    form = shell_form(cfg.get("Entrypoint"), cfg.get("Cmd"))
    if form is None:
        return []
    which, argv = form
    return [_finding(
        "image-shell-form", f"{which} is in shell form: /bin/sh is PID 1",
        "In shell form the command runs under `/bin/sh -c`, which is PID 1: it does not "
        "pass SIGTERM on to the app, so `docker stop` waits for its time-out and kills it "
        "(exit 137), and the app never shuts down cleanly.",
        f"Use the exec form: {which} [\"{argv[2].split()[0] if argv[2:] else 'app'}\", "
        "...]; or `exec` the app at the end of a wrapper script; or run with --init.",
        [Evidence(_where(_step_setting(layers, which)), f"{which} {json.dumps(argv)}")])]


def _caches(export: Export, by_index: dict[int, ImageLayer]) -> list[Finding]:
    ev = []
    total = 0
    for i, layer in enumerate(export.layers, 1):
        for cache, n in sorted(layer.cache_bytes.items(), key=lambda kv: -kv[1]):
            if n < CACHE_WORTH:
                continue
            total += n
            ev.append(Evidence(_where(by_index.get(i)),
                               f"{cache}: {size(n)} in {layer.cache_files[cache]} files"))
    if not ev:
        return []
    return [_finding(
        "image-package-cache",
        f"Package-manager caches left in the image ({size(total)})",
        "Caches written during a RUN step are shipped with that layer; deleting them in a "
        "later step does not make the image smaller.",
        "Clean up in the same RUN step: `apt-get install ... && rm -rf /var/lib/apt/lists/*`,"
        " `pip install --no-cache-dir`, `npm ci && npm cache clean --force`, `apk add "
        "--no-cache`; or use BuildKit cache mounts (`RUN --mount=type=cache,...`).", ev)]


def _remote_add(layers: tuple[ImageLayer, ...]) -> list[Finding]:
    ev = [Evidence(_where(x), m.group("url") or f"a download into {m.group('dest')} (the "
                   "legacy builder records only its checksum, not the URL)")
          for x in layers for m in [_REMOTE_ADD.match(x.instruction)] if m]
    if not ev:
        return []
    return [_finding(
        "image-remote-add", "ADD downloads a remote URL",
        "ADD <url> fetches whatever the URL serves at build time: not pinned to a checksum, "
        "not verified, and the download is redone or cached unpredictably.",
        "Download with curl in a RUN step and check a sha256 (`echo 'SUM  file' | sha256sum "
        "-c`), or use `ADD --checksum=sha256:...` (BuildKit).", ev)]


def _unpinned(facts: Facts) -> list[Finding]:
    cfg = facts.inspect.get("Config") or {}
    labels = cfg.get("Labels") or {}
    ev = []
    base = labels.get("org.opencontainers.image.base.name", "")
    base_digest = labels.get("org.opencontainers.image.base.digest", "")
    if base and "@sha256:" not in base and not base_digest:
        tag = base.rsplit(":", 1)[1] if ":" in base.split("/")[-1] else ""
        moving = "the moving tag latest" if tag in ("", "latest") else f"the tag {tag}"
        ev.append(Evidence("Config.Labels org.opencontainers.image.base.name",
                           f"{base}: {moving}, no digest"))
    ref = facts.ref
    if "@sha256:" not in ref and not ref.startswith("sha256:") and not _is_id(facts, ref):
        tag = ref.rsplit(":", 1)[1] if ":" in ref.split("/")[-1] else ""
        if tag in ("", "latest"):
            ev.append(Evidence("reference", f"{ref}: "
                               + ("no tag, so latest" if not tag else "latest")
                               + " (moves with every push)"))
    if not ev:
        return []
    return [_finding(
        "image-unpinned", "Named by a moving tag, not a digest",
        "A tag like latest points at whatever was pushed last: two builds or deploys of "
        "the same file can get different images, and a crash cannot be tied to one build.",
        "Pin by digest: `FROM python:3.12-slim@sha256:...` (and deploy IMAGE@sha256:...); "
        "let a bot (Renovate, Dependabot) move the pin.", ev)]


def _is_id(facts: Facts, ref: str) -> bool:
    """`ref` is the image's id or a prefix of it (docker takes any unique prefix), not a
    name that happens to be hex."""
    if not re.fullmatch(r"[0-9a-f]{1,64}", ref):
        return False
    image_id = str(facts.inspect.get("Id") or "").removeprefix("sha256:")
    if not image_id:
        return len(ref) >= 12
    tags = facts.inspect.get("RepoTags") or []
    return image_id.startswith(ref) and f"{ref}:latest" not in tags


def _build_tools(export: Export, by_index: dict[int, ImageLayer]) -> list[Finding]:
    ev = []
    seen = set()
    for i, h in _hits(export, "tool"):
        if h.detail in seen or not _present(export, i, h.path):
            continue
        seen.add(h.detail)
        ev.append(Evidence(_where(by_index.get(i)), f"{h.detail}: {h.path}"))
    if not ev:
        return []
    return [_finding(
        "image-build-tools", "Build tools in the final image",
        "Compilers and build tools are needed to build the app, not to run it: they make "
        "the image bigger and give an attacker more to work with.",
        "Use a multi-stage build: compile in a `FROM ... AS build` stage and COPY only the "
        "artifacts into a slim runtime stage.", ev)]


def _no_healthcheck(cfg: dict[str, Any]) -> list[Finding]:
    health = (cfg.get("Healthcheck") or {}).get("Test") or []
    if health and health[0] != "NONE":
        return []
    argv = " ".join((cfg.get("Entrypoint") or []) + (cfg.get("Cmd") or []))
    ports = sorted(cfg.get("ExposedPorts") or {})
    if not ports and not _SERVICE_CMD.search(argv):
        return []
    ev = [Evidence("Config.ExposedPorts", ", ".join(ports))] if ports else []
    ev.append(Evidence("Config.Entrypoint+Cmd", argv or "(none)"))
    return [_finding(
        "image-no-healthcheck", "A long-running service without HEALTHCHECK",
        "Without a health check the engine only knows the process is alive, not that it "
        "answers: a hung server stays 'running' and restart policies never act.",
        "Add `HEALTHCHECK --interval=30s --timeout=3s CMD wget -qO- "
        "http://127.0.0.1:PORT/health || exit 1` (or the app's own check command).", ev)]


def _large_layers(facts: Facts, layers: tuple[ImageLayer, ...]) -> list[Finding]:
    sized = sorted((x for x in layers if x.size), key=lambda x: -x.size)[:3]
    if not sized:
        return []
    total = int(facts.inspect.get("Size") or sum(x.size for x in layers))
    ev = [Evidence(_where(x), f"{size(x.size)} ({100 * x.size / max(total, 1):.0f}% of "
                              f"{size(total)})") for x in sized]
    big = sized[0].size >= LARGE_LAYER
    return [_finding(
        "image-large-layers",
        f"Largest layer: {size(sized[0].size)}" + (", worth a look" if big else ""),
        "The biggest layers and the instructions that made them: where a slimmer base, a "
        "multi-stage build or a cleanup in the same RUN step saves the most.",
        "Look at the top layers first: combine install and cleanup in one RUN, copy only "
        "what the app needs (.dockerignore), build in a separate stage.", ev)]


def _no_shell(export: Export) -> list[Finding]:
    shells = [h.path for i, h in _hits(export, "shell") if _present(export, i, h.path)]
    if shells:
        return []
    os_names = [h.detail for i, h in _hits(export, "os-release") if _present(export, i, h.path)]
    kind = ("distroless" if any("distroless" in n.lower() for n in os_names)
            else os_names[-1] if os_names else "scratch, no OS")
    return [_finding(
        "image-no-shell", f"No shell in the image ({kind})",
        "There is no /bin/sh: `docker exec -it ... sh` and `docker run --entrypoint sh` "
        "fail, a shell-form CMD cannot run, and debugging needs a tool brought in.",
        "Debug with `doctor shell ID --toolbox IMAGE` (copies a static busybox into a debug "
        "copy) or `doctor inspect --deep` (reads files through the archive API).",
        [Evidence("layers", "none of " + ", ".join(("/bin/sh", "/bin/bash", "/busybox/sh"))
                  + " exists in the final file system")])]


def _ports_and_volumes(cfg: dict[str, Any], layers: tuple[ImageLayer, ...]) -> list[Finding]:
    out = []
    ports = sorted(cfg.get("ExposedPorts") or {})
    if ports:
        out.append(_finding(
            "image-exposed-ports", f"Exposes {', '.join(ports)}",
            "EXPOSE documents the ports the app listens on; it publishes nothing by itself.",
            "Publish what you need with -p 127.0.0.1:HOST:PORT (loopback unless it must be "
            "reachable from outside).",
            [Evidence(_where(_step_setting(layers, "EXPOSE")), ", ".join(ports))]))
    volumes = sorted(cfg.get("Volumes") or {})
    if volumes:
        out.append(_finding(
            "image-volumes", f"Declares volume{'s' if len(volumes) > 1 else ''} "
                             f"{', '.join(volumes)}",
            "Each run gets an anonymous volume there unless one is mounted: data piles up in "
            "unnamed volumes, and `docker commit` (and so `doctor shell`) does not include "
            "it.",
            "Mount a named volume there (`-v data:/path`), and remove anonymous ones with "
            "`docker rm -v`.",
            [Evidence(_where(_step_setting(layers, "VOLUME")), ", ".join(volumes))]))
    return out


def _finding(fid: str, title: str, why: str, fix: str, ev: list[Evidence]) -> Finding:
    return Finding(fid, IMAGE_CATALOGUE[fid][0], title, why, fix, tuple(ev))
