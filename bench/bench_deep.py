#!/usr/bin/env python3
"""Benchmark `doctor inspect --deep` against the manual expert workflow.

Run from anywhere:  python bench/bench_deep.py [--runs 15] [--rounds 5]

In one run it:
  1. makes a realistic failed container: an app that wrote three ~200 KB log files and
     an error file under /var/log/app plus a shell history, printed nothing and exited 3;
     then times, with hyperfine (warm-up, alternating rounds):
       - `doctor inspect ID --deep --format json`
       - the manual workflow, as one shell command:
         `docker commit ID IMG; docker run --rm --network none --entrypoint sh IMG -c
          'cat /var/log/app/app.err /root/.ash_history'; docker rmi IMG`
         (IMG is removed on every run, even when the run fails)
       - `doctor inspect ID --no-deep --format json`, for information (what --deep adds)
     and prints the medians and the ratio deep / manual (target <= 1.5). From one
     `--format json` run it reports what doctor collected (files, bytes of text, probes)
     against the two files the manual command prints.
  2. breaks one deep run into phases (commit, debug container create/start/wait, archive
     reads, cleanup, checks, ...) with a driver that wraps dockerdoctor's own functions,
     in fresh interpreters; and times each of the three docker CLI steps of the manual
     workflow on their own.
  3. after all those runs, asserts that no container or image labelled
     dockerdoctor.artifact and no dockerdoctor-debug image made from this run's container
     is left, nor the manual workflow's image (FAIL, exit status 1). Artifacts that other
     work on the machine makes meanwhile are listed, not counted.

Every container it makes carries dockerdoctor.bench=1 and dockerdoctor.bench.run=<run id>
and is removed at the end (also on Ctrl-C / SIGTERM), with any debug artifact made from it.
Raw numbers go to bench/results/deep.json (git-ignored), hyperfine's to
bench/results/hyperfine-deep.json. It never pulls: it needs dockerdoctor/busybox:local.
The helpers (timing in rounds, bytecode, labels, run id) are bench_inspect.py's.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import bench_inspect as bi  # the sibling script: same labels, run id and timing helpers

RESULTS = bi.RESULTS
LABEL, RUN_LABEL, RUN_ID = bi.LABEL, bi.RUN_LABEL, bi.RUN_ID
ARTIFACT_LABEL = "dockerdoctor.artifact"  # dockerdoctor.forensics.artifacts.LABEL
SOURCE_LABEL = "dockerdoctor.source"  # ... .SOURCE: the container a debug copy came from
DEBUG_REPOSITORY = "dockerdoctor-debug"  # ... .REPOSITORY
MANUAL_IMAGE = f"dockerdoctor-bench-manual:{RUN_ID}"
TARGET_RATIO = 1.5
EXIT_CODE = 3

say, docker, run, fmt_s, fmt_ratio, median = (bi.say, bi.docker, bi.run, bi.fmt_s,
                                              bi.fmt_ratio, bi.median)

# The failed app: three ~200 KB request logs (realistic lines, written 200 at a time),
# an error file, a shell history; nothing on stdout or stderr; exit 3.
APP_SCRIPT = r"""
mkdir -p /var/log/app /root
line() {
  echo "2024-05-01T12:00:00Z INFO worker[$(( $1 % 8 ))] GET /api/v1/items/$1 status=200" \
       "duration_ms=$(( $1 % 97 )) user=u$(( $1 % 13 )) trace=4bf92f3577b34da6a3ce929d0e0e$1"
}
for f in app.log app.log.1 access.log; do
  n=0; : > /var/log/app/$f
  while [ $(wc -c < /var/log/app/$f) -lt "$LOG_BYTES" ]; do
    j=0
    while [ $j -lt 200 ]; do line $n >> /var/log/app/$f; n=$((n+1)); j=$((j+1)); done
  done
