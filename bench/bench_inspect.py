#!/usr/bin/env python3
"""Benchmark `doctor inspect` against the raw docker CLI, and on large logs.

Run from anywhere:  python bench/bench_inspect.py [--big-mb 1000] [--runs 15]

In one run it:
  a. makes a container that printed ~2000 lines and exited 1, then times
     `doctor inspect ID --format json` against the raw docker CLI doing the same reads
     (`docker inspect; docker logs --tail 500; docker diff; docker image history` as one
     shell command) with hyperfine; prints the medians and their ratio (target <= 3).
     It also prints the -X importtime totals of `python -m dockerdoctor --help` and of
     `import docker`, the wall time of interpreter start-up, and (in-process, through the
     library) how long each phase of one diagnosis takes.
  b. makes a container with about --big-mb MB of json-file logs (on disk) and one with
     about --small-mb MB, times `doctor inspect` on both (ratio target <= 1.2), and
     measures the peak RSS of the doctor process on the big one (target < 100 MB).

Every container it makes carries the labels dockerdoctor.bench=1 and
dockerdoctor.bench.run=<run id>, and is removed at the end (also on Ctrl-C / SIGTERM).
Raw numbers go to bench/results/latest.json (git-ignored), with hyperfine's exports.
It never pulls: it needs the local image dockerdoctor/busybox:local (or --image).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LABEL = "dockerdoctor.bench"
RUN_LABEL = "dockerdoctor.bench.run"
RUN_ID = uuid.uuid4().hex[:12]

TARGET_RATIO_CLI = 3.0
TARGET_RATIO_LOGS = 1.2
TARGET_RSS_MB = 100.0
MAX_TAIL = 100_000  # the largest --tail doctor accepts

# The crashed container of part a: ~2000 lines on stdout, a last one on stderr, exit 1.
CRASH_SCRIPT = (
    'i=0; while [ $i -lt 2000 ]; do '
    'echo "$(date -u +%H:%M:%S) worker[$i]: processed batch $i of 2000, queue depth $((i % 17))"; '
    "i=$((i+1)); done; "
    'echo "fatal: cannot write checkpoint /data/state.db: read-only file system" >&2; exit 1'
)
# The log generator of part b: ~200-byte lines as fast as busybox can write them.
LINE = "bench " + "x" * 193  # + newline = 200 bytes
LOGS_SCRIPT = 'yes "$LINE" | head -c "$BYTES"; exit 1'
JSON_OVERHEAD_GUESS = 1.35  # json-file bytes on disk per byte written by the container

# In-process breakdown of one `doctor inspect`, run in a fresh interpreter. Uses the
# library's internals read-only; if they change, the bench says so and goes on.
PHASES_CODE = r"""
import json, sys, time
t = time.perf_counter
out = {}
s = t(); import dockerdoctor.cli; out["import dockerdoctor.cli"] = t() - s
s = t()
from dockerdoctor import diagnose, snapshot
from dockerdoctor import engine as eng
from dockerdoctor.report import json as json_report
out["import dockerdoctor (diagnose, engine, report)"] = t() - s
s = t(); import docker, requests; out["import docker (docker-py + requests)"] = t() - s
s = t(); client = eng.EngineClient(); out["EngineClient() (connect, GET /version)"] = t() - s
for name in ("inspect", "logs", "diff", "image", "history", "info", "version", "events"):
    fn = getattr(client, name)
    def timed(*a, _fn=fn, _name=name, **k):
        s0 = t()
        try:
            return _fn(*a, **k)
        finally:
            out["  read " + _name] = t() - s0
    setattr(client, name, timed)
