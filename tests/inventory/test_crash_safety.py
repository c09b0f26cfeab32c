"""An import killed at any moment leaves the database as it was or fully imported, never between.

Skolverket's national pupils file (4,665 school units, ../shared/data) is imported with the
command line (``python -m app.cli import pupils FILE --user importer``) in a subprocess that gets
SIGKILL after a delay. Each run starts from a fresh copy of the same empty, migrated database
(an SQLite file or a new PostgreSQL schema), so a completed import has the same ids every time.

One uninterrupted reference run gives the "fully imported" fingerprint, its duration and the
window in which it held a write transaction open (sampled with a probe: on SQLite whether
``BEGIN IMMEDIATE`` is refused, on PostgreSQL whether another backend of the database has a
transaction id). The kill delays are spread evenly (stratified, seeded jitter) over that window
and a little around it. After every kill the database must equal one of the two fingerprints; the
test also demands that at least one kill landed while the write transaction was open, so the
kills were not all before or after the work. Finally the import is run to the end on the last
killed database: nothing was left locked or damaged.

Fingerprints cover every table's full content, ordered by primary key, except date-time columns
(the importer account's ``created_at`` and the audit entry's ``at`` differ between runs).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from inventory import db
from tests.conftest import shared_file
from tests.helpers import ensure_cli_importer

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_250_901
RUNS = 6
MAX_RUNS = 10
PROBE_INTERVAL_S = 0.03
RUN_TIMEOUT_S = 300


def content_fingerprint(url: str) -> str:
    """Every model table, ordered by primary key, without its date-time columns."""
    digest = hashlib.sha256()
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                columns = [c for c in table.columns if not isinstance(c.type, sa.DateTime)]
                query = sa.select(*columns).order_by(*table.primary_key.columns)
                rows = connection.execute(query).all()
                digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
    finally:
        engine.dispose()
    return digest.hexdigest()


NATURAL_CONTENT = (
    "SELECT code, name, county_code, county FROM municipality ORDER BY code",
    "SELECT s.school_unit_code, s.name, m.code, s.organiser_type, s.organiser FROM school s"
    " JOIN municipality m ON m.id = s.municipality_id ORDER BY s.school_unit_code",
    "SELECT s.school_unit_code, y.year, y.pupils_preschool_class, y.pupils_grades_1_9,"
    " y.pupils_grade_1, y.pupils_grade_9, y.share_foreign_background,"
    " y.share_parents_post_secondary FROM school_year y JOIN school s ON s.id = y.school_id"
    " ORDER BY s.school_unit_code, y.year",
    "SELECT username, action, entity FROM audit_entry ORDER BY id",
)


def natural_content(url: str) -> list[list[tuple]]:
    """The imported facts by their natural keys (ids aside: PostgreSQL does not give back the
    sequence numbers a killed transaction drew, so a later import gets other ids)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return [[tuple(r) for r in connection.exec_driver_sql(q)] for q in NATURAL_CONTENT]
    finally:
        engine.dispose()


def row_counts(url: str, *names: str) -> dict[str, int]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: connection.exec_driver_sql(f'SELECT COUNT(*) FROM "{name}"').scalar()
                for name in names
            }
    finally:
        engine.dispose()