done
{
  echo "2024-05-01T12:00:01Z ERROR db: connection pool exhausted (max=10), 57 waiting"
  echo "2024-05-01T12:00:01Z ERROR checkpoint: open /data/state.db: no space left on device"
  echo "2024-05-01T12:00:01Z FATAL shutting down after 3 failed checkpoints"
} > /var/log/app/app.err
printf '%s\n' 'cd /srv/app' 'ls -la /var/log/app' 'df -h /data' 'cat /etc/app/app.conf' \
  'vi /etc/app/app.conf' 'kill -HUP 1' 'tail -n 50 /var/log/app/app.err' > /root/.ash_history
exit 3
"""
MANUAL_FILES = ("/var/log/app/app.err", "/root/.ash_history")

# One deep diagnosis in a fresh interpreter, with dockerdoctor's own functions wrapped to
# time them. Times are exclusive (a wrapped call's time excludes the wrapped calls inside
# it), so they add up. Uses the library's internals read-only; if they change, the bench
# says so and goes on.
PHASES_CODE = r"""
import json, sys, time
t = time.perf_counter
T0 = t()
self_s, calls, stack, archive = {}, {}, [], []

def add(name, dt):
    self_s[name] = self_s.get(name, 0.0) + dt
    calls[name] = calls.get(name, 0) + 1

missing = []

def wrap(obj, attr, label, note=None):
    fn = getattr(obj, attr, None)
    if fn is None:  # the library changed: time the rest, say what could not be wrapped
        missing.append(f"{getattr(obj, '__name__', type(obj).__name__)}.{attr}")
        return
    def timed(*a, **k):
        name = label(*a, **k) if callable(label) else label
        stack.append(0.0)
        s0 = t()
        result = None
        try:
            result = fn(*a, **k)
            return result
        finally:
            dt = t() - s0
            inner = stack.pop()
            add(name, dt - inner)
            if stack:
                stack[-1] += dt
            if note:
                note(dt, result, *a, **k)
    setattr(obj, attr, timed)

s = t(); import dockerdoctor.cli; add("import dockerdoctor.cli (click)", t() - s)
s = t()
from dockerdoctor import diagnose, forensics, snapshot
from dockerdoctor import engine as eng
from dockerdoctor.forensics import DeepOptions, collect, debugcopy
from dockerdoctor.report import json as json_report
add("import the rest of dockerdoctor", t() - s)
s = t(); import docker, requests; add("import docker-py (+ requests)", t() - s)
s = t(); client = eng.EngineClient(); add("EngineClient() (connect, GET /version)", t() - s)

checks_done = []
def checks_label(*a, **k):
    checks_done.append(1)
    return ("checks on the container's logs" if len(checks_done) == 1
            else "checks again, with the files' lines")

def note_archive(dt, result, _client, cid, path, *rest, **k):
    archive.append({"path": path, "ms": round(dt * 1000, 2),
                    "entries": len(result) if result is not None else None})

wrap(diagnose, "read", "container reads (inspect, then 7 concurrent)")
wrap(snapshot, "build", "snapshot.build")
wrap(diagnose, "run_checks", checks_label)
wrap(forensics, "run", "forensics: the rest (Python)")
wrap(diagnose, "_probe", "exec probe of the program (archive reads)")
wrap(collect, "collect_files", "collect_files: choose and decode (Python)")
wrap(forensics, "read_tree", "archive reads (GET /containers/ID/archive)", note_archive)
wrap(forensics, "_find_shell", "find a shell (HEAD archive, stat)")
wrap(debugcopy, "run_probes", "run_probes: the rest (Python)")
wrap(forensics, "lines_of", "files -> log lines")
wrap(diagnose, "redact_diagnosis", "redaction")
A = eng.ArtifactEngine
wrap(A, "commit", "commit")
wrap(A, "create", "create debug container")
wrap(A, "start", "start debug container")
wrap(A, "wait", "wait for the probe to exit")
wrap(A, "kill", "kill debug container")
wrap(A, "remove_container", "cleanup: remove debug container")
wrap(A, "remove_image", "cleanup: remove debug image")
wrap(A, "labelled", "cleanup: sweep (list containers, images by run label)")

class _Logs:  # the debug container's output is read through engine.logs: time that call
    def __init__(self, inner):
        self._inner = inner
    def __getattr__(self, name):
        return getattr(self._inner, name)