opts = eng.LogOptions()
s = t(); raw = diagnose.read(client, sys.argv[1], opts)
out["all reads (concurrent; + exec probe if any)"] = t() - s
s = t(); snap = snapshot.build(raw); out["snapshot.build"] = t() - s
s = t(); d = diagnose.diagnose_snapshot(snap); out["checks + redaction"] = t() - s
s = t(); body = json_report.render(d); out["render json"] = t() - s
print(json.dumps(out))
"""


# What the timed processes run with: PYTHONDONTWRITEBYTECODE dropped (unless
# --no-bytecode-cache), so dockerdoctor runs from cached bytecode as after a pip install,
# not recompiled on every start as in a session that sets it.
CHILD_ENV = {**os.environ, "NO_COLOR": "1"}


# -- small helpers ---------------------------------------------------------------------


def say(msg: str = "") -> None:
    print(msg, flush=True)


def run(cmd: list[str], check: bool = True, timeout: float | None = 600,
        **kw: Any) -> subprocess.CompletedProcess[str]:
    kw.setdefault("env", CHILD_ENV)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc


def docker(*args: str, check: bool = True, timeout: float | None = 600) -> str:
    return run(["docker", *args], check=check, timeout=timeout).stdout.strip()


def median(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def fmt_s(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x * 1000:.0f} ms" if x < 10 else f"{x:.1f} s"


def fmt_ratio(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def doctor_argv() -> list[str]:
    exe = shutil.which("doctor")
    return [exe] if exe else [sys.executable, "-m", "dockerdoctor"]


# -- containers ------------------------------------------------------------------------


def make_container(image: str, name: str, script: str, env: dict[str, str] | None = None,
                   timeout: float = 300) -> tuple[str, float]:
    """Run a labelled container to its end; returns (id, seconds it took)."""
    argv = ["run", "-d", "--network", "none", "--log-driver", "json-file",
            "--label", f"{LABEL}=1", "--label", f"{RUN_LABEL}={RUN_ID}",
            "--name", f"dockerdoctor-bench-{RUN_ID}-{name}"]
    for k, v in (env or {}).items():
        argv += ["-e", f"{k}={v}"]
    start = time.monotonic()
    cid = docker(*argv, image, "sh", "-c", script)
    code = docker("wait", cid, timeout=timeout)
    took = time.monotonic() - start
    if code != "1":
        raise RuntimeError(f"container {name} exited {code}, expected 1")
    return cid, took


def log_file_size(cid: str) -> int | None:
    path = docker("inspect", "-f", "{{.LogPath}}", cid)
    try:
        size = os.stat(path).st_size
        time.sleep(0.2)  # the engine may still be flushing the last lines
        return max(size, os.stat(path).st_size)
    except OSError:
        return None  # not root, or a remote engine


def make_log_container(image: str, name: str, target_mb: float, overhead: float
                       ) -> dict[str, Any]:
    written = max(1000, int(target_mb * 1e6 / overhead))
    cid, took = make_container(image, name, LOGS_SCRIPT,
                               env={"LINE": LINE, "BYTES": str(written)}, timeout=1800)
    size = log_file_size(cid)
    return {"id": cid, "bytes_written": written, "log_file_bytes": size,
            "generate_s": took}


def cleanup() -> None:
    ids = docker("ps", "-aq", "--filter", f"label={RUN_LABEL}={RUN_ID}", check=False).split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False)
        say(f"removed {len(ids)} bench container(s)")


# -- timing ----------------------------------------------------------------------------


def time_commands(commands: dict[str, str], runs: int, warmup: int, export: Path,
                  rounds: int = 1) -> dict[str, dict[str, Any]]:
    """Wall time of shell commands, pooled over `rounds` rounds.

    With hyperfine, each round is one hyperfine call over all the commands, in alternating
    order, so that a burst of load from elsewhere hits every command alike (the machine
    this runs on is shared); warm-up runs only in the first round. Without hyperfine, an
    interleaved loop does the same. Medians are of all the pooled runs.
    """
    rounds = max(1, min(rounds, runs))
    per_round = -(-runs // rounds)
    times: dict[str, list[float]] = {name: [] for name in commands}
    exports: list[Any] = []
    names = list(commands)
    tool = "hyperfine" if shutil.which("hyperfine") else "loop"
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        if tool == "hyperfine":
            argv = ["hyperfine", "--style", "none", "--runs", str(per_round),
                    "--warmup", str(warmup if r == 0 else 0), "--export-json", str(export)]
            for name in order:
                argv += ["-n", name, commands[name]]
            proc = subprocess.run(argv, capture_output=True, text=True, env=CHILD_ENV)
            if proc.returncode != 0:
                raise RuntimeError(f"hyperfine failed ({proc.returncode}): "
                                   f"{(proc.stderr or proc.stdout).strip()[-500:]}")
            data = json.loads(export.read_text())
            exports.append(data)
            for res in data["results"]:
                times[res["command"]].extend(res["times"])
            continue
        for i in range((warmup if r == 0 else 0) + per_round):
            for name in order:
                start = time.perf_counter()
                proc = subprocess.run(commands[name], shell=True, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=CHILD_ENV)
                took = time.perf_counter() - start
                if proc.returncode != 0:
                    raise RuntimeError(f"{commands[name]!r} exited {proc.returncode}")
                if i >= (warmup if r == 0 else 0):
                    times[name].append(took)
    export.write_text(json.dumps({"tool": tool, "rounds": rounds, "times": times,
                                  "hyperfine_exports": exports}, indent=1))
    out = {}
    for name, ts in times.items():
        out[name] = {"median_s": median(ts), "mean_s": statistics.mean(ts),
                     "stddev_s": statistics.pstdev(ts), "min_s": min(ts), "max_s": max(ts),
                     "runs": len(ts), "rounds": rounds, "tool": tool}
        o = out[name]
        say(f"    {name:<32} median {fmt_s(o['median_s']):>8}   mean {fmt_s(o['mean_s'])} "
            f"± {fmt_s(o['stddev_s'])}   range {fmt_s(o['min_s'])} … {fmt_s(o['max_s'])}   "
            f"{len(ts)} runs ({tool}, {rounds} rounds)")
    return out


_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def importtime(args: list[str], repeat: int) -> dict[str, Any]:
    """Median -X importtime figures: total (sum of top-level cumulatives) and by module."""
    totals: list[float] = []
    by_module: dict[str, list[float]] = {}
    imported: set[str] = set()
    for _ in range(repeat):
        proc = run([sys.executable, "-X", "importtime", *args], check=False, timeout=120)
        total = 0
        for line in proc.stderr.splitlines():
            m = _IMPORT_LINE.match(line)
            if not m:
                continue
            cumulative, indent, name = int(m.group(2)), len(m.group(3)), m.group(4)
            imported.add(name)
            if indent == 0:
                total += cumulative
            by_module.setdefault(name, []).append(cumulative / 1e6)
        totals.append(total / 1e6)
    cum = {k: median(v) for k, v in by_module.items()}
    top = sorted(cum.items(), key=lambda kv: -(kv[1] or 0))
    heavy = ("docker", "requests", "urllib3", "paramiko")
    return {"total_s": median(totals), "runs": repeat, "cumulative_s": dict(top[:25]),
            "heavy_imported": sorted(n for n in imported if n.split(".")[0] in heavy)}


def phases(cid: str, repeat: int) -> dict[str, float] | None:
    rows: dict[str, list[float]] = {}
    for _ in range(repeat):
        proc = run([sys.executable, "-c", PHASES_CODE, cid], check=False, timeout=300)
        if proc.returncode != 0:
            say(f"    (phase breakdown unavailable: {proc.stderr.strip().splitlines()[-1:]})")
            return None
        for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items():
            rows.setdefault(k, []).append(v)
    return {k: median(v) for k, v in rows.items()}  # type: ignore[misc]


def peak_rss_mb(argv: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one child process, from wait4's rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=CHILD_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv)} exited {proc.returncode}")
    kb = usage.ru_maxrss  # kilobytes on Linux
    return kb / 1024, took


# -- the two parts ---------------------------------------------------------------------


def part_a(args: argparse.Namespace, out: dict[str, Any]) -> None:
    say("== a. doctor inspect vs the raw docker CLI, on a crashed container")
    cid, _ = make_container(args.image, "crash", CRASH_SCRIPT, timeout=120)
    lines = len(run(["docker", "logs", cid]).stdout.splitlines())
    say(f"  container {cid[:12]}: {lines} stdout lines, exited 1")
    # --no-deep: the same reads as the raw CLI commands (bench_deep.py times forensics)
    doctor = shlex.join([*doctor_argv(), "inspect", cid, "--format", "json", "--no-deep"])
    q, img = shlex.quote(cid), shlex.quote(args.image)
    raw = (f"docker inspect {q}; docker logs --tail 500 {q}; docker diff {q}; "
           f"docker image history {img}")
    res = time_commands({"doctor": doctor, "docker-cli": raw}, args.runs, args.warmup,
                        RESULTS / "hyperfine-cli.json", args.rounds)
    ratio = res["doctor"]["median_s"] / res["docker-cli"]["median_s"]
    out["a"] = {"container_lines": lines, "commands": {"doctor": doctor, "docker-cli": raw},
                "timing": res, "median_ratio": ratio}
    say(f"  median doctor {fmt_s(res['doctor']['median_s'])}, docker CLI "
        f"{fmt_s(res['docker-cli']['median_s'])}: ratio {fmt_ratio(ratio)} "
        f"(target <= {TARGET_RATIO_CLI})")

    say("  start-up: interpreter, docker-py import, doctor --help")
    py = shlex.quote(sys.executable)
    startup = time_commands(
        {"python -c pass": f"{py} -c pass",
         "python -c 'import docker'": f"{py} -c 'import docker'",
         "doctor --help": shlex.join([*doctor_argv(), "--help"])},
        args.runs, args.warmup, RESULTS / "hyperfine-startup.json", args.rounds)
    out["a"]["startup"] = startup
    help_it = importtime(["-m", "dockerdoctor", "--help"], args.import_repeat)
    docker_it = importtime(["-c", "import docker"], args.import_repeat)
    out["a"]["importtime_help"] = help_it
    out["a"]["importtime_docker"] = docker_it
    docker_cum = docker_it["cumulative_s"].get("docker")
    say(f"  -X importtime `python -m dockerdoctor --help`: total {fmt_s(help_it['total_s'])} "
        f"(heavy modules imported: {help_it['heavy_imported'] or 'none'})")
    say(f"  -X importtime `import docker`: docker {fmt_s(docker_cum)}, total "
        f"{fmt_s(docker_it['total_s'])}")
    for name in ("python -c pass", "python -c 'import docker'", "doctor --help"):
        say(f"  wall {name}: {fmt_s(startup[name]['median_s'])}")

    say("  phases of one diagnosis (in-process, median of "
        f"{args.import_repeat} fresh interpreters):")
    ph = phases(cid, args.import_repeat)
    out["a"]["phases_s"] = ph
    for k, v in (ph or {}).items():
        say(f"    {k:<48} {fmt_s(v):>8}")


def part_b(args: argparse.Namespace, out: dict[str, Any]) -> None:
    say(f"== b. large logs: ~{args.big_mb:g} MB vs ~{args.small_mb:g} MB of json-file logs")
    small = make_log_container(args.image, "logs-small", args.small_mb, JSON_OVERHEAD_GUESS)
    overhead = JSON_OVERHEAD_GUESS
    if small["log_file_bytes"]:
        overhead = small["log_file_bytes"] / small["bytes_written"]
    say(f"  small: {small['id'][:12]}, {small['log_file_bytes']} bytes on disk "
        f"(json-file overhead {overhead:.2f})")
    out["b"] = {"small": small, "json_overhead": overhead}
    big = make_log_container(args.image, "logs-big", args.big_mb, overhead)
    out["b"]["big"] = big
    rate = big["bytes_written"] / 1e6 / big["generate_s"]
    say(f"  big:   {big['id'][:12]}, {big['log_file_bytes']} bytes on disk, made in "
        f"{big['generate_s']:.1f} s ({rate:.0f} MB/s written)")
    try:
        d = doctor_argv()
        cmds = {f"doctor big ({args.big_mb:g} MB)": shlex.join([*d, "inspect", big["id"],
                                                                "--format", "json", "--no-deep"]),
                f"doctor small ({args.small_mb:g} MB)": shlex.join(
                    [*d, "inspect", small["id"], "--format", "json", "--no-deep"])}
        res = time_commands(cmds, args.big_runs, 2, RESULTS / "hyperfine-logs.json",
                            args.rounds)
        names = list(cmds)
        ratio = res[names[0]]["median_s"] / res[names[1]]["median_s"]
        out["b"]["timing"] = res
        out["b"]["median_ratio"] = ratio
        say(f"  median big {fmt_s(res[names[0]]['median_s'])}, small "
            f"{fmt_s(res[names[1]]['median_s'])}: ratio {fmt_ratio(ratio)} "
            f"(target <= {TARGET_RATIO_LOGS})")
        # the engine's own share: the same tail through the docker CLI
        engine_cmds = {"docker logs --tail 500 big": f"docker logs --tail 500 {big['id']}",
                       "docker logs --tail 500 small": f"docker logs --tail 500 {small['id']}"}
        eres = time_commands(engine_cmds, args.big_runs, 2,
                             RESULTS / "hyperfine-logs-engine.json", args.rounds)
        out["b"]["engine_timing"] = eres
        e_ratio = (eres["docker logs --tail 500 big"]["median_s"]
                   / eres["docker logs --tail 500 small"]["median_s"])
        out["b"]["engine_median_ratio"] = e_ratio
        say(f"  engine alone (docker logs --tail 500): ratio {fmt_ratio(e_ratio)}")
        rss: dict[str, list[float]] = {"big": [], "small": []}
        for _ in range(args.rss_runs):
            for which, c in (("big", big), ("small", small)):
                mb, _took = peak_rss_mb([*d, "inspect", c["id"], "--format", "json", "--no-deep"])
                rss[which].append(mb)
        out["b"]["peak_rss_mb"] = {k: max(v) for k, v in rss.items()}
        out["b"]["peak_rss_runs_mb"] = rss
        say(f"  peak RSS of doctor (max of {args.rss_runs}, wait4 ru_maxrss): big "
            f"{max(rss['big']):.1f} MB, small {max(rss['small']):.1f} MB "
            f"(target < {TARGET_RSS_MB:g} MB)")
        if args.max_tail_runs:
            # the bound itself: the most lines `--tail` allows, on the big container
            runs = [peak_rss_mb([*d, "inspect", big["id"], "--format", "json", "--no-deep",
                                 "--tail", str(MAX_TAIL)]) for _ in range(args.max_tail_runs)]
            out["b"]["max_tail"] = {"tail": MAX_TAIL, "peak_rss_mb": max(r[0] for r in runs),
                                    "wall_s": median([r[1] for r in runs]),
                                    "runs": [list(r) for r in runs]}
            say(f"  --tail {MAX_TAIL} on the big container: "
                f"{fmt_s(out['b']['max_tail']['wall_s'])}, peak RSS "
                f"{out['b']['max_tail']['peak_rss_mb']:.1f} MB (informative, no target)")
    finally:
        docker("rm", "-f", "-v", big["id"], check=False)
        say(f"  removed the big container {big['id'][:12]}")


# -- summary ---------------------------------------------------------------------------


def summary(out: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    a, b = out.get("a") or {}, out.get("b") or {}

    def verdict(value: float | None, target: float) -> str:
        if value is None:
            return "n/a"
        return "ok" if value <= target else "MISSED"

    if "timing" in a:
        t = a["timing"]
        rows.append(["doctor inspect (crashed, 2000 lines)", fmt_s(t["doctor"]["median_s"]),
                     "", ""])
        rows.append(["raw docker CLI, same reads", fmt_s(t["docker-cli"]["median_s"]), "", ""])
        rows.append(["ratio doctor / docker CLI", fmt_ratio(a["median_ratio"]), "<= 3",
                     verdict(a["median_ratio"], TARGET_RATIO_CLI)])
    if "startup" in a:
        s = a["startup"]
        rows.append(["python -c pass (wall)", fmt_s(s["python -c pass"]["median_s"]), "", ""])
        rows.append(["python -c 'import docker' (wall)",
                     fmt_s(s["python -c 'import docker'"]["median_s"]), "", ""])
        rows.append(["doctor --help (wall)", fmt_s(s["doctor --help"]["median_s"]), "", ""])
    if "importtime_help" in a:
        rows.append(["importtime: -m dockerdoctor --help",
                     fmt_s(a["importtime_help"]["total_s"]), "", ""])
        rows.append(["importtime: import docker",
                     fmt_s(a["importtime_docker"]["cumulative_s"].get("docker")), "", ""])
    if "timing" in b:
        names = list(b["timing"])
        rows.append([f"doctor inspect, {names[0][7:]}", fmt_s(b["timing"][names[0]]["median_s"]),
                     "", ""])
        rows.append([f"doctor inspect, {names[1][7:]}", fmt_s(b["timing"][names[1]]["median_s"]),
                     "", ""])
        rows.append(["ratio big / small logs", fmt_ratio(b["median_ratio"]), "<= 1.2",
                     verdict(b["median_ratio"], TARGET_RATIO_LOGS)])
    if "peak_rss_mb" in b:
        rss = b["peak_rss_mb"]["big"]
        rows.append(["peak RSS, doctor on big logs", f"{rss:.1f} MB", "< 100 MB",
                     "ok" if rss < TARGET_RSS_MB else "MISSED"])
    if "max_tail" in b:
        m = b["max_tail"]
        rows.append([f"big logs, --tail {MAX_TAIL}: time", fmt_s(m["wall_s"]), "(info)", ""])
        rows.append([f"big logs, --tail {MAX_TAIL}: peak RSS", f"{m['peak_rss_mb']:.1f} MB",
                     "(info)", ""])
    return rows


def print_table(rows: list[list[str]]) -> None:
    head = ["measure", "value", "target", ""]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    say(line)
    for r in [head, *rows]:
        say("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if r is head:
            say(line)
    say(line)


# -- main ------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--big-mb", type=float, default=1000,
                   help="json-file log size of the big container, MB on disk (default 1000)")
    p.add_argument("--small-mb", type=float, default=1,
                   help="json-file log size of the small container (default 1)")
    p.add_argument("--runs", type=int, default=15, help="timed runs per command in part a")
    p.add_argument("--warmup", type=int, default=3, help="warm-up runs per command")
    p.add_argument("--rounds", type=int, default=5,
                   help="split the runs into this many alternating rounds (noise from "
                        "other load hits every command alike)")
    p.add_argument("--big-runs", type=int, default=10, help="timed runs per command in part b")
    p.add_argument("--rss-runs", type=int, default=3, help="runs for the peak RSS")
    p.add_argument("--max-tail-runs", type=int, default=1,
                   help=f"runs of --tail {MAX_TAIL} on the big container (0: skip)")
    p.add_argument("--import-repeat", type=int, default=5,
                   help="fresh interpreters for -X importtime and the phase breakdown")
    p.add_argument("--image", default=os.environ.get("DOCTOR_BUSYBOX_IMAGE",
                                                     "dockerdoctor/busybox:local"))
    p.add_argument("--skip-big", action="store_true", help="only part a")
    p.add_argument("--no-bytecode-cache", action="store_true",
                   help="keep PYTHONDONTWRITEBYTECODE and do not precompile dockerdoctor")
    p.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    return p.parse_args(argv)


def code_state() -> dict[str, Any]:
    """Which dockerdoctor was measured: HEAD, and whether its files had local changes."""
    root = HERE.parent
    head = run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], check=False)
    dirty = run(["git", "-C", str(root), "status", "--porcelain", "--", "dockerdoctor"],
                check=False)
    return {"head": head.stdout.strip() or None,
            "dockerdoctor_local_changes": dirty.stdout.splitlines()}


def prepare_bytecode(cache: bool) -> bool:
    """Cache dockerdoctor's bytecode, as `pip install` does; returns whether it did."""
    if not cache:
        return False
    CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
    where = run([sys.executable, "-c", "import dockerdoctor, os; "
                 "print(os.path.dirname(dockerdoctor.__file__))"], check=False).stdout.strip()
    if where:
        run([sys.executable, "-m", "compileall", "-q", where], check=False)
    return True


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def install_signals() -> None:
    """Ctrl-C, kill and hang-up all unwind to the caller's `finally` (SIGINT explicitly:
    a process started in the background by a script inherits it ignored)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)


def begin(args: argparse.Namespace, bytecode: bool, **extra: Any) -> dict[str, Any]:
    """The results' header (run id, machine, arguments, code measured), said in one line;
    `extra` keys go into it too (machine facts under "machine_extra")."""
    out: dict[str, Any] = {
        "run_id": RUN_ID, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "engine": docker("version", "-f", "{{.Server.Version}}", check=False),
                    "hyperfine": run(["hyperfine", "--version"], check=False).stdout.strip()
                    if shutil.which("hyperfine") else None},
        "args": {k: str(v) for k, v in vars(args).items()},
        "bytecode_cached": bytecode,
        "code": code_state(),
        "loadavg_start": os.getloadavg(),
        "complete": False,
    }
    out["machine"].update(extra.pop("machine_extra", {}))
    out.update(extra)
    code = out["code"]
    say(f"measuring dockerdoctor at {code['head']}"
        + (f" + local changes in {len(code['dockerdoctor_local_changes'])} file(s)"
           if code["dockerdoctor_local_changes"] else "")
        + f", {'cached' if bytecode else 'uncached'} bytecode, on {os.cpu_count()} CPUs")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not shutil.which("docker"):
        say("bench: the docker CLI is not on PATH")
        return 2
    if run(["docker", "image", "inspect", args.image], check=False).returncode != 0:
        say(f"bench: image {args.image} is missing (this bench never pulls)")
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    bytecode = prepare_bytecode(not args.no_bytecode_cache)
    stale = docker("ps", "-aq", "--filter", f"label={LABEL}=1", check=False).split()
    if stale:
        say(f"note: {len(stale)} container(s) labelled {LABEL}=1 from another run exist "
            f"(docker rm -f $(docker ps -aq --filter label={LABEL}=1) if none is running)")
    install_signals()
    out = begin(args, bytecode)
    start = time.monotonic()
    status = 0
    try:
        part_a(args, out)
        if not args.skip_big:
            part_b(args, out)
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
            cleanup()
        finally:
            signal.signal(signal.SIGINT, old)
    out["total_s"] = time.monotonic() - start
    out["loadavg_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    say()
    print_table(summary(out))
    load = ", ".join(f"{x:.1f}" for x in out["loadavg_end"])
    say(f"total {out['total_s']:.0f} s on {os.cpu_count()} CPUs (load average at the end: "
        f"{load}); raw numbers in {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
