#!/usr/bin/env python3
"""Benchmark `doctor ps` against `docker ps -a` plus `docker inspect` of every container.

Run from anywhere:  python bench/bench_ps.py [--sizes 30,100,300] [--runs 10]

It grows one labelled fleet of busybox containers (it never pulls: it needs
dockerdoctor/busybox:local) through --sizes, a mix of one third each:
  - crashed: exit 1 after an error line (a missing variable, a refused connection, a
    FATAL), or killed by a signal;
  - running: `sleep`, healthy as far as the engine knows;
  - finished: a batch job that printed its result and exited 0;
and at each size times, with hyperfine in alternating rounds:
  - `doctor ps --filter label=RUN --format json`
  - `docker ps -a --filter label=RUN; docker inspect $(docker ps -aq --filter label=RUN)`
(the same listing, and the state of every container, which is what a verdict needs).
Target at 300 containers: median ratio <= 1.5. It prints how both grow from the smallest
size to the largest. Every container is removed at the end, also on Ctrl-C. Raw numbers go
to bench/results/ps.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bench_inspect as bi

RESULTS = bi.RESULTS
RUN_ID = bi.RUN_ID
FILTER = f"label={bi.RUN_LABEL}={RUN_ID}"
TARGET = 1.5
say, fmt_s, fmt_ratio = bi.say, bi.fmt_s, bi.fmt_ratio

CRASHES = (
    "echo 'worker starting'; echo \"KeyError: 'QUEUE_URL'\" >&2; exit 1",
    "echo 'connecting to db:5432'; echo 'Error: connect ECONNREFUSED 10.0.0.5:5432' >&2; "
    "exit 1",
    "echo 'FATAL: could not open /etc/app/config.yml: No such file or directory' >&2; exit 1",
    "echo 'resizing upload 8f3a2c.jpg'; echo 'Segmentation fault (core dumped)' >&2; "
    "exit 139",
)


def make(client: Any, image: str, kind: int, n: int) -> str:
    labels = {bi.LABEL: "1", bi.RUN_LABEL: RUN_ID}
    if kind == 0:
        cmd = ["sh", "-c", CRASHES[n % len(CRASHES)]]
    elif kind == 1:
        cmd = ["sleep", "3600"]
    else:
        cmd = ["sh", "-c", f"echo 'exported {n} rows'"]
    c = client.containers.run(image, cmd, detach=True, labels=labels, network_mode="none",
                              name=f"dockerdoctor-bench-{RUN_ID}-{n}")
    if kind != 1:
        c.wait(timeout=120)
    return str(c.id)


def grow(client: Any, image: str, have: int, want: int) -> float:
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: make(client, image, n % 3, n), range(have, want)))
    return time.monotonic() - start


def commands() -> dict[str, str]:
    d = shlex.join(bi.doctor_argv())
    f = shlex.quote(FILTER)
    return {
        "doctor ps --format json": f"{d} ps --filter {f} --format json >/dev/null",
        "docker ps -a; docker inspect (all)":
            f"docker ps -a --filter {f} >/dev/null; "
            f"docker inspect $(docker ps -aq --filter {f}) >/dev/null",
    }


def cleanup(client: Any) -> None:
    ids = [c["Id"] for c in client.api.containers(all=True, filters={"label": FILTER[6:]})]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda cid: client.api.remove_container(cid, force=True), ids))
    if ids:
        say(f"removed {len(ids)} bench container(s)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="30,100,300", help="fleet sizes, growing")
    p.add_argument("--runs", type=int, default=10, help="timed runs per command and size")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--image", default="dockerdoctor/busybox:local")
    p.add_argument("--out", type=Path, default=RESULTS / "ps.json")
    args = p.parse_args(argv)
    import docker

    client = docker.from_env(timeout=300)
    RESULTS.mkdir(parents=True, exist_ok=True)
    bi.prepare_bytecode(True)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    sizes = [int(x) for x in args.sizes.split(",")]
    out: dict[str, Any] = {"run_id": RUN_ID, "code": bi.code_state(), "cpus": os.cpu_count(),
                           "loadavg_start": os.getloadavg(), "sizes": {}}
    status, have = 0, 0
    try:
        for size in sizes:
            took = grow(client, args.image, have, size)
            have = size
            say(f"== {size} containers (made the new ones in {took:.0f}s)")
            res = bi.time_commands(commands(), args.runs, 1, RESULTS / "hyperfine-ps.json",
                                   rounds=args.rounds)
            med = {k: v["median_s"] for k, v in res.items()}
            report = json.loads(bi.run([*bi.doctor_argv(), "ps", "--filter", FILTER,
                                        "--format", "json"]).stdout)
            verdicts: dict[str, int] = {}
            for c in report["containers"]:
                key = (c["verdict"] or {}).get("id", "ok")
                verdicts[key] = verdicts.get(key, 0) + 1
            out["sizes"][size] = {"times": res, "ratio": med["doctor ps --format json"]
                                  / med["docker ps -a; docker inspect (all)"],
                                  "verdicts": verdicts}
            say(f"  verdicts: {verdicts}")
    except KeyboardInterrupt:
        say("bench: interrupted")
        status = 130
    finally:
        cleanup(client)
    out["loadavg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    rows = []
    for size, r in out["sizes"].items():
        t = {k: v["median_s"] for k, v in r["times"].items()}
        rows.append([f"{size} containers: doctor ps / docker ps+inspect",
                     f"{fmt_s(t['doctor ps --format json'])} / "
                     f"{fmt_s(t['docker ps -a; docker inspect (all)'])} = "
                     f"{fmt_ratio(r['ratio'])}", "", ""])
    if out["sizes"]:
        last = out["sizes"][max(out["sizes"])]
        rows.append(["ratio at the largest size", fmt_ratio(last["ratio"]), f"<= {TARGET}",
                     "ok" if last["ratio"] <= TARGET else "MISSED"])
        first, final = min(out["sizes"]), max(out["sizes"])
        if first != final:
            for name in commands():
                a = out["sizes"][first]["times"][name]["median_s"]
                b = out["sizes"][final]["times"][name]["median_s"]
                rows.append([f"growth {first} -> {final}: {name}", f"{b / a:.2f}x", "", ""])
    bi.print_table(rows)
    return status


if __name__ == "__main__":
    sys.exit(main())
