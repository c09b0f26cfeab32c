"""Import speed and memory: Skolverket's pupil file and a 1,000,000-item catalogue.

Run from the project root, in the project venv::

    python benchmarks/bench_import.py [--items N] [--repeat N]

Tasks, each in a subprocess of its own so that peak memory (``ru_maxrss``: the whole process,
interpreter and libraries included) never mixes between tasks:

1. ``inventory.importers.pupils.import_pupils`` on the real Skolverket file
   ``../shared/data/skolverket-raw/grundskola_elever_per_arskurs_2023-24.csv`` into a fresh
   SQLite database (skipped, with the reason, if the file or the importer is missing);
2. ``inventory.importers.catalogue.import_catalogue`` of a deterministic catalogue CSV
   (1,000,000 items by default; Swedish headers, ``;``, SAB and DDC classes, several languages
   and media types, ~1 % without year or class, shuffled barcodes) into a fresh SQLite file;
3. the same catalogue imported again into that database (nothing changes: the diff path).

Each import is compared with a plain ``pandas.read_csv`` of the same file in the same run (its
own subprocess too). Time is the best of ``--repeat`` runs of the import call plus the commit
(building the schema and the library row is not timed), with its CPU seconds (user + system,
all threads); peak MB is the highest ``ru_maxrss`` over the runs. The load average is printed:
on a shared machine, compare runs at similar load. Target (the issue): the catalogue import in
<= 10 s and <= 1.5 GB peak on a 2-core machine. Exits with status 1 if the target is missed.

``--quick`` imports 100,000 items once; ``--json`` also prints one ``@bench`` line per task for
``benchmarks/run_all.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKOLVERKET = (
    ROOT.parent / "shared" / "data" / "skolverket-raw" / "grundskola_elever_per_arskurs_2023-24.csv"
)
SEED = 20_250_701
N_ITEMS = 1_000_000
YEAR = 2025
TARGET_SECONDS = 10.0
TARGET_MB = 1536.0


# --------------------------------------------------------------------------- data


def generate_catalogue(path: Path, n: int = N_ITEMS, seed: int = SEED) -> None:
    """A deterministic library-system export with ``n`` items."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    sab = np.array(
        ["Hc", "uHc", "uHcf", "uHcg", "Hce", "Ab", "Dg", "Ea", "Ga", "Kc", "Ne", "Oc", "Pb", "Ub"],
        dtype=object,
    )
    ddc = np.array(
        ["839.73", "823", "004", "133", "306", "363.7", "523", "567.9", "599", "612", "948.5"],
        dtype=object,
    )
    classes = np.where(
        rng.random(n) < 0.7, sab[rng.integers(0, len(sab), n)], ddc[rng.integers(0, len(ddc), n)]
    )
    classes[rng.random(n) < 0.01] = ""
    ages = np.minimum(np.floor(rng.exponential(12.0, n)), 80).astype(int)
    years = (YEAR - ages).astype(str).astype(object)
    years[rng.random(n) < 0.01] = ""
    languages = np.array(["swe"] * 12 + ["eng", "ara", "som", "fin"], dtype=object)
    media = np.array(["bok"] * 16 + ["ljudbok", "e-bok", "lättläst"], dtype=object)
    first = np.array(["Den hemliga", "Det stora", "Resan till", "Sagan om", "Allt om", "Fakta om"])
    second = np.array(["skogen", "havet", "staden", "draken", "rymden", "kroppen", "vikingarna"])
    titles = np.char.add(
        np.char.add(first[rng.integers(0, len(first), n)], " "),
        second[rng.integers(0, len(second), n)],
    )
    loans = np.datetime64("2025-11-30") - rng.integers(0, 3650, n).astype("timedelta64[D]")
    loans = loans.astype(str).astype(object)
    loans[rng.random(n) < 0.2] = ""
    barcodes = (10_000_000 + rng.permutation(n)).astype(str)
    pd.DataFrame(
        {
            "Streckkod": barcodes,
            "Titel": titles,
            "Utgivningsår": years,
            "Klassifikation": classes,
            "Språk": languages[rng.integers(0, len(languages), n)],
            "Medietyp": media[rng.integers(0, len(media), n)],
            "Senaste lån": loans,
        }
    ).to_csv(path, sep=";", index=False)


