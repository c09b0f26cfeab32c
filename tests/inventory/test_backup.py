"""Backup and restore: a portable archive, exact round trips between SQLite and PostgreSQL, and
refusals that change nothing.

The source is the demo database plus rows that exercise every kind of value: a scenario with
JSON parameters and a child version (self-reference), a reply to a comment, awkward text,
floats that only survive when written exactly, timestamps with microseconds. Content is compared
with a plain-SQL reader (``SELECT * ... ORDER BY`` the primary key through the driver, values
normalised by the models' column types here, not by :mod:`inventory.backup`), and the final
SQLite copy with :func:`tests.helpers.database_fingerprint` of the source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel

from app.cli import main
from inventory import backup, db, writes
from inventory.demo import load_demo
from inventory.models import Comment, LibraryYear, Municipality, Scenario, User
from tests.helpers import database_fingerprint

AWKWARD_TEXT = "Räcker 'det'?\n\"Ja\"; DROP TABLE school; -- 😀 \\ \t"
#: 0.1 + 0.2 is 0.30000000000000004: a float written with fewer digits would not come back equal
TRICKY_AREA = 0.1 + 0.2


# --------------------------------------------------------------------------- the source


@pytest.fixture(scope="module")
def source_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An SQLite demo database (migrated to head) with the extra rows described above."""
    url = f"sqlite:///{tmp_path_factory.mktemp('backup-source') / 'source.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with Session(engine) as session:
        load_demo(session)
        author = session.execute(sa.select(User).order_by(User.id)).scalars().first()
        first = writes.add(
            session,
            Scenario,
            {
                "name": "Omfördelning",
                "model": "reallocate",
                "parameters": {"need_weighted": True, "floor": 1 / 3, "hours": {"12": 5.5}},
                "base_year": 2025,
                "author_id": author.id,
                "objective": 2.0 / 7.0,
                "summary_sv": AWKWARD_TEXT,
                "created_at": dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC),
            },
        )
        session.flush()
        second = writes.add(
            session,
            Scenario,
            {
                "name": "Omfördelning",
                "model": "reallocate",
                "parameters": {},
                "base_year": 2025,
                "version": 2,
                "parent_id": first.id,
                "author_id": author.id,
            },
        )
        session.flush()
        question = writes.add(
            session,
            Comment,
            {
                "scenario_id": second.id,
                "author_id": author.id,
                "author_role": author.role,
                "text": AWKWARD_TEXT,
            },
        )
        session.flush()
        writes.add(
            session,
            Comment,
            {
                "scenario_id": second.id,
                "author_id": author.id,
                "author_role": author.role,
                "text": "svar",
                "reply_to_id": question.id,
            },
        )
        library_year = session.execute(sa.select(LibraryYear).order_by(LibraryYear.id)).scalar()
        library_year.area_m2 = TRICKY_AREA
        library_year.hours_other = 5e-324  # the smallest positive float
        session.add(library_year)
        session.commit()
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def archive(source_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backup-archive") / "skolbib-backup.zip"
    assert main(["backup", "--out", str(path), "--database-url", source_url]) == 0
    return path


# --------------------------------------------------------------------------- plain-SQL reader


def _normalise(column: sa.Column, value: object) -> object:
    """A driver value in one comparable form, from the model's column type."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        if isinstance(value, str):  # SQLite: "YYYY-MM-DD HH:MM:SS.ffffff", UTC
            value = dt.datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(kind, sa.Date):
        return value if isinstance(value, str) else value.isoformat()
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.JSON):
        return json.loads(value) if isinstance(value, str) else value
    if isinstance(kind, sa.Float):
        return ("float", repr(float(value)))  # exact: the repr of a double is unique
    return value


def plain_content(url: str) -> dict[str, list[tuple]]:
    """Every model table's rows, ordered by primary key, read with plain SQL."""
    engine = db.make_engine(url)
    content = {}
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
                names = ", ".join(f'"{c.name}"' for c in table.columns)
                result = connection.exec_driver_sql(
                    f'SELECT {names} FROM "{table.name}" ORDER BY {keys}'
                )
                content[table.name] = [
                    tuple(_normalise(c, v) for c, v in zip(table.columns, row, strict=True))
                    for row in result
                ]
    finally:
        engine.dispose()
    return content


def fingerprint(url: str) -> str:
    engine = db.make_engine(url)
    try:
        with Session(engine) as session:
            return database_fingerprint(session)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def migrated(url: str, revision: str = "head") -> str:
    engine = db.make_engine(url)
    db.upgrade(engine, revision)
    engine.dispose()
    return url


# --------------------------------------------------------------------------- round trips


def test_manifest_matches_the_source(source_url: str, archive: Path) -> None:
    manifest = backup.read_manifest(archive)
    engine = db.make_engine(source_url)
    with engine.connect() as connection:
        revision = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        counts = {
            table.name: connection.exec_driver_sql(f'SELECT COUNT(*) FROM "{table.name}"').scalar()
            for table in SQLModel.metadata.sorted_tables
        }
    engine.dispose()
    assert manifest.alembic_revision == revision
    assert {t.name: t.rows for t in manifest.tables} == counts
    assert counts["scenario"] == 2 and counts["comment"] == 2 and counts["catalogue_item"] > 20_000
    order = [t.name for t in manifest.tables]
    assert order.index("municipality") < order.index("school") < order.index("school_year")
    with zipfile.ZipFile(archive) as opened:
        for table in manifest.tables:
            data = opened.read(table.file)
            assert hashlib.sha256(data).hexdigest() == table.sha256
            assert data.count(b"\n") == table.rows
        raw = json.loads(opened.read("manifest.json"))
    assert raw["format"] == "skolbib-backup" and raw["format_version"] == 1
    created = dt.datetime.fromisoformat(raw["created_at"])
    assert created.utcoffset() == dt.timedelta(0)


def test_restore_gives_identical_content_and_back_again(
    source_url: str, archive: Path, database_url: str, tmp_path: Path
) -> None:
    """Demo DB (SQLite) → archive → empty target (SQLite or PostgreSQL) → archive → SQLite."""
    assert main(["restore", str(archive), "--database-url", database_url]) == 0
    expected = plain_content(source_url)
    restored = plain_content(database_url)
    for name, rows in expected.items():
        assert restored[name] == rows, name
    scenario = next(r for r in restored["scenario"] if r[0] == 1)
    assert AWKWARD_TEXT in scenario  # text and JSON came through as they were
    assert {"need_weighted": True, "floor": 1 / 3, "hours": {"12": 5.5}} in scenario

    second = tmp_path / "second.zip"
    assert main(["backup", "--out", str(second), "--database-url", database_url]) == 0
    back = f"sqlite:///{tmp_path / 'back.db'}"
    assert main(["restore", str(second), "--database-url", back]) == 0
    assert fingerprint(back) == fingerprint(source_url)

    # the ids go on after the restored ones (PostgreSQL: the sequences were set)
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        top = session.execute(sa.select(sa.func.max(Municipality.id))).scalar()
        row = writes.add(
            session,
            Municipality,
            {"code": "9977", "name": "Ny", "county_code": "99", "county": "Exempellän"},
        )
        session.commit()
        assert row.id == top + 1
    engine.dispose()


def test_floats_and_times_are_exact(archive: Path, database_url: str) -> None:
    assert main(["restore", str(archive), "--database-url", database_url]) == 0
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        first = session.execute(sa.select(LibraryYear).order_by(LibraryYear.id)).scalar()
        scenario = session.execute(sa.select(Scenario).order_by(Scenario.id)).scalar()
        assert first.area_m2 == TRICKY_AREA != 0.3
        assert first.hours_other == 5e-324
        assert scenario.objective == 2.0 / 7.0
        assert scenario.parameters["floor"] == 1 / 3
        created = scenario.created_at
        if created.tzinfo is None:  # SQLite keeps no offset; skolbib stores UTC
            created = created.replace(tzinfo=dt.UTC)
        assert created == dt.datetime(2025, 3, 1, 8, 30, 15, 123456, tzinfo=dt.UTC)
    engine.dispose()


def test_value_encoding_round_trips() -> None:
    for value in (0.1 + 0.2, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3, 12.0):
        text = json.dumps(backup.encode_value("float", value))
        back = backup.decode_value("float", json.loads(text))
        assert back == value and math.copysign(1, back) == math.copysign(1, value)
    assert math.isnan(backup.decode_value("float", backup.encode_value("float", math.nan)))
    assert backup.decode_value("float", backup.encode_value("float", -math.inf)) == -math.inf
    stockholm = dt.timezone(dt.timedelta(hours=2))
    summer = dt.datetime(2025, 6, 1, 14, 0, tzinfo=stockholm)
    assert backup.encode_value("datetime", summer) == "2025-06-01T12:00:00+00:00"
    naive = dt.datetime(2025, 6, 1, 12, 0)  # as SQLite gives it back: UTC
    assert backup.encode_value("datetime", naive) == "2025-06-01T12:00:00+00:00"
    assert backup.decode_value("datetime", "2025-06-01T14:00:00+02:00") == summer
    with pytest.raises(ValueError):
        backup.decode_value("integer", "12")
    with pytest.raises(ValueError):
        backup.decode_value("boolean", 1)
    with pytest.raises(ValueError):
        backup.decode_value("datetime", "2025-06-01T12:00:00")  # no offset: ambiguous


def test_an_archive_of_an_older_revision_restores_at_that_revision(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = migrated(f"sqlite:///{tmp_path / 'old.db'}", "0001")
    engine = db.make_engine(old)
    with Session(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO municipality (id, code, name, county_code, county, fictional) "
                "VALUES (7, '9901', 'Exempelkommun', '99', 'Exempellän', :yes)"
            ),
            {"yes": True},
        )
        session.commit()
    engine.dispose()
    path = tmp_path / "old.zip"
    assert main(["backup", "--out", str(path), "--database-url", old]) == 0
    capsys.readouterr()
    assert main(["restore", str(path), "--database-url", database_url]) == 0
    assert "skolbib init" in capsys.readouterr().out
    engine = db.make_engine(database_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
            "0001"
        )
    db.upgrade(engine)  # the restored database upgrades like any other
    with Session(engine) as session:
        assert session.get(Municipality, 7).name == "Exempelkommun"
    engine.dispose()


# --------------------------------------------------------------------------- refusals


def _rewrite(source: Path, target: Path, change) -> Path:
    """A copy of the archive ``source`` with ``change(name, bytes) -> bytes | None`` applied
    to every member (``None`` drops it); the zip itself stays valid (fresh CRCs)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info.filename))
            if data is not None:
                new.writestr(info.filename, data)
    return target


def _flip_table_byte(name: str, data: bytes) -> bytes:
    if name != "tables/school.jsonl":
        return data
    spot = data.index(b"Exempel")  # a letter of a school name becomes another letter
    return data[:spot] + bytes([data[spot] ^ 0x01]) + data[spot + 1 :]


def _wrong_kind_with_valid_checksum():
    """The first school's name (text) becomes a number, and the manifest's checksum and the
    zip stay consistent: only the check of every value's kind can find it."""
    sums: dict[str, str] = {}

    def change(name: str, data: bytes) -> bytes:
        if name == "tables/school.jsonl":
            first, rest = data.split(b"\n", 1)
            row = json.loads(first)
            row[2] = 12345  # column 3 of school is name (id, school_unit_code, name, ...)
            data = json.dumps(row).encode() + b"\n" + rest
            sums[name] = hashlib.sha256(data).hexdigest()
        if name == "manifest.json":  # written last
            manifest = json.loads(data)
            for table in manifest["tables"]:
                table["sha256"] = sums.get(table["file"], table["sha256"])
            data = json.dumps(manifest).encode()
        return data

    return change


def _manifest_change(**fields):
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), **fields}).encode()

    return change


