"""Portable backups of a skolbib database: every table, its schema revision and checksums.

An archive is a zip file with

``manifest.json``
    ``format`` (``"skolbib-backup"``), ``format_version``, ``alembic_revision`` of the source
    database, ``created_at`` (UTC, ISO 8601), ``source_backend`` and, per table in
    foreign-key order: ``name``, ``file``, ``rows``, ``sha256`` of the table file,
    ``primary_key`` and ``columns`` (``[name, kind]`` pairs).
``tables/<name>.jsonl``
    One JSON array per row, in column order, rows ordered by primary key. Values are typed by
    the column's kind: ``integer``, ``float`` (exactly, as Python's ``repr``; not-a-number and
    infinities as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``), ``boolean``,
    ``text``, ``decimal`` (string), ``date`` (``YYYY-MM-DD``), ``datetime`` (ISO 8601 in UTC
    with ``+00:00``; SQLite keeps no offset, and skolbib writes UTC, so a value without one is
    read as UTC), ``json`` (the JSON value itself; a JSON ``null`` in a nullable column comes
    back as SQL ``NULL``) and ``binary`` (base64).

The tables are read from the database itself (reflection), so an archive holds exactly what the
database holds at its revision, whichever version of skolbib wrote it. The source is read in one
transaction (``REPEATABLE READ`` on PostgreSQL, a read snapshot on SQLite), so an archive is
consistent while the app keeps writing.

:func:`restore_backup` writes an archive into an **empty** database only, and checks
everything before it writes anything:

1. the archive: a zip with a manifest of a known format version, every listed table file
   present, its SHA-256 and row count as in the manifest, every row a JSON array of the
   right length whose values are of their columns' kinds;
2. the revision: known to this installation's migrations (an archive of a newer skolbib is
   refused);
3. the target: either blank (no tables at all; it is then migrated to the archive's revision
   first) or migrated to exactly the archive's revision with every table present, the same
   columns of the same kinds, and **no row in any table**.

Then every table is inserted in foreign-key order in one transaction, and PostgreSQL's id
sequences are set past the restored ids. A refused restore raises :class:`BackupError` and
changes nothing. After restoring an archive of an older revision, ``skolbib init`` upgrades the
database to the latest schema.

An archive contains personal data (names, e-mail addresses, audit trail, comments) and the
password hashes of local accounts: store it like the database itself.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from inventory import db

FORMAT = "skolbib-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VERSION_TABLE = "alembic_version"
KINDS = ("integer", "float", "boolean", "text", "decimal", "date", "datetime", "json", "binary")
BATCH_ROWS = 5_000
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class BackupError(Exception):
    """A backup cannot be written, or an archive cannot be restored; nothing was changed."""


@dataclass(frozen=True)
class TableEntry:
    """One table of an archive, as its manifest describes it."""

    name: str
    file: str
    rows: int
    sha256: str
    primary_key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


@dataclass(frozen=True)
class Manifest:
    """What :func:`read_manifest` found (and verified) in an archive."""

    format_version: int
    alembic_revision: str
    created_at: str
    source_backend: str
    tables: tuple[TableEntry, ...]

    @property
    def total_rows(self) -> int:
        return sum(table.rows for table in self.tables)


# --------------------------------------------------------------------------- column kinds


def column_kind(column_type: sa.types.TypeEngine) -> str:
    """The archive kind of a (reflected) column type; :class:`BackupError` if unsupported."""
    checks: tuple[tuple[type, str], ...] = (
        (sa.Boolean, "boolean"),
        (sa.DateTime, "datetime"),
        (sa.Date, "date"),
        (sa.JSON, "json"),
        (sa.Float, "float"),
        (sa.Numeric, "decimal"),
        (sa.Integer, "integer"),
        (sa.String, "text"),
        (sa.LargeBinary, "binary"),
    )
    for type_class, kind in checks:
        if isinstance(column_type, type_class):
            return kind
    raise BackupError(f"kolumntypen {column_type!r} stöds inte i säkerhetskopior")


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:  # SQLite stores no offset; skolbib writes UTC
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def encode_value(kind: str, value: Any) -> Any:
    """A database value as its JSON form in the archive."""
    if value is None:
        return None
    if kind == "float":
        number = float(value)
        if math.isfinite(number):
            return number
        return "NaN" if math.isnan(number) else ("Infinity" if number > 0 else "-Infinity")
    if kind == "integer":
        return int(value)
    if kind == "boolean":
        return bool(value)
    if kind == "datetime":
        return _utc(value).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    if kind == "binary":
        return base64.b64encode(bytes(value)).decode("ascii")
    return value  # text, json


def decode_value(kind: str, value: Any) -> Any:
    """The archive's JSON form back as the value to insert; ``ValueError`` if it is not one."""
    if value is None:
        return None
    if kind == "float":
        if isinstance(value, str) and value in _NON_FINITE:
            return _NON_FINITE[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        return float(value)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if kind == "datetime":
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"expected a date and time with an offset, got {value!r}")
        return parsed.astimezone(dt.UTC)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return decimal.Decimal(value)
    if kind == "binary":
        return base64.b64decode(value, validate=True)
    if kind == "text" and not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value  # json


