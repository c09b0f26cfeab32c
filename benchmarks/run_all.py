"""Run every benchmark script and print one table of their figures.

Run from the project root, in the project venv with the test extra::

    python benchmarks/run_all.py                 # national scale, every benchmarks/bench_*.py
    python benchmarks/run_all.py --quick         # smaller sizes, a few minutes
    python benchmarks/run_all.py --only import pages --logs /tmp/bench-logs

Each ``benchmarks/bench_*.py`` runs in a subprocess of its own (so its peak memory is its own),
with ``--json`` when the script offers it and, with ``--quick``, ``--quick`` when it offers
that. A script reports each figure on a line of its standard output::

    @bench {"what": ..., "size": ..., "seconds": ..., "peak_mb": ... or null,
            "peak_kind": "rss" | "tracemalloc" (optional), "baseline": ..., "baseline_seconds":
            ..., "target_ok": true | false | null}

with the baseline measured in the same run. The table shows each figure with its ratio to the
baseline (time / baseline time: below 1 the measured code is faster than the baseline). Where a
figure has no peak of its own, the script's peak resident memory (``ru_maxrss`` of the whole
process tree, from ``wait4``) is shown instead, marked ``*``. A script without ``@bench`` lines
gets one row with its wall time and peak. The full output of every script is kept in
``--logs`` (default: a temporary folder, named at the end).

Exits with status 1 if a script fails or a figure misses its target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
MARK = "@bench "
POLL_S = 0.2


@dataclass
class ScriptRun:
    name: str
    args: list[str]
    seconds: float = 0.0
    peak_mb: float = 0.0
    status: int | None = None
    figures: list[dict] = field(default_factory=list)
    log: Path | None = None


def discover(only: list[str] | None) -> list[Path]:
    """``benchmarks/bench_*.py`` in name order, optionally only those whose name has a word of
    ``only`` (``import`` matches ``bench_import.py``)."""
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if any(word in s.stem for word in only)]
    return scripts


def options_of(script: Path, quick: bool) -> list[str]:
    """``--json`` and ``--quick`` where the script's argument parser knows them."""
    source = script.read_text(encoding="utf-8")
    found = []
    if re.search(r"""["']--json["']""", source):
        found.append("--json")
    if quick and re.search(r"""["']--quick["']""", source):
        found.append("--quick")
    return found


def run_script(script: Path, quick: bool, logs: Path, timeout: float) -> ScriptRun:
    run = ScriptRun(script.name, options_of(script, quick), log=logs / f"{script.stem}.log")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    with run.log.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(script), *run.args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a timeout ends the script and what it started
        )
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                os.killpg(process.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(process.pid, 0)
                log.write(f"\nrun_all: stopped after {timeout:.0f} s\n")
                break
            time.sleep(POLL_S)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    run.seconds = time.perf_counter() - start
    run.peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    run.status = process.returncode
    for line in run.log.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(MARK):
            try:
                run.figures.append(json.loads(line[len(MARK) :]))
            except json.JSONDecodeError:
                continue
    return run


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 0.001 else f"{value:.2g}"


def _ratio(seconds: float | None, baseline: float | None) -> str:
    if not seconds or not baseline:
        return "–"
    ratio = seconds / baseline
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.3g}×"


def _target(ok: object) -> str:
    return {True: "yes", False: "**no**"}.get(ok, "–")  # type: ignore[arg-type]


def table(runs: list[ScriptRun]) -> str:
    header = "| script | what | size | time s | peak MB | baseline | baseline s | ratio | target |"
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        script = run.name.removeprefix("bench_").removesuffix(".py")
        if run.status != 0 and not run.figures:
            lines.append(
                f"| {script} | **failed** (exit {run.status}, see {run.log}) | | "
                f"{run.seconds:.0f} | {run.peak_mb:.0f}* | | | | **no** |"
            )
            continue
        if not run.figures:
            lines.append(
                f"| {script} | whole script (no @bench figures) | | {run.seconds:.0f} | "
                f"{run.peak_mb:.0f}* | – | – | – | {'yes' if run.status == 0 else '**no**'} |"
            )
            continue
        for figure in run.figures:
            peak = figure.get("peak_mb")
            if peak is None:
                shown = f"{run.peak_mb:.0f}*"
            elif figure.get("peak_kind") == "tracemalloc":
                shown = f"{peak:.1f} (traced)"
            else:
                shown = f"{peak:.0f}"
            lines.append(
                f"| {script} | {figure.get('what', '?')} | {figure.get('size', '')} | "
                f"{_seconds(figure.get('seconds'))} | {shown} | {figure.get('baseline') or '–'} "
                f"| {_seconds(figure.get('baseline_seconds'))} | "
                f"{_ratio(figure.get('seconds'), figure.get('baseline_seconds'))} | "
                f"{_target(figure.get('target_ok'))} |"
            )
        if run.status != 0:
            failed = f"**exit status {run.status}** (see {run.log})"
            lines.append(f"| {script} | {failed} | | | | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (scripts' --quick)")
    parser.add_argument("--only", nargs="*", help="only scripts whose name contains a word")
    parser.add_argument("--logs", type=Path, help="folder for each script's full output")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per script")
    args = parser.parse_args(argv)
    logs = args.logs or Path(tempfile.mkdtemp(prefix="skolbib-bench-"))
    logs.mkdir(parents=True, exist_ok=True)
    scripts = discover(args.only)
    if not scripts:
        print("no benchmark scripts found")
        return 1
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}; {'quick' if args.quick else 'full'} run of "
        f"{len(scripts)} scripts"
    )
    runs = []
    started = time.perf_counter()
    for script in scripts:
        run = run_script(script, args.quick, logs, args.timeout)
        runs.append(run)
        print(
            f"  {script.name} {' '.join(run.args)}: exit {run.status}, {run.seconds:.0f} s, "
            f"peak {run.peak_mb:.0f} MB, {len(run.figures)} figures",
            flush=True,
        )
    print()
    print(table(runs))
    print()
    print(
        "time: best or median as each script states; ratio = time / baseline time (below 1: "
        "faster than the baseline); * the script's peak resident memory (whole process tree); "
        "(traced) tracemalloc peak of the measured call."
    )
    print(
        f"total {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f} "
        f"at the end; logs in {logs}"
    )
    failed = [r.name for r in runs if r.status != 0]
    missed = [
        f"{r.name}: {f.get('what')}" for r in runs for f in r.figures if f.get("target_ok") is False
    ]
    if failed or missed:
        print("failed: " + "; ".join(failed + missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
