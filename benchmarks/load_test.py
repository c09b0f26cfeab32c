"""Server load: many sessions on one ``streamlit run`` at once.

Run from the project root, in the project venv::

    python benchmarks/load_test.py                      # 25 sessions for 60 s
    python benchmarks/load_test.py --sessions 10 --duration 30
    python benchmarks/load_test.py --database-url postgresql+psycopg://...   # an existing DB

Without ``--database-url`` it builds the demo database (migrations + the demo generator) in a
temporary folder. It starts ``streamlit run streamlit_app.py`` headless on a free localhost port
(signed in automatically as the demo project leader) and connects the sessions to the app's
websocket (``/_stcore/stream``), each speaking Streamlit's own protocol as the browser does: a
``BackMsg`` asks for a script run of a page with the changed widget's state, ``ForwardMsg``s
come back until the run has finished. No browser renders anything, so on a small machine the
load generator does not compete with the server for the CPU (the browser test,
``tests/e2e``, covers rendering). After a warm-up session, every session goes round, until the
time is up:

1. on Översikt, the "Visa" switch (municipality / county view);
2. Jämförelse, then its "En stapel per" switch (library / school unit);
3. Scenarier, then "Kör scenariot" (the reallocation optimiser on the demo municipality);
4. Översikt again.

with ``--think`` seconds (default 1, varied ±50 %) between steps and a staggered start. Only
localhost is contacted, and the run stops by itself after ``--duration`` seconds (plus the steps
under way, each bounded by ``--step-timeout``).

Measured:

* **rerun latency**: from sending the request to the end of the script run (a run the app
  restarts with ``st.rerun`` is followed to the end of the next). p50, p95 and max, overall and
  per step;
* **errors**: exception elements, ``st.error`` boxes, unknown pages, compile errors, broken
  sessions and steps without an answer in time. There must be none;
* **memory per session**: the server's resident memory (``/proc/PID/status`` VmRSS) after the
  warm-up (modules imported, caches filled) and with every session open, the difference divided
  by the number of sessions; and the peak, sampled every second;
* **server CPU**: the server process's CPU seconds during the load, per rerun.

Prints a table; ``--json`` also prints one ``@bench`` JSON line. Exit status 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = 20_251_201


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    steps: int = 0


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def build_demo(folder: Path) -> str:
    from sqlmodel import Session

    from inventory import db
    from inventory.demo import load_demo

    url = f"sqlite:///{folder / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
    engine.dispose()
    return url


def start_server(database: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "SKOLBIB_DATABASE_URL": database,
        "SKOLBIB_DEMO_USER": "projektledare",
        "PYTHONPATH": str(ROOT),
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "streamlit_app.py",
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"streamlit did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    return process, url


# --------------------------------------------------------------------------- sessions


class StreamlitClient:
    """One Streamlit session over the app's websocket, as the browser speaks it.

    A rerun sends a ``BackMsg`` (the page and the changed widget's state, as the browser sends
    them) and reads ``ForwardMsg``s until the script run finishes; a run that ends early because
    the app asked for another one (``st.rerun``) is followed to the end of the next.
    """

    def __init__(self, ws) -> None:
        self.ws = ws
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page = ""
        self.widgets: dict[str, object] = {}  # label -> element proto (radio, button)
        self.values: dict[str, int] = {}  # radio label -> index last sent

    async def rerun(self, widget=None) -> list[str]:
        """Run the current page once; the problems it showed (exceptions, error boxes)."""
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = self.pages.get(self.page, "")
        if widget is not None:
            state.widget_states.widgets.append(widget)
        await self.ws.send(message.SerializeToString())
        problems: list[str] = []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self.ws.recv())
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                pages = forward.navigation.app_pages
                self.pages = {p.url_pathname: p.page_script_hash for p in pages}
            elif kind == "page_not_found":
                problems.append(f"page not found: {forward.page_not_found.page_name}")
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "exception":
                    problems.append(f"exception: {element.exception.message[:200]}")
                elif shown == "alert" and element.alert.format == Alert.ERROR:
                    problems.append(f"error box: {element.alert.body[:200]}")
                elif shown in ("radio", "button"):
                    self.widgets[getattr(element, shown).label] = getattr(element, shown)
            elif kind == "script_finished":
                status = forward.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the app reruns at once; wait for that run's end
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    problems.append("compile error")
                return problems

    def toggle(self, label: str):
        """The state of the radio ``label`` switched to its other option."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        radio = self.widgets[label]
        current = self.values.get(label, radio.default)
        chosen = (current + 1) % len(radio.options)
        self.values[label] = chosen
        return WidgetState(id=radio.id, string_value=radio.options[chosen])  # the shown text

    def click(self, label: str):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return WidgetState(id=self.widgets[label].id, trigger_value=True)


#: (step, page to be on, widget action): a session starts on Översikt
STEPS = (
    ("Översikt: view switch", "", ("toggle", "Visa")),
    ("Jämförelse: open", "jamforelse", None),
    ("Jämförelse: bars per", "jamforelse", ("toggle", "En stapel per")),
    ("Scenarier: open", "scenarier", None),
    ("Scenarier: run", "scenarier", ("click", "Kör scenariot")),
    ("Översikt: open", "", None),
)