# --------------------------------------------------------------------------- child tasks


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu() -> float:
    """CPU seconds of this process so far, every thread (pyarrow reads in parallel)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fresh_engine(db: Path):
    from sqlmodel import SQLModel

    from inventory.db import make_engine

    engine = make_engine(f"sqlite:///{db}")
    SQLModel.metadata.create_all(engine)
    return engine


def _task_pandas(file: Path, skiprows: int) -> dict:
    import pandas as pd

    start, cpu = time.perf_counter(), _cpu()
    frame = pd.read_csv(file, sep=";", skiprows=skiprows, encoding="utf-8-sig")
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu, "rows": len(frame)}


def _task_pupils(file: Path, db: Path) -> dict:
    try:
        from inventory.importers.pupils import import_pupils
    except ImportError as exc:
        return {"skipped": f"pupils importer not available ({exc})"}
    from sqlmodel import Session

    engine = _fresh_engine(db)
    with Session(engine) as session:
        start, cpu = time.perf_counter(), _cpu()
        report = import_pupils(session, file)
        session.commit()
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": report.notes.get("schools")}


def _task_catalogue(file: Path, db: Path, fresh: bool) -> dict:
    import sqlalchemy as sa
    from sqlmodel import Session

    from inventory import writes
    from inventory.importers.catalogue import import_catalogue
    from inventory.models import Library, Municipality

    if fresh:
        engine = _fresh_engine(db)
        with Session(engine) as session:
            municipality = writes.add(
                session,
                Municipality,
                {"code": "9911", "name": "Exempelby", "county_code": "99", "county": "Testlän"},
            )
            writes.add(
                session,
                Library,
                {"name": "Ekbiblioteket", "municipality_id": municipality.id, "kind": "own"},
            )
            session.commit()
    else:
        from inventory.db import make_engine

        engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as session:
        library_id = session.execute(sa.select(Library.id)).scalar_one()
        start, cpu = time.perf_counter(), _cpu()
        report = import_catalogue(session, file, library=library_id, year=YEAR)
        session.commit()
        seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": report.notes["items"],
        "created": report.created["catalogue_item"],
        "unchanged": report.unchanged["catalogue_item"],
    }


def child(args: argparse.Namespace) -> None:
    file, db = Path(args.file), Path(args.db) if args.db else None
    if args.task == "pandas":
        result = _task_pandas(file, args.skiprows)
    elif args.task == "pupils":
        result = _task_pupils(file, db)
    else:
        result = _task_catalogue(file, db, fresh=args.task == "catalogue")
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


# --------------------------------------------------------------------------- parent


def run_child(*args: str) -> dict:
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"task {args} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    done = [r for r in runs if "skipped" not in r]
    if not done:
        return runs[0]
    fastest = min(done, key=lambda r: r["seconds"])
    return {**fastest, "peak_mb": max(r["peak_mb"] for r in done)}


def remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def measure(task: str, file: Path, db: Path, repeat: int, skiprows: int = 0) -> tuple[dict, dict]:
    runs = []
    for _ in range(repeat):
        if task != "catalogue-again":
            remove_database(db)
        runs.append(run_child("--task", task, "--file", str(file), "--db", str(db)))
    baseline = best(
        [
            run_child("--task", "pandas", "--file", str(file), "--skiprows", str(skiprows))
            for _ in range(repeat)
        ]
    )
    return best(runs), baseline


def table(rows: list[tuple[str, dict, dict | None]]) -> str:
    header = ("task", "seconds", "CPU s", "peak MB", "baseline s", "baseline MB", "ratio")
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for name, result, baseline in rows:
        if "skipped" in result:
            lines.append(f"{name} | skipped: {result['skipped']} | | | | |")
            continue
        ratio = result["seconds"] / baseline["seconds"] if baseline else float("nan")
        lines.append(
            f"{name} | {result['seconds']:.2f} | {result['cpu']:.2f} | {result['peak_mb']:.0f} | "
            f"{baseline['seconds']:.2f} | {baseline['peak_mb']:.0f} | {ratio:.1f}×"
        )
    return "\n".join("| " + line + " |" for line in lines)


def emit(**figure: object) -> None:
    """One machine-readable line for ``benchmarks/run_all.py``."""
    print("@bench " + json.dumps(figure), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=N_ITEMS, help="catalogue items")
    parser.add_argument("--repeat", type=int, default=2, help="runs per task (best time kept)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--skiprows", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="100,000 items, one run")
    parser.add_argument("--json", action="store_true", help="also print @bench JSON lines")
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if args.quick:
        args.items, args.repeat = min(args.items, 100_000), 1

    import numpy as np
    import pandas as pd
    import pyarrow

    print(
        f"Python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"pyarrow {pyarrow.__version__}, SQLite {sqlite3.sqlite_version}; {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rows: list[tuple[str, dict, dict | None]] = []
    with tempfile.TemporaryDirectory(prefix="skolbib-bench-") as folder:
        tmp = Path(folder)
        if SKOLVERKET.exists():
            result, baseline = measure(
                "pupils", SKOLVERKET, tmp / "pupils.db", args.repeat, skiprows=5
            )
            rows.append(("pupils: Skolverket grundskola 2023/24 (real file)", result, baseline))
        else:
            rows.append(("pupils", {"skipped": f"{SKOLVERKET} not present"}, None))

        csv = tmp / "catalogue.csv"
        start = time.perf_counter()
        generate_catalogue(csv, args.items)
        size_mb = csv.stat().st_size / 1e6
        print(
            f"generated {args.items:,} items ({size_mb:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        db = tmp / "catalogue.db"
        result, baseline = measure("catalogue", csv, db, args.repeat)
        rows.append((f"catalogue CSV, {args.items:,} items (new)", result, baseline))
        catalogue = result
        again, baseline = measure("catalogue-again", csv, db, 1)
        rows.append((f"catalogue CSV, {args.items:,} items (again, unchanged)", again, baseline))

    print(table(rows))
    if args.json:
        for name, result, baseline in rows:
            if "skipped" in result:
                continue
            pupils = name.startswith("pupils")
            emit(
                what=(
                    "import pupils (Skolverket file)"
                    if pupils
                    else f"import catalogue CSV ({name.rpartition('(')[2].rstrip(')')})"
                ),
                size=f"{result['rows']:,} school units" if pupils else f"{args.items:,} items",
                seconds=result["seconds"],
                peak_mb=result["peak_mb"],
                peak_kind="rss",
                baseline="pandas.read_csv",
                baseline_seconds=baseline["seconds"],
                target_ok=(
                    result["seconds"] <= TARGET_SECONDS and result["peak_mb"] <= TARGET_MB
                    if result is catalogue
                    else None
                ),
            )
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (on {os.cpu_count()} cores)")
    within = catalogue["seconds"] <= TARGET_SECONDS and catalogue["peak_mb"] <= TARGET_MB
    verdict = "holds" if within else "MISSED"
    print(
        f"target (catalogue <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB peak): {verdict} "
        f"({catalogue['seconds']:.2f} s, {catalogue['peak_mb']:.0f} MB)"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