_init = A.__init__
def _init_timed(self, engine):
    _init(self, engine)
    proxy = _Logs(engine)
    wrap(proxy, "logs", "read the probe's output (logs)")
    self.engine = proxy
A.__init__ = _init_timed

wrap(diagnose, "diagnose", "diagnose: the rest (Python)")
wrap(json_report, "render", "render JSON")
s = t()
d, raw = diagnose.diagnose(client, sys.argv[1], eng.LogOptions(),
                           deep=DeepOptions(mode="on"))
body = json_report.render(d)
f = d.forensics
print(json.dumps({"self_s": self_s, "calls": calls, "archive": archive,
                  "in_process_s": t() - T0, "diagnose_s": t() - s,
                  "forensics_seconds": f.seconds if f else None,
                  "method": f.method if f else None,
                  "errors": list(f.errors) if f else None, "not_wrapped": missing}))
"""


# Where the deep run's time goes, in groups (phase labels from PHASES_CODE).
GROUPS: dict[str, tuple[str, ...]] = {
    "imports + connect": ("import dockerdoctor.cli (click)", "import the rest of dockerdoctor",
                          "import docker-py (+ requests)",
                          "EngineClient() (connect, GET /version)"),
    "container reads, snapshot, first checks (as --no-deep)": (
        "container reads (inspect, then 7 concurrent)", "snapshot.build",
        "checks on the container's logs"),
    "archive reads (files, shell, exec probe)": (
        "archive reads (GET /containers/ID/archive)", "find a shell (HEAD archive, stat)",
        "exec probe of the program (archive reads)"),
    "commit": ("commit",),
    "debug container: create, start, wait, read output": (
        "create debug container", "start debug container", "wait for the probe to exit",
        "kill debug container", "read the probe's output (logs)"),
    "cleanup: remove container and image, sweep": (
        "cleanup: remove debug container", "cleanup: remove debug image",
        "cleanup: sweep (list containers, images by run label)"),
    "checks + redaction with the files' lines": (
        "checks again, with the files' lines", "files -> log lines", "redaction"),
}


# -- containers and artifacts ----------------------------------------------------------


def make_app_container(image: str, log_bytes: int) -> dict[str, Any]:
    """The failed app: its id, what it left on disk, and how long it took to make."""
    argv = ["run", "-d", "--network", "none", "--log-driver", "json-file",
            "--label", f"{LABEL}=1", "--label", f"{RUN_LABEL}={RUN_ID}",
            "--name", f"dockerdoctor-bench-{RUN_ID}-deep-app", "-e", f"LOG_BYTES={log_bytes}",
            image, "sh", "-c", APP_SCRIPT]
    start = time.monotonic()
    cid = docker(*argv)
    code = docker("wait", cid, timeout=600)
    took = time.monotonic() - start
    if code != str(EXIT_CODE):
        raise RuntimeError(f"the app container exited {code}, expected {EXIT_CODE}")
    logs = run(["docker", "logs", cid])
    sizes: dict[str, int] = {}
    for path in ("/var/log/app", "/root/.ash_history"):
        sizes.update(tree_sizes(cid, path))
    return {"id": cid, "exit_code": int(code), "stdout_bytes": len(logs.stdout),
            "stderr_bytes": len(logs.stderr), "diff": docker("diff", cid).splitlines(),
            "files": sizes, "make_s": took}


def tree_sizes(cid: str, path: str) -> dict[str, int]:
    """Regular files under `path` in a (stopped) container and their sizes, via docker cp."""
    proc = subprocess.run(["docker", "cp", f"{cid}:{path}", "-"], capture_output=True,
                          timeout=120, env=bi.CHILD_ENV)
    if proc.returncode != 0:
        return {}
    base = os.path.dirname(path.rstrip("/"))
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        return {os.path.join(base, m.name): m.size for m in tar.getmembers() if m.isfile()}


def _inspect_many(kind: str, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        return []
    # something else may remove one between the listing and this: keep what is left
    proc = run(["docker", kind, "inspect", *ids], check=False)
    try:
        return json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return []


def artifacts_now() -> dict[str, list[dict[str, Any]]]:
    """Every container and image labelled dockerdoctor.artifact, and every image in the
    dockerdoctor-debug repository, whoever made it."""
    cids = docker("ps", "-aq", "--no-trunc", "--filter", f"label={ARTIFACT_LABEL}",
                  check=False).split()
    iids = set(docker("images", "-q", "--no-trunc", "--filter", f"label={ARTIFACT_LABEL}",
                      check=False).split())
    iids |= set(docker("images", "-q", "--no-trunc", DEBUG_REPOSITORY, check=False).split())
    containers = [{"id": c["Id"], "name": c.get("Name", "").lstrip("/"),
                   "labels": (c.get("Config") or {}).get("Labels") or {}}
                  for c in _inspect_many("container", cids)]
    images = [{"id": i["Id"], "tags": i.get("RepoTags") or [],
               "labels": (i.get("Config") or {}).get("Labels") or {}}
              for i in _inspect_many("image", sorted(iids))]
    return {"containers": containers, "images": images}


def is_ours(item: dict[str, Any], sources: set[str]) -> bool:
    """Made from one of this run's containers: by its source label, or its debug tag."""
    if item["labels"].get(SOURCE_LABEL) in sources:
        return True
    return any(tag.startswith(f"{DEBUG_REPOSITORY}:{s[:12]}")
               for tag in item.get("tags", ()) for s in sources)


