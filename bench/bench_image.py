#!/usr/bin/env python3
"""Benchmark `doctor image` against the raw docker CLI doing the same reads.

Run from anywhere:  python bench/bench_image.py [--big-mb 1024] [--runs 5]

In one run it builds two labelled images from dockerdoctor/busybox:local (it never
pulls): a small app image with a few sins (an .env copied in, a secret ENV, a shell-form
CMD) and a big one with one layer of --big-mb MB. Then, with hyperfine (alternating
rounds), on each image:

  - `doctor image IMG --format json` (config, history and every layer's files, streamed)
    against `docker image inspect IMG; docker history --no-trunc IMG; docker save IMG |
    tar -xO --wildcards '*layer.tar' | tar -ti` (the same reads by hand: the config, the
    history, and a listing of every file of every layer);
  - `doctor image IMG --no-files --format json` against `docker image inspect IMG;
    docker history --no-trunc IMG`.

It reports the medians and ratios, and the peak RSS of `doctor image` on the big image
(os.wait4's ru_maxrss; target < 150 MB). Both images are removed at the end, also on
Ctrl-C. Raw numbers go to bench/results/image.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_inspect as bi

RESULTS = bi.RESULTS
RUN_ID = bi.RUN_ID
LABEL = f"{bi.LABEL}=1"
SMALL = f"dockerdoctor-bench-image:{RUN_ID}-small"
BIG = f"dockerdoctor-bench-image:{RUN_ID}-big"
RSS_TARGET_MB = 150
say, docker, fmt_s, fmt_ratio = bi.say, bi.docker, bi.fmt_s, bi.fmt_ratio


def build(tag: str, dockerfile: str, files: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as ctx:
        for name, text in files.items():
            Path(ctx, name).write_text(text)
        Path(ctx, "Dockerfile").write_text(dockerfile)
        start = time.monotonic()
        bi.run(["docker", "build", "-q", "--label", LABEL, "-t", tag, ctx], timeout=1800)
        return time.monotonic() - start


def make_images(args: argparse.Namespace) -> dict[str, Any]:
    small = build(SMALL, f"FROM {args.image}\nENV API_TOKEN=tok-0123456789abcdef\n"
                  "COPY .env /app/.env\nRUN echo ok > /app/ready\nEXPOSE 8080\n"
                  "CMD /bin/sh -c 'exec httpd -f -p 8080'\n", {".env": "DB_PASSWORD=pw\n"})
    big = build(BIG, f"FROM {args.image}\nRUN head -c {args.big_mb}m /dev/zero > /blob && "
                "mkdir -p /srv && echo app > /srv/app\n", {})
    size = int(docker("image", "inspect", "-f", "{{.Size}}", BIG))
    say(f"  built {SMALL} in {small:.1f}s, {BIG} ({size / 1e6:.0f} MB) in {big:.1f}s")
    return {"small_build_s": small, "big_build_s": big, "big_size": size}


def commands(image: str) -> dict[str, str]:
    d = shlex.join(bi.doctor_argv())
    q = shlex.quote(image)
    reads = f"docker image inspect {q} >/dev/null; docker history --no-trunc {q} >/dev/null"
    return {
        "doctor image": f"{d} image {q} --format json >/dev/null",
        "docker: inspect, history, save | list every layer's files":
            f"{reads}; docker save {q} | tar -xO --wildcards '*layer.tar' | tar -ti "
            ">/dev/null",
        "doctor image --no-files": f"{d} image {q} --no-files --format json >/dev/null",
        "docker: inspect, history": reads,
    }


def measure(args: argparse.Namespace, out: dict[str, Any]) -> None:
    for label, image, runs in (("small", SMALL, args.small_runs), ("big", BIG, args.runs)):
        say(f"== {label} image: {image}")
        res = bi.time_commands(commands(image), runs, 1, RESULTS / f"hyperfine-image-{label}.json",
                               rounds=min(runs, args.rounds))
        med = {k: v["median_s"] for k, v in res.items()}
        out[label] = {
            "times": res,
            "ratio_files": med["doctor image"] / med[
                "docker: inspect, history, save | list every layer's files"],
            "ratio_config": med["doctor image --no-files"] / med["docker: inspect, history"],
        }
        report = json.loads(bi.run([*bi.doctor_argv(), "image", image, "--format",
                                    "json"], check=False).stdout or "{}")
        out[label]["findings"] = [f["id"] for f in report.get("findings", [])]
        out[label]["scan"] = report.get("scan")
        say(f"  findings: {', '.join(out[label]['findings'])}")
    rss, took = bi.peak_rss_mb([*bi.doctor_argv(), "image", BIG, "--format", "json"])
    out["big"]["peak_rss_mb"] = rss
    out["big"]["rss_run_s"] = took
    say(f"  peak RSS of doctor image on the big image: {rss:.1f} MB ({took:.1f}s)")


def summary(out: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    for label in ("small", "big"):
        r = out.get(label)
        if not r:
            continue
        t = {k: v["median_s"] for k, v in r["times"].items()}
        rows += [
            [f"{label}: doctor image", fmt_s(t["doctor image"]), "", ""],
            [f"{label}: docker inspect+history+save|list files",
             fmt_s(t["docker: inspect, history, save | list every layer's files"]), "", ""],
            [f"{label}: ratio", fmt_ratio(r["ratio_files"]), "", ""],
            [f"{label}: doctor image --no-files", fmt_s(t["doctor image --no-files"]), "", ""],
            [f"{label}: docker inspect+history", fmt_s(t["docker: inspect, history"]), "", ""],
            [f"{label}: ratio (config only)", fmt_ratio(r["ratio_config"]), "", ""],
        ]
    big = out.get("big") or {}
    if "peak_rss_mb" in big:
        ok = big["peak_rss_mb"] < RSS_TARGET_MB
        rows.append(["big: peak RSS of doctor image", f"{big['peak_rss_mb']:.1f} MB",
                     f"< {RSS_TARGET_MB} MB", "ok" if ok else "MISSED"])
    return rows


def cleanup() -> None:
    for tag in (SMALL, BIG):
        docker("rmi", "-f", tag, check=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--big-mb", type=int, default=1024, help="size of the big layer, MB")
    p.add_argument("--runs", type=int, default=5, help="timed runs per command, big image")
    p.add_argument("--small-runs", type=int, default=15, help="timed runs, small image")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--image", default="dockerdoctor/busybox:local")
    p.add_argument("--out", type=Path, default=RESULTS / "image.json")
    args = p.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    bi.prepare_bytecode(True)
    signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))
    out: dict[str, Any] = {"run_id": RUN_ID, "code": bi.code_state(), "cpus": os.cpu_count(),
                           "loadavg_start": os.getloadavg()}
    status = 0
    start = time.monotonic()
    try:
        out["images"] = make_images(args)
        measure(args, out)
    except KeyboardInterrupt:
        say("bench: interrupted")
        status = 130
    except (RuntimeError, subprocess.SubprocessError, KeyError) as e:
        say(f"bench: failed: {type(e).__name__}: {e}")
        status = 1
    finally:
        cleanup()
    out["total_s"] = time.monotonic() - start
    out["loadavg_end"] = os.getloadavg()
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    bi.print_table(summary(out))
    say(f"total {out['total_s']:.0f} s; raw numbers in {args.out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