# --------------------------------------------------------------------------- reading a database


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _data_tables(connection: Connection) -> list[sa.Table]:
    """Every table of the database except alembic's, in foreign-key order (reflected)."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name != VERSION_TABLE]


def _primary_key(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns) or list(table.columns)


def _snapshot(engine: Engine) -> Connection:
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(isolation_level="REPEATABLE READ")
    return engine.connect()


def write_backup(engine: Engine, path: str | Path) -> Manifest:
    """Write every table of the database behind ``engine`` to the archive ``path``.

    The archive is written to a temporary file beside ``path`` and renamed when complete, so
    ``path`` never holds half an archive.

    Raises
    ------
    BackupError
        The database has no schema revision (not migrated with ``skolbib init``) or a column
        type the format does not know.
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    entries: list[TableEntry] = []
    with _snapshot(engine) as connection, connection.begin():
        revision = _revision(connection)
        if revision is None:
            raise BackupError(
                f"databasen {db.masked(engine.url)} har ingen schemarevision; kör 'skolbib init'"
            )
        tables = _data_tables(connection)
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for table in tables:
                    entries.append(_write_table(connection, archive, table))
                manifest = Manifest(
                    format_version=FORMAT_VERSION,
                    alembic_revision=revision,
                    created_at=dt.datetime.now(dt.UTC).isoformat(),
                    source_backend=engine.dialect.name,
                    tables=tuple(entries),
                )
                archive.writestr(MANIFEST, json.dumps(_manifest_dict(manifest), indent=2))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _write_table(connection: Connection, archive: zipfile.ZipFile, table: sa.Table) -> TableEntry:
    kinds = []
    for column in table.columns:
        try:
            kinds.append(column_kind(column.type))
        except BackupError as exc:
            raise BackupError(f"{table.name}.{column.name}: {exc}") from None
    digest, rows = hashlib.sha256(), 0
    name = f"tables/{table.name}.jsonl"
    query = sa.select(table).order_by(*_primary_key(table))
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        options = {"stream_results": True, "yield_per": BATCH_ROWS}
        for row in connection.execute(query, execution_options=options):
            values = [encode_value(kind, value) for kind, value in zip(kinds, row, strict=True)]
            line = (json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            digest.update(line)
            member.write(line)
            rows += 1
    return TableEntry(
        name=table.name,
        file=name,
        rows=rows,
        sha256=digest.hexdigest(),
        primary_key=tuple(column.name for column in table.primary_key.columns),
        columns=tuple(zip(table.columns.keys(), kinds, strict=True)),
    )


def _manifest_dict(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": manifest.format_version,
        "alembic_revision": manifest.alembic_revision,
        "created_at": manifest.created_at,
        "source_backend": manifest.source_backend,
        "tables": [
            {
                "name": table.name,
                "file": table.file,
                "rows": table.rows,
                "sha256": table.sha256,
                "primary_key": list(table.primary_key),
                "columns": [list(column) for column in table.columns],
            }
            for table in manifest.tables
        ],
    }


# --------------------------------------------------------------------------- reading an archive


def _bad(path: Path, what: str) -> BackupError:
    return BackupError(f"{path.name}: {what}; inget återställdes")


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise BackupError(f"{path}: filen finns inte")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _bad(path, f"ingen läsbar zip-fil (trasig eller avkortad: {exc})") from None


def _parse_manifest(path: Path, raw: Any) -> Manifest:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise _bad(path, f"ingen säkerhetskopia från skolbib (format {FORMAT!r} saknas)")
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _bad(path, f"ogiltig formatversion {version!r}")
    if version > FORMAT_VERSION:
        raise _bad(
            path,
            f"formatversion {version} är nyare än den här versionen av skolbib kan läsa "
            f"(högst {FORMAT_VERSION}); återställ med en nyare skolbib",
        )
    revision = raw.get("alembic_revision")
    tables = raw.get("tables")
    if not isinstance(revision, str) or not revision or not isinstance(tables, list):
        raise _bad(path, "manifestet saknar alembic_revision eller tables")
    entries, seen = [], set()
    for position, item in enumerate(tables, start=1):
        entries.append(_parse_table(path, position, item))
        if entries[-1].name in seen:
            raise _bad(path, f"tabellen {entries[-1].name} står två gånger i manifestet")
        seen.add(entries[-1].name)
    return Manifest(
        format_version=version,
        alembic_revision=revision,
        created_at=str(raw.get("created_at", "")),
        source_backend=str(raw.get("source_backend", "")),
        tables=tuple(entries),
    )


def _parse_table(path: Path, position: int, item: Any) -> TableEntry:
    where = f"manifestets tabell nr {position}"
    try:
        name = item["name"]
        columns = tuple((str(c[0]), str(c[1])) for c in item["columns"])
        entry = TableEntry(
            name=name,
            file=item["file"],
            rows=item["rows"],
            sha256=item["sha256"],
            primary_key=tuple(str(c) for c in item["primary_key"]),
            columns=columns,
        )
    except (KeyError, TypeError, IndexError):
        raise _bad(path, f"{where}: name, file, rows, sha256, primary_key, columns krävs") from None
    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise _bad(path, f"{where}: ogiltigt tabellnamn {name!r}")
    if entry.file != f"tables/{name}.jsonl":
        raise _bad(path, f"{where}: filen ska heta tables/{name}.jsonl, inte {entry.file!r}")
    if not isinstance(entry.rows, int) or isinstance(entry.rows, bool) or entry.rows < 0:
        raise _bad(path, f"{where}: ogiltigt radantal {entry.rows!r}")
    if not isinstance(entry.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
        raise _bad(path, f"{where}: ogiltig sha256 {entry.sha256!r}")
    unknown = sorted({kind for _, kind in columns} - set(KINDS))
    if not columns or unknown:
        raise _bad(path, f"{where} ({name}): okända kolumntyper {unknown}")
    return entry


def _lines(archive: zipfile.ZipFile, entry: TableEntry) -> Iterator[bytes]:
    with archive.open(entry.file) as member:
        yield from io.BufferedReader(member, buffer_size=1 << 20)


def _verify_table(path: Path, archive: zipfile.ZipFile, entry: TableEntry) -> None:
    digest, rows, width = hashlib.sha256(), 0, len(entry.columns)
    try:
        for line in _lines(archive, entry):
            digest.update(line)
            rows += 1
            try:
                values = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                values = None
            if not isinstance(values, list) or len(values) != width:
                raise _bad(
                    path, f"{entry.file} rad {rows}: ingen rad med {width} värden (filen är trasig)"
                )
            for (name, kind), value in zip(entry.columns, values, strict=True):
                try:
                    decode_value(kind, value)
                except (ValueError, TypeError, decimal.InvalidOperation) as exc:
                    raise _bad(path, f"{entry.file} rad {rows}, kolumn {name}: {exc}") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise _bad(path, f"{entry.file}: arkivet är trasigt ({exc})") from None
    if digest.hexdigest() != entry.sha256:
        raise _bad(
            path, f"{entry.file}: kontrollsumman stämmer inte (filen är ändrad eller trasig)"
        )
    if rows != entry.rows:
        raise _bad(path, f"{entry.file}: {rows} rader, manifestet säger {entry.rows}")


def read_manifest(path: str | Path) -> Manifest:
    """Read and verify an archive: its manifest and every table file's checksum and rows.

    Raises
    ------
    BackupError
        Not a zip file, no skolbib manifest, a format newer than this skolbib reads, a table
        file missing, changed or damaged. The message names the file and what is wrong.
    """
    path = Path(path)
    with _open(path) as archive:
        try:
            names = set(archive.namelist())
            if MANIFEST not in names:
                raise _bad(path, "ingen säkerhetskopia från skolbib (manifest.json saknas)")
            try:
                raw = json.loads(archive.read(MANIFEST))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise _bad(path, f"manifest.json är ingen giltig JSON ({exc})") from None
            manifest = _parse_manifest(path, raw)
            for entry in manifest.tables:
                if entry.file not in names:
                    raise _bad(path, f"{entry.file} saknas i arkivet")
                _verify_table(path, archive, entry)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise _bad(path, f"arkivet är trasigt ({exc})") from None
    return manifest


# --------------------------------------------------------------------------- restoring


def head_revision(engine: Engine) -> str | None:
    """The latest revision of this installation's migrations."""
    return ScriptDirectory.from_config(db.alembic_config(engine)).get_current_head()


def known_revision(engine: Engine, revision: str) -> bool:
    """Whether this installation's migrations know ``revision``."""
    scripts = ScriptDirectory.from_config(db.alembic_config(engine))
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises several kinds for an unknown or malformed id
        return False


def _check_target(engine: Engine, manifest: Manifest) -> bool:
    """Refuse a target that is not empty or not at the archive's revision; ``True`` if blank."""
    where = db.masked(engine.url)
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        if not names:
            return True
        revision = _revision(connection)
        if revision != manifest.alembic_revision:
            raise BackupError(
                f"databasen {where} har schemarevision {revision or 'ingen'} men säkerhetskopian "
                f"{manifest.alembic_revision}; återställ till en tom databas (utan tabeller) "
                "eller en som är migrerad till samma revision"
            )
        tables = {table.name: table for table in _data_tables(connection)}
        filled = []
        for name, table in tables.items():
            count = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
            if count:
                filled.append(f"{name} ({count})")
        if filled:
            raise BackupError(
                f"databasen {where} är inte tom: {', '.join(filled[:8])}"
                f"{' …' if len(filled) > 8 else ''}; återställ bara till en tom databas"
            )
    _check_columns(where, tables, manifest)
    return False


def _check_columns(where: str, tables: dict[str, sa.Table], manifest: Manifest) -> None:
    for entry in manifest.tables:
        table = tables.get(entry.name)
        if table is None:
            raise BackupError(f"databasen {where} saknar tabellen {entry.name}")
        found = [(c.name, column_kind(c.type)) for c in table.columns]
        if sorted(found) != sorted(entry.columns):
            raise BackupError(
                f"tabellen {entry.name} i databasen {where} har kolumnerna {found}, "
                f"säkerhetskopian {list(entry.columns)}"
            )


def _rows(
    path: Path, archive: zipfile.ZipFile, entry: TableEntry
) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for number, line in enumerate(_lines(archive, entry), start=1):
        row = {}
        for (name, kind), value in zip(entry.columns, json.loads(line), strict=True):
            try:
                row[name] = decode_value(kind, value)
            except (ValueError, TypeError, decimal.InvalidOperation) as exc:
                raise _bad(path, f"{entry.file} rad {number}, kolumn {name}: {exc}") from None
        batch.append(row)
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _reset_sequences(connection: Connection, tables: Sequence[sa.Table]) -> None:
    """PostgreSQL: the next id of every serial/identity column follows the restored ids."""
    for table in tables:
        for column in table.primary_key.columns:
            if column_kind(column.type) != "integer":
                continue
            quoted = connection.dialect.identifier_preparer.quote(table.name)
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": quoted, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            top = connection.execute(sa.select(sa.func.max(column))).scalar()
            connection.execute(
                sa.text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
                {"sequence": sequence, "value": top or 1, "called": top is not None},
            )


def restore_backup(engine: Engine, path: str | Path) -> Manifest:
    """Restore the archive ``path`` into the empty database behind ``engine``.

    See the module documentation for what is checked first. Returns the archive's manifest.

    Raises
    ------
    BackupError
        The archive is damaged, foreign, of a newer format or revision, or the database is not
        empty or at another revision. Nothing was changed.
    sqlalchemy.exc.SQLAlchemyError
        The database refused a row (a constraint the archive's data breaks): every inserted row
        was rolled back; a blank target stays migrated to the archive's revision, and empty.
    """
    path = Path(path)
    manifest = read_manifest(path)
    if not known_revision(engine, manifest.alembic_revision):
        raise _bad(
            path,
            f"schemarevisionen {manifest.alembic_revision} är okänd för den här versionen av "
            "skolbib (säkerhetskopian är från en nyare version)",
        )
    blank = _check_target(engine, manifest)
    if blank:
        db.upgrade(engine, manifest.alembic_revision)
        with engine.connect() as connection:
            tables = {table.name: table for table in _data_tables(connection)}
        _check_columns(db.masked(engine.url), tables, manifest)
    with engine.connect() as connection:
        tables = {table.name: table for table in _data_tables(connection)}
    order = [table for table in tables.values() if table.name in {e.name for e in manifest.tables}]
    entries = {entry.name: entry for entry in manifest.tables}
    for table in order:  # a JSON null in a nullable column is SQL NULL
        for column in table.columns:
            if column_kind(column.type) == "json":
                column.type.none_as_null = bool(column.nullable)
    with _open(path) as archive, engine.begin() as connection:
        try:
            for table in order:
                for batch in _rows(path, archive, entries[table.name]):
                    connection.execute(table.insert(), batch)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise _bad(path, f"arkivet är trasigt ({exc})") from None
        if connection.dialect.name == "postgresql":
            _reset_sequences(connection, order)
    return manifest