def leak_check(before: dict[str, list[dict[str, Any]]], sources: set[str]) -> dict[str, Any]:
    """FAIL (loudly) for any debug artifact left from this run's containers, and for the
    manual workflow's image. Others' artifacts (the machine is shared) are listed only."""
    after = artifacts_now()
    seen_before = {x["id"] for k in ("containers", "images") for x in before[k]}
    result: dict[str, Any] = {"ours": [], "others_new": [], "others_before": [],
                              "manual_image_left": False}
    for kind in ("containers", "images"):
        for x in after[kind]:
            row = {"kind": kind[:-1], "id": x["id"][:19], "tags": x.get("tags", []),
                   "labels": x["labels"]}
            key = ("ours" if is_ours(x, sources) else
                   "others_before" if x["id"] in seen_before else "others_new")
            result[key].append(row)
    manual = run(["docker", "image", "inspect", MANUAL_IMAGE], check=False)
    result["manual_image_left"] = manual.returncode == 0
    result["ok"] = not result["ours"] and not result["manual_image_left"]
    if result["ok"]:
        say(f"  ok: no dockerdoctor.artifact container or image and no {DEBUG_REPOSITORY} "
            "image from this run's container is left; the manual image is gone")
    else:
        say("  " + "!" * 78)
        for row in result["ours"]:
            say(f"  FAIL: {row['kind']} {row['id']} {' '.join(row['tags'])} is left: "
                f"{row['labels']}")
        if result["manual_image_left"]:
            say(f"  FAIL: the manual workflow's image {MANUAL_IMAGE} is left")
        say("  " + "!" * 78)
    for key, what in (("others_new", "appeared during this run"),
                      ("others_before", "existed before this run")):
        if result[key]:
            say(f"  note: {len(result[key])} artifact(s) not made from this run's container "
                f"{what} (other work on this machine; not counted):")
            for row in result[key][:5]:
                say(f"    {row['kind']} {row['id']} {' '.join(row['tags'])} "
                    f"{ARTIFACT_LABEL}={row['labels'].get(ARTIFACT_LABEL, '')!r}")
    return result


def cleanup(sources: set[str]) -> None:
    """This run's debug artifacts (if a killed doctor left any), the manual image, then
    the bench containers."""
    for src in sorted(sources):
        ctrs = docker("ps", "-aq", "--filter", f"label={SOURCE_LABEL}={src}",
                      check=False).split()
        if ctrs:
            docker("rm", "-f", "-v", *ctrs, check=False)
            say(f"removed {len(ctrs)} debug container(s) made from {src[:12]}")
        imgs = docker("images", "-q", "--filter", f"label={SOURCE_LABEL}={src}",
                      check=False).split()
        if imgs:
            docker("rmi", "-f", *sorted(set(imgs)), check=False)
            say(f"removed {len(set(imgs))} debug image(s) made from {src[:12]}")
    if run(["docker", "image", "inspect", MANUAL_IMAGE], check=False).returncode == 0:
        docker("rmi", "-f", MANUAL_IMAGE, check=False)
        say(f"removed {MANUAL_IMAGE}")
    bi.cleanup()