class Databases:
    """Fresh copies of one empty, migrated database with the importer account."""

    def __init__(self, database_url: str, folder: Path) -> None:
        self.url = make_url(database_url)
        self.folder = folder
        self.backend = self.url.get_backend_name()
        self.schemas: list[str] = []
        if self.backend == "sqlite":
            self.template = folder / "template.db"
            self._prepare(f"sqlite:///{self.template}")
            engine = db.make_engine(f"sqlite:///{self.template}")
            with engine.connect() as connection:  # fold the WAL into the file before copying
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
        else:
            base = self.url.difference_update_query(["options"])
            self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")

    @staticmethod
    def _prepare(url: str) -> None:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        ensure_cli_importer(url)

    def fresh(self) -> str:
        if self.backend == "sqlite":
            path = self.folder / f"run-{uuid.uuid4().hex[:8]}.db"
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        schema = f"crash_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        url = self.url.update_query_dict({"options": f"-csearch_path={schema}"})
        text = url.render_as_string(hide_password=False)
        self._prepare(text)
        return text

    def writer_probe(self, url: str) -> Callable[[], bool]:
        """Whether another connection holds a write transaction on ``url`` right now."""
        if self.backend == "sqlite":
            path = make_url(url).database

            def sqlite_probe() -> bool:
                connection = sqlite3.connect(path, timeout=0, isolation_level=None)
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    connection.execute("ROLLBACK")
                    return False
                except sqlite3.OperationalError:  # database is locked: a writer is in
                    return True
                finally:
                    connection.close()

            return sqlite_probe
        schema = make_url(url).query["options"].removeprefix("-csearch_path=")

        def postgres_probe() -> bool:
            with self.admin.connect() as connection:
                return bool(
                    connection.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                            " JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " JOIN pg_stat_activity a ON a.pid = l.pid"
                            " WHERE n.nspname = :schema AND l.mode = 'RowExclusiveLock'"
                            " AND a.backend_xid IS NOT NULL AND a.pid <> pg_backend_pid()"
                        ),
                        {"schema": schema},
                    ).scalar()
                )

        return postgres_probe

    def discard(self, url: str) -> None:
        """Remove a copy that is no longer needed."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{make_url(url).database}{suffix}").unlink(missing_ok=True)
            return
        schema = make_url(url).query["options"].removeprefix("-csearch_path=")
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.schemas.remove(schema)

    def close(self) -> None:
        if self.backend == "sqlite":
            return
        with self.admin.connect() as connection:
            for schema in self.schemas:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.admin.dispose()


@pytest.fixture
def databases(database_url: str, tmp_path: Path) -> Iterator[Databases]:
    found = Databases(database_url, tmp_path)
    try:
        yield found
    finally:
        found.close()


def start_import(pupils_file: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "import",
            "pupils",
            str(pupils_file),
            "--database-url",
            url,
            "--user",
            "importer",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def reference_run(pupils_file: Path, url: str, probe: Callable[[], bool]) -> tuple[float, tuple]:
    """Import to the end while sampling the probe; (duration, (first, last) writing time)."""
    start = time.monotonic()
    process = start_import(pupils_file, url)
    writing = []
    while process.poll() is None:
        if time.monotonic() - start > RUN_TIMEOUT_S:
            process.kill()
            pytest.fail("the reference import did not finish in time")
        if probe():
            writing.append(time.monotonic() - start)
        time.sleep(PROBE_INTERVAL_S)
    duration = time.monotonic() - start
    assert process.returncode == 0, process.stderr.read().decode()
    assert writing, "the probe never saw the import's write transaction"
    return duration, (writing[0], writing[-1])


def kill_delays(window: tuple[float, float], duration: float, runs: int) -> list[float]:
    """Stratified delays: one in each of ``runs`` equal slices of the window (widened a little
    before, and halfway to the end of the run after), at a seeded random place in its slice."""
    first, last = window
    low = 0.8 * first
    high = last + 0.5 * max(duration - last, 0.0)
    rng = random.Random(SEED)
    slices = [low + (high - low) * (i + rng.random()) / runs for i in range(runs)]
    rng.shuffle(slices)
    return slices


def test_a_killed_import_leaves_nothing_or_everything(databases: Databases) -> None:
    pupils_file = shared_file("skolverket-raw", "grundskola_elever_per_arskurs_2023-24.csv")
    before_url = databases.fresh()
    before = content_fingerprint(before_url)

    reference_url = databases.fresh()
    duration, window = reference_run(
        pupils_file, reference_url, databases.writer_probe(reference_url)
    )
    complete = content_fingerprint(reference_url)
    imported = row_counts(reference_url, "municipality", "school", "school_year", "audit_entry")
    # independent: 290 municipalities and 4,665 school units are in the file; one audit entry
    assert imported == {
        "municipality": 290,
        "school": 4665,
        "school_year": 4665,
        "audit_entry": 1,
    }
    assert complete != before

    outcomes: list[tuple[float, bool, str]] = []
    delays = kill_delays(window, duration, RUNS)
    extra = kill_delays(window, duration, MAX_RUNS - RUNS)
    url = before_url
    while delays:
        delay = delays.pop()
        if url != before_url:
            databases.discard(url)
        url = databases.fresh()
        probe = databases.writer_probe(url)
        process = start_import(pupils_file, url)
        time.sleep(delay)
        in_transaction = probe()
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        state = content_fingerprint(url)
        if state == before:
            outcome = "before"
        elif state == complete:
            outcome = "complete"
        else:
            counts = row_counts(url, "municipality", "school", "school_year", "audit_entry")
            pytest.fail(f"killed after {delay:.2f} s: a partial import is visible: {counts}")
        if finished:
            assert outcome == "complete", "the import ended by itself without importing"
        outcomes.append((delay, in_transaction, outcome))
        mid_write = sum(1 for _, during, _ in outcomes if during)
        if not delays and mid_write == 0 and extra:  # all kills missed the write: try more
            delays, extra = extra, []

    summary = ", ".join(f"{d:.1f}s{'*' if during else ''}→{o}" for d, during, o in sorted(outcomes))
    assert any(during for _, during, _ in outcomes), (
        f"no kill landed inside the write transaction (window {window[0]:.1f}–{window[1]:.1f} s "
        f"of {duration:.1f} s): {summary}"
    )

    # the last killed database is not locked or damaged: the import runs to the end on it
    process = start_import(pupils_file, url)
    assert process.wait(timeout=RUN_TIMEOUT_S) == 0, process.stderr.read().decode()
    assert natural_content(url) == natural_content(reference_url)