def _broken_archives(archive: Path, folder: Path) -> dict[str, tuple[Path, str | tuple]]:
    """name -> (file, the phrase or phrases the refusal must contain)."""
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("tables/catalogue_item.jsonl")
    # a byte in the middle of the deflated data of the largest table file (after the local
    # header: 30 bytes, the name and the extra field, whose lengths are at offsets 26 and 28)
    header = info.header_offset
    name_length = int.from_bytes(raw[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(raw[header + 28 : header + 30], "little")
    raw[header + 30 + name_length + extra_length + info.compress_size // 2] ^= 0xFF
    damaged = folder / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    truncated = folder / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = folder / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as opened:
        opened.writestr("manifest.json", json.dumps({"format": "something-else", "tables": []}))
        opened.writestr("readme.txt", "not a skolbib archive")
    other = folder / "other.zip"
    with zipfile.ZipFile(other, "w") as opened:
        opened.writestr("data.csv", "a;b\n1;2\n")
    text = folder / "not-a-zip.zip"
    text.write_text("kommunkod;namn\n9901;Exempelkommun\n", encoding="utf-8")
    return {
        "flipped byte in a table file": (
            _rewrite(archive, folder / "flipped.zip", _flip_table_byte),
            "tables/school.jsonl: kontrollsumman stämmer inte",
        ),
        # either the CRC check or the row check finds it, depending on what the bytes became
        "damaged compressed data": (damaged, ("tables/catalogue_item.jsonl", "trasig")),
        "truncated zip": (truncated, "ingen läsbar zip-fil"),
        "not a zip": (text, "ingen läsbar zip-fil"),
        "foreign manifest": (foreign, "ingen säkerhetskopia från skolbib"),
        "zip without manifest": (other, "manifest.json saknas"),
        "a value of the wrong kind": (
            _rewrite(archive, folder / "kind.zip", _wrong_kind_with_valid_checksum()),
            ("tables/school.jsonl rad 1, kolumn name", "expected text"),
        ),
        "newer format": (
            _rewrite(archive, folder / "newer.zip", _manifest_change(format_version=2)),
            "formatversion 2 är nyare",
        ),
        "unknown revision": (
            _rewrite(archive, folder / "future.zip", _manifest_change(alembic_revision="9999")),
            "schemarevisionen 9999 är okänd",
        ),
        "table file missing": (
            _rewrite(
                archive,
                folder / "missing.zip",
                lambda name, data: None if name == "tables/library.jsonl" else data,
            ),
            "tables/library.jsonl saknas",
        ),
        "missing file": (folder / "nowhere.zip", "filen finns inte"),
    }


@pytest.mark.parametrize("blank", [False, True], ids=["migrated-empty", "blank"])
def test_a_broken_or_foreign_archive_is_refused_and_changes_nothing(
    archive: Path,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    blank: bool,
) -> None:
    if not blank:
        migrated(database_url)
    before = (table_names(database_url), None if blank else fingerprint(database_url))
    for case, (path, phrase) in _broken_archives(archive, tmp_path).items():
        capsys.readouterr()
        assert main(["restore", str(path), "--database-url", database_url]) == 2, case
        err = capsys.readouterr().err
        phrases = (phrase,) if isinstance(phrase, str) else phrase
        assert err.startswith("skolbib: ") and all(p in err for p in phrases), (case, err)
        assert err.count("\n") == 1, case  # one line, no traceback
        after = (table_names(database_url), None if blank else fingerprint(database_url))
        assert after == before, case


def test_a_database_that_is_not_empty_is_refused(
    archive: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(database_url)
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        writes.add(
            session,
            Municipality,
            {"code": "1480", "name": "Göteborg", "county_code": "14", "county": "Västra Götaland"},
        )
        session.commit()
    engine.dispose()
    before = fingerprint(database_url)
    assert main(["restore", str(archive), "--database-url", database_url]) == 2
    err = capsys.readouterr().err
    assert "är inte tom: municipality (1)" in err
    assert fingerprint(database_url) == before


def test_a_database_at_another_revision_is_refused(
    archive: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(database_url, "0001")
    before = (table_names(database_url), fingerprint_0001(database_url))
    assert main(["restore", str(archive), "--database-url", database_url]) == 2
    err = capsys.readouterr().err
    assert "har schemarevision 0001 men säkerhetskopian 0002" in err
    assert (table_names(database_url), fingerprint_0001(database_url)) == before


def fingerprint_0001(url: str) -> dict[str, int]:
    """Rows per table of a database at revision 0001 (the models describe head)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: connection.exec_driver_sql(f'SELECT COUNT(*) FROM "{name}"').scalar()
                for name in sa.inspect(connection).get_table_names()
            }
    finally:
        engine.dispose()


def test_backup_does_not_overwrite_and_needs_a_migrated_database(
    source_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kept.zip"
    path.write_bytes(b"earlier backup")
    assert main(["backup", "--out", str(path), "--database-url", source_url]) == 2
    assert "finns redan" in capsys.readouterr().err
    assert path.read_bytes() == b"earlier backup"
    assert main(["backup", "--out", str(path), "--overwrite", "--database-url", source_url]) == 0
    assert backup.read_manifest(path).total_rows > 20_000

    bare = f"sqlite:///{tmp_path / 'bare.db'}"
    engine = db.make_engine(bare)
    SQLModel.metadata.create_all(engine)  # tables but no alembic revision
    engine.dispose()
    out = tmp_path / "bare.zip"
    assert main(["backup", "--out", str(out), "--database-url", bare]) == 2
    assert "ingen schemarevision" in capsys.readouterr().err
    assert not out.exists()
    assert not list(tmp_path.glob(".*partial"))
