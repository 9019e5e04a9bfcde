"""`doctor shell ID`: the manual `docker commit` + `docker run -it --entrypoint sh`
workflow, automated: an interactive shell in a debug copy of the container, with the
same isolation as forensics (no network unless asked, no capabilities), a toolbox for
shell-less images, and the copy removed when the shell exits.

The terminal is handled by the docker CLI (`docker start -ai`), which is what users have
next to the engine; the copy is made and removed through the API.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

from dockerdoctor.engine import ArtifactEngine, EngineClient
from dockerdoctor.errors import UsageError
from dockerdoctor.forensics import artifacts, toolbox
from dockerdoctor.forensics.debugcopy import sweep

_SHELLS = ("/bin/bash", "/bin/sh", "/busybox/sh", "/bin/ash")


def open_shell(client: EngineClient, ref: str, network: str, toolbox_image: str | None,
               user: str | None, keep_image: bool, say: object = None) -> int:
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise UsageError("doctor shell needs the docker CLI for the terminal; install it")
    inspect = client.inspect(ref)
    cid = inspect["Id"]
    config = inspect.get("Config") or {}
    shell = next((s for s in _SHELLS if client.stat(cid, s) is not None), "")
    if not shell and not toolbox_image:
        raise UsageError("the image has no shell (FROM scratch or distroless): give "
                         "--toolbox IMAGE, an image with a static /bin/busybox")
    engine = ArtifactEngine(client)
    run = uuid.uuid4().hex[:12]
    image = debug = ""
    try:
        busybox = toolbox.fetch_busybox(engine, toolbox_image or "", cid) if not shell else b""
        image = engine.commit(cid, artifacts.labels("debug-image", cid, run),
                              artifacts.REPOSITORY, f"{cid[:12]}-{int(time.time())}-shell")
        entry = [shell] if shell else [toolbox.SHELL, "sh"]
        env = None if shell else [f"PATH={toolbox.PATH}:/usr/local/sbin:/usr/local/bin:"
                                  "/usr/sbin:/usr/bin:/sbin:/bin"]
        debug = engine.create(
            image, artifacts.labels("shell-container", cid, run), network=network,
            entrypoint=entry, command=[], user=user if user is not None else
            (config.get("User") or "0"), working_dir=config.get("WorkingDir") or "/",
            tty=sys.stdin.isatty(), stdin_open=True, environment=env,
        )
        if busybox:
            toolbox.install(engine, debug, busybox)
        host = ["-H", client.where] if client.where and not client.where.startswith(
            "unix:///var/run/docker.sock") else []
        return subprocess.call([docker_cli, *host, "start", "-ai", debug])
    finally:
        if debug:
            engine.remove_container(debug)
        if image and not keep_image:
            engine.remove_image(image)
        for problem in sweep(engine, run, image if keep_image else ""):
            print(f"doctor: {problem}", file=sys.stderr)
        if image and keep_image:
            print(f"doctor: debug image kept: {image[7:19]}", file=sys.stderr)