async def session(
    url: str, number: int, deadline: float, args, results: Results, min_steps: int = 0
) -> None:
    import websockets

    label = f"session {number}"
    rng = random.Random(SEED + number)
    await asyncio.sleep(number * args.stagger)
    stream = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(
            stream, subprotocols=["streamlit"], origin=url, max_size=None, ping_interval=None
        ) as ws:
            client = StreamlitClient(ws)
            start = time.perf_counter()
            problems = await asyncio.wait_for(client.rerun(), args.step_timeout)
            results.first_loads.append(time.perf_counter() - start)
            results.errors += [f"{label}: first load: {p}" for p in problems]
            position = 0
            while time.monotonic() < deadline or position < min_steps:
                name, page, action = STEPS[position % len(STEPS)]
                position += 1
                client.page = page
                widget = None
                if action is not None:
                    kind, widget_label = action
                    widget = getattr(client, kind)(widget_label)
                start = time.perf_counter()
                try:
                    problems = await asyncio.wait_for(client.rerun(widget), args.step_timeout)
                except TimeoutError:
                    results.errors.append(f"{label}: {name}: no answer in {args.step_timeout} s")
                    return
                finally:
                    results.steps += 1
                results.latencies[name].append(time.perf_counter() - start)
                results.errors += [f"{label}: {name}: {p}" for p in problems]
                await asyncio.sleep(args.think * (0.5 + rng.random()))
    except Exception as exc:  # a session that breaks is an error, the others go on
        results.errors.append(f"{label}: {type(exc).__name__}: {exc}"[:300])


async def drive(url: str, pid: int, args) -> tuple[Results, dict[str, float]]:
    results = Results()
    memory: dict[str, float] = {}
    # warm-up: one session imports the page modules and fills the caches, then closes
    warm = Results()
    warm_args = argparse.Namespace(**{**vars(args), "think": 0.0, "stagger": 0.0})
    await session(url, 0, time.monotonic(), warm_args, warm, min_steps=len(STEPS))
    if warm.errors:
        raise SystemExit("the warm-up session failed:\n" + "\n".join(warm.errors[:10]))
    await asyncio.sleep(2)
    memory["before"] = rss_mb(pid)
    cpu_before = cpu_seconds(pid)
    peak = memory["before"]
    deadline = time.monotonic() + args.duration
    tasks = [
        asyncio.create_task(session(url, n, deadline, args, results)) for n in range(args.sessions)
    ]
    while not all(task.done() for task in tasks):
        peak = max(peak, rss_mb(pid))
        if time.monotonic() >= deadline and "open" not in memory:
            memory["open"] = rss_mb(pid)  # every session still connected
        await asyncio.sleep(1)
    memory["after"] = memory.get("open", rss_mb(pid))
    memory["peak"] = max(peak, memory["after"])
    memory["server_cpu_s"] = cpu_seconds(pid) - cpu_before
    return results, memory


# --------------------------------------------------------------------------- report


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (the smallest value with at least p % at or below it)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def report(results: Results, memory: dict[str, float], args, seconds: float) -> dict:
    every = [v for values in results.latencies.values() for v in values]
    summary = {
        "sessions": args.sessions,
        "duration_s": args.duration,
        "wall_s": round(seconds, 1),
        "steps": results.steps,
        "reruns_measured": len(every),
        "p50_s": statistics.median(every) if every else None,
        "p95_s": percentile(every, 95) if every else None,
        "max_s": max(every) if every else None,
        "first_load_p50_s": statistics.median(results.first_loads) if results.first_loads else None,
        "errors": len(results.errors),
        "rss_before_mb": memory["before"],
        "rss_after_mb": memory["after"],
        "rss_peak_mb": memory["peak"],
        "mb_per_session": (memory["after"] - memory["before"]) / args.sessions,
        "server_cpu_s": memory["server_cpu_s"],
        "server_cpu_s_per_rerun": memory["server_cpu_s"] / len(every) if every else None,
    }
    print(
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs; {args.sessions} sessions "
        f"for {args.duration:g} s (think {args.think:g} s), load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print()
    print("| step | reruns | p50 s | p95 s | max s |")
    print("|---|---|---|---|---|")
    for name, values in results.latencies.items():
        if not values:
            continue
        print(
            f"| {name} | {len(values)} | {statistics.median(values):.2f} | "
            f"{percentile(values, 95):.2f} | {max(values):.2f} |"
        )
    if every:
        print(
            f"| **all** | {len(every)} | {summary['p50_s']:.2f} | {summary['p95_s']:.2f} | "
            f"{summary['max_s']:.2f} |"
        )
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| first page load, median | {summary['first_load_p50_s'] or float('nan'):.1f} s |")
    print(f"| errors | {summary['errors']} |")
    print(f"| server RSS after warm-up | {memory['before']:.0f} MB |")
    print(f"| server RSS, all sessions open | {memory['after']:.0f} MB |")
    print(f"| server RSS, peak | {memory['peak']:.0f} MB |")
    print(f"| memory per session | {summary['mb_per_session']:.1f} MB |")
    if every:
        print(
            f"| server CPU during the load | {memory['server_cpu_s']:.0f} s, "
            f"{summary['server_cpu_s_per_rerun']:.2f} s per rerun |"
        )
    for line in results.errors[:20]:
        print(f"error: {line}")
    if args.json:
        print("@bench " + json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=25)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between steps")
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between starts")
    parser.add_argument("--step-timeout", type=float, default=180.0, help="seconds per step")
    parser.add_argument("--database-url", help="an existing database (default: build the demo)")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="skolbib-load-") as folder:
        database = args.database_url or build_demo(Path(folder))
        server, url = start_server(database, Path(folder) / "streamlit.log")
        try:
            started = time.perf_counter()
            results, memory = asyncio.run(drive(url, server.pid, args))
            summary = report(results, memory, args, time.perf_counter() - started)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0 if summary["errors"] == 0 and summary["reruns_measured"] else 1


if __name__ == "__main__":
    sys.exit(main())