# -- what each side collects -----------------------------------------------------------


def manual_command(cid: str) -> str:
    q, img = shlex.quote(cid), shlex.quote(MANUAL_IMAGE)
    cat = shlex.quote("cat " + " ".join(MANUAL_FILES))
    # the image goes on every run, also when the run fails; the exit status is kept
    return (f"docker commit {q} {img} >/dev/null && docker run --rm --network none "
            f"--entrypoint sh {img} -c {cat}; rc=$?; docker rmi {img} >/dev/null; exit $rc")


def collected(cid: str, manual: str) -> dict[str, Any]:
    """What one deep run reports against what the manual command prints."""
    proc = run([*bi.doctor_argv(), "inspect", cid, "--deep", "--format", "json"], timeout=300)
    report = json.loads(proc.stdout)
    f = report.get("forensics") or {}
    files = f.get("files") or []
    texts = [x.get("text") or "" for x in files]
    by_kind: dict[str, int] = {}
    for x in files:
        by_kind[x.get("kind", "?")] = by_kind.get(x.get("kind", "?"), 0) + 1
    probes = f.get("probes") or {}
    man = subprocess.run(manual, shell=True, capture_output=True, timeout=300,
                         env=bi.CHILD_ENV)
    return {
        "doctor": {
            "ran": f.get("ran"), "method": f.get("method"), "errors": f.get("errors") or [],
            "seconds_reported": f.get("seconds"), "files": len(files), "files_by_kind": by_kind,
            "files_read_as_text": sum(1 for t in texts if t),
            "files_truncated": sum(1 for x in files if x.get("truncated")),
            "text_bytes": sum(len(t.encode()) for t in texts),
            "text_lines": sum(len(t.splitlines()) for t in texts),
            "size_in_container_bytes": sum(x.get("size") or 0 for x in files),
            "paths": [x.get("path") for x in files],
            "probes": len(probes), "probe_names": list(probes),
            "probe_bytes": sum(len(str(v).encode()) for v in probes.values()),
            "findings": [x.get("id") for x in report.get("findings") or []],
            "verdict": (report.get("verdict") or {}).get("id"),
            "report_bytes": len(proc.stdout.encode()),
        },
        "manual": {"files": len(MANUAL_FILES), "paths": list(MANUAL_FILES),
                   "text_bytes": len(man.stdout), "exit_status": man.returncode,
                   "probes": 0},
    }


# -- timing ----------------------------------------------------------------------------


def manual_steps(cid: str, repeat: int) -> dict[str, float | None]:
    """The three docker CLI steps of the manual workflow, each timed on its own."""
    cat = "cat " + " ".join(MANUAL_FILES)
    steps = {"docker commit": ["docker", "commit", cid, MANUAL_IMAGE],
             "docker run --rm (cat 2 files)": ["docker", "run", "--rm", "--network", "none",
                                               "--entrypoint", "sh", MANUAL_IMAGE, "-c", cat],
             "docker rmi": ["docker", "rmi", MANUAL_IMAGE]}
    times: dict[str, list[float]] = {k: [] for k in steps}
    for _ in range(repeat):
        try:
            for name, argv in steps.items():
                s = time.perf_counter()
                run(argv, timeout=300)
                times[name].append(time.perf_counter() - s)
        finally:
            if run(["docker", "image", "inspect", MANUAL_IMAGE], check=False).returncode == 0:
                docker("rmi", "-f", MANUAL_IMAGE, check=False)
    return {k: median(v) for k, v in times.items()}


def preflight(cmds: dict[str, str]) -> None:
    """Run each command once: a failing one is named, with its stderr, before timing."""
    for name, cmd in cmds.items():
        proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=300,
                              env=bi.CHILD_ENV)
        if proc.returncode != 0:
            raise RuntimeError(f"{name!r} exited {proc.returncode}: "
                               f"{proc.stderr.strip()[-800:]}")


def phases(cid: str, repeat: int) -> dict[str, Any] | None:
    """Median exclusive time of each phase of one deep run, over fresh interpreters."""
    rows: dict[str, list[float]] = {}
    walls: list[float] = []
    inproc: list[float] = []
    last: dict[str, Any] = {}
    split: dict[str, list[float]] = {}
    for _ in range(repeat):
        s = time.perf_counter()
        proc = run([sys.executable, "-c", PHASES_CODE, cid], check=False, timeout=300)
        wall = time.perf_counter() - s
        if proc.returncode != 0:
            say("    (phase breakdown unavailable: "
                f"{(proc.stderr.strip().splitlines() or ['?'])[-1]})")
            return None
        last = json.loads(proc.stdout.strip().splitlines()[-1])
        reads = last.get("archive") or []
        for key, sel in (("archive: GETs of existing paths", [r for r in reads if r["entries"]]),
                         ("archive: GETs answered 404", [r for r in reads if not r["entries"]])):
            split.setdefault(key, []).append(sum(r["ms"] for r in sel) / 1000)
            split.setdefault(key + " (count)", []).append(len(sel))
        walls.append(wall)
        inproc.append(last["in_process_s"])
        for k, v in last["self_s"].items():
            rows.setdefault(k, []).append(v)
    detail = {k: median(v) for k, v in rows.items()}
    detail = dict(sorted(detail.items(), key=lambda kv: -(kv[1] or 0)))
    start_exit = median([w - i for w, i in zip(walls, inproc, strict=True)])
    grouped: dict[str, float] = {"interpreter start-up and exit (outside the driver)":
                                 start_exit or 0.0}
    used: set[str] = set()
    for group, labels in GROUPS.items():
        grouped[group] = sum(detail.get(k) or 0.0 for k in labels)
        used.update(labels)
    grouped["Python glue (collect_files, run_probes, diagnose, render)"] = sum(
        v or 0.0 for k, v in detail.items() if k not in used)
    return {"runs": repeat, "wall_s": median(walls), "in_process_s": median(inproc),
            "grouped_s": grouped, "detail_s": detail, "calls": last.get("calls"),
            "archive_split": {k: median(v) for k, v in split.items()},
            "archive_reads_last_run": last.get("archive"),
            "not_wrapped": last.get("not_wrapped"), "errors_last_run": last.get("errors"),
            "method_last_run": last.get("method")}


# -- the three parts -------------------------------------------------------------------


def part_1(args: argparse.Namespace, out: dict[str, Any], sources: set[str]) -> str:
    say("== 1. doctor inspect --deep vs the manual docker CLI workflow")
    app = make_app_container(args.image, args.log_kb * 1000)
    cid = app["id"]
    sources.add(cid)
    out["container"] = app
    logs = ", ".join(f"{os.path.basename(p)} " + (f"{n / 1000:.0f} KB" if n >= 1000 else
                                                   f"{n} B") for p, n in app["files"].items())
    say(f"  container {cid[:12]}: exited {app['exit_code']}, {app['stdout_bytes']} bytes on "
        f"stdout/stderr, {len(app['diff'])} paths in docker diff; {logs} "
        f"(made in {app['make_s']:.1f} s)")
    manual = manual_command(cid)
    deep = shlex.join([*bi.doctor_argv(), "inspect", cid, "--deep", "--format", "json"])
    nodeep = shlex.join([*bi.doctor_argv(), "inspect", cid, "--no-deep", "--format", "json"])
    cmds = {"doctor --deep": deep, "manual docker CLI": manual}
    if not args.skip_no_deep:
        cmds["doctor --no-deep (info)"] = nodeep
    out["commands"] = cmds
    out["deep_runs"] = 0  # every run that commits a debug copy, for the leak check
    preflight(cmds)
    out["deep_runs"] += 1
    try:
        res = bi.time_commands(cmds, args.runs, args.warmup, RESULTS / "hyperfine-deep.json",
                               args.rounds)
    except RuntimeError:
        say("  a timed command failed; running each once to say which:")
        preflight(cmds)
        raise
    out["deep_runs"] += args.warmup + res["doctor --deep"]["runs"]
    ratio = res["doctor --deep"]["median_s"] / res["manual docker CLI"]["median_s"]
    out["timing"] = res
    out["median_ratio"] = ratio
    say(f"  median doctor --deep {fmt_s(res['doctor --deep']['median_s'])}, manual "
        f"{fmt_s(res['manual docker CLI']['median_s'])}: ratio {fmt_ratio(ratio)} "
        f"(target <= {TARGET_RATIO})")

    say("  what each side collected (one --format json run, one manual run):")
    col = collected(cid, manual)
    out["deep_runs"] += 1
    out["collected"] = col
    d, m = col["doctor"], col["manual"]
    say(f"    doctor: {d['files']} files ({d['files_by_kind']}), {d['text_bytes']} bytes "
        f"of text ({d['text_lines']} lines, {d['files_truncated']} files cut to their tail) "
        f"from {d['size_in_container_bytes']} bytes on disk; {d['probes']} probes "
        f"({', '.join(d['probe_names'])}); verdict {d['verdict']}; method {d['method']}")
    if d["errors"] or d["method"] != "debug-container":
        say(f"    WARNING: forensics did not run as expected: {d['errors']}")
    say(f"    manual: {m['files']} files, {m['text_bytes']} bytes of text, no probes")
    return cid


def part_2(args: argparse.Namespace, out: dict[str, Any], cid: str) -> None:
    say(f"== 2. where the deep run's time goes (median of {args.phase_runs} fresh "
        "interpreters; exclusive times, they add up)")
    ph = phases(cid, args.phase_runs)
    out["deep_runs"] = out.get("deep_runs", 0) + (ph["runs"] if ph else 0)
    out["phases"] = ph
    if ph:
        for k, v in ph["grouped_s"].items():
            say(f"    {k:<58} {fmt_s(v):>8}")
        say(f"    {'total (wall of the driver process)':<58} {fmt_s(ph['wall_s']):>8}")
        say("  in detail:")
        for k, v in ph["detail_s"].items():
            n = (ph["calls"] or {}).get(k, 1)
            say(f"    {k:<58} {fmt_s(v):>8}" + (f"  ({n} calls)" if n > 1 else ""))
        sp = ph["archive_split"]
        if sp:
            ok, nf = "archive: GETs of existing paths", "archive: GETs answered 404"
            say(f"  archive reads (medians): {sp[ok + ' (count)']:g} GETs of existing paths "
                f"took {fmt_s(sp[ok])}, {sp[nf + ' (count)']:g} answered 404 in "
                f"{fmt_s(sp[nf])}; paths: "
                + ", ".join(r["path"] for r in ph["archive_reads_last_run"] or []))
        if ph["not_wrapped"]:
            say(f"  note: not timed (the library changed): {', '.join(ph['not_wrapped'])}")
    say(f"  the manual workflow's steps on their own (median of {args.phase_runs}):")
    steps = manual_steps(cid, args.phase_runs)
    out["manual_steps_s"] = steps
    for k, v in steps.items():
        say(f"    {k:<58} {fmt_s(v):>8}")


def part_3(out: dict[str, Any], before: dict[str, Any], sources: set[str]) -> bool:
    runs = out.get("deep_runs", 0)
    say(f"== 3. debug artifacts left after all runs ({runs} deep runs)")
    res = leak_check(before, sources)
    res["deep_runs"] = runs
    out["leaks"] = res
    return bool(res["ok"])


# -- summary ---------------------------------------------------------------------------


def summary(out: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    t = out.get("timing") or {}
    if t:
        rows.append(["doctor inspect --deep", fmt_s(t["doctor --deep"]["median_s"]), "", ""])
        rows.append(["manual: commit; run --rm cat 2 files; rmi",
                     fmt_s(t["manual docker CLI"]["median_s"]), "", ""])
        r = out["median_ratio"]
        rows.append(["ratio deep / manual", fmt_ratio(r), f"<= {TARGET_RATIO}",
                     "ok" if r <= TARGET_RATIO else "MISSED"])
        if "doctor --no-deep (info)" in t:
            rows.append(["doctor inspect --no-deep (info)",
                         fmt_s(t["doctor --no-deep (info)"]["median_s"]), "", ""])
    c = out.get("collected")
    if c:
        d, m = c["doctor"], c["manual"]
        rows.append(["collected by doctor", f"{d['files']} files, {d['text_bytes']} B, "
                     f"{d['probes']} probes", "", ""])
        rows.append(["printed by the manual command", f"{m['files']} files, "
                     f"{m['text_bytes']} B", "", ""])
    if "leaks" in out:
        rows.append(["debug artifacts left", "none" if out["leaks"]["ok"] else "SOME",
                     "none", "ok" if out["leaks"]["ok"] else "FAIL"])
    ph = out.get("phases")
    if ph:
        for k, v in ph["grouped_s"].items():
            rows.append([f"  {k}", fmt_s(v), "", ""])
    return rows


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=15, help="timed runs per command (>= 10)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up runs per command")
    p.add_argument("--rounds", type=int, default=5,
                   help="split the runs into this many alternating rounds (noise from "
                        "other load hits every command alike)")
    p.add_argument("--phase-runs", type=int, default=5,
                   help="fresh interpreters for the phase breakdown, and runs of the "
                        "manual steps on their own")
    p.add_argument("--log-kb", type=int, default=200,
                   help="size of each of the app's three log files, KB (default 200)")
    p.add_argument("--skip-no-deep", action="store_true",
                   help="do not time `doctor inspect --no-deep` alongside")
    p.add_argument("--image", default=os.environ.get("DOCTOR_BUSYBOX_IMAGE",
                                                     "dockerdoctor/busybox:local"))
    p.add_argument("--no-bytecode-cache", action="store_true",
                   help="keep PYTHONDONTWRITEBYTECODE and do not precompile dockerdoctor")
    p.add_argument("--out", type=Path, default=RESULTS / "deep.json")
    args = p.parse_args(argv)
    if args.runs < 10:
        p.error("--runs must be at least 10")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("docker"):
        say("bench: the docker CLI is not on PATH")
        return 2
    if run(["docker", "image", "inspect", args.image], check=False).returncode != 0:
        say(f"bench: image {args.image} is missing (this bench never pulls)")
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    bytecode = bi.prepare_bytecode(not args.no_bytecode_cache)
    bi.install_signals()  # Ctrl-C, kill and hang-up all end in the finally below
    sources: set[str] = set()
    before = artifacts_now()
    out = bi.begin(args, bytecode, machine_extra={
        "storage_driver": docker("info", "-f", "{{.Driver}}", check=False)},
        artifacts_before={k: len(v) for k, v in before.items()})
    start = time.monotonic()
    status = 0
    try:
        cid = part_1(args, out, sources)
        part_2(args, out, cid)
        out["complete"] = True
    except KeyboardInterrupt:
        say("\nbench: interrupted")
        status = 130
    except Exception as e:  # noqa: BLE001 - report, clean up, keep partial numbers
        say(f"bench: failed: {type(e).__name__}: {e}")
        status = 1
    finally:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a 2nd Ctrl-C: still clean up
        try:
            # after every run that could leave something, also after a failure (not after
            # an interrupt: a doctor killed mid-run is allowed to leave what `doctor gc`
            # removes); before cleanup, which would hide a leak
            if sources and status != 130 and not part_3(out, before, sources):
                status = 1
        except Exception as e:  # noqa: BLE001 - the check failed: say so, still clean up
            say(f"bench: FAIL: could not check for leftover artifacts: {e}")
            status = 1
        finally:
            try:
                cleanup(sources)
            finally:
                signal.signal(signal.SIGINT, old)
    out["total_s"] = time.monotonic() - start
    out["loadavg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    say()
    bi.print_table(summary(out))
    load = ", ".join(f"{x:.1f}" for x in out["loadavg_end"])
    say(f"total {out['total_s']:.0f} s on {os.cpu_count()} CPUs (load average at the end: "
        f"{load}); raw numbers in {args.out}")
    if out.get("leaks") and not out["leaks"]["ok"]:
        say("FAIL: debug artifacts were left behind (see part 2)")
    return status


if __name__ == "__main__":
    sys.exit(main())
