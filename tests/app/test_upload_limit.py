"""The upload size limit of the Inventering page's imports (``SKOLBIB_MAX_UPLOAD_MB``).

A file one byte over the limit is refused with a message naming the file, its size and the
limit, before anything is written; a file of exactly the limit is imported. Streamlit's own
limit (``server.maxUploadSize`` in ``.streamlit/config.toml``) is 50 MB, like skolbib's default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.services import inventory_page as svc
from tests.helpers import database_fingerprint
from tests.inventory.factories import small_inventory

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "kommunkod;skolenhetskod;år;AV-medier utlån;teknikutlån;fortbildning deltagare;"
    "fortbildning timmar"
)
ROWS = ["9911;;2024;1 234;56;18;40,5", "9911;99110001;2024;310;4;6;12,0"]
MIB = 2**20


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    active: bool = True
    id: int | None = None


LEADER = Person("pl", "projektledare")


def csv_of_size(size: int) -> bytes:
    """A valid resource-centre file of exactly ``size`` bytes (padded with empty lines)."""
    text = ("\r\n".join([HEADER, *ROWS]) + "\r\n").encode("cp1252")
    return text + b"\r\n" * ((size - len(text)) // 2) + b"\n" * ((size - len(text)) % 2)


def test_a_file_over_the_limit_is_refused_before_anything_is_written(session, monkeypatch):
    small_inventory(session)
    monkeypatch.setenv(svc.ENV_MAX_UPLOAD_MB, "1")
    before = database_fingerprint(session)
    data = csv_of_size(MIB + 1)
    for commit in (False, True):
        with pytest.raises(svc.UploadTooLargeError) as caught:
            svc.run_import_bytes(
                session, LEADER, "resource-centre", "../Mars 2024.csv", data, commit=commit
            )
        error = caught.value
        assert (error.name, error.size, error.limit_mb) == ("Mars 2024.csv", MIB + 1, 1)
        assert str(error) == (
            "Mars 2024.csv: filen är 1,0 MB; högst 1 MB kan läsas in (SKOLBIB_MAX_UPLOAD_MB). "
            "Inget sparades."
        )
        assert "at most 1 MB" in error.message("en")
        assert isinstance(error, ValueError)  # the page shows a ValueError's message
    assert database_fingerprint(session) == before


def test_a_file_of_exactly_the_limit_is_imported(session, monkeypatch):
    small_inventory(session)
    monkeypatch.setenv(svc.ENV_MAX_UPLOAD_MB, "1")
    data = csv_of_size(MIB)
    assert len(data) == MIB
    outcome = svc.run_import_bytes(session, LEADER, "resource-centre", "ok.csv", data, commit=True)
    assert sum(outcome.report.created.values()) == 2


@pytest.mark.parametrize(("value", "limit"), [(None, 50), ("200", 200), ("x", 50), ("0", 50)])
def test_the_limit_comes_from_the_environment(monkeypatch, value, limit):
    if value is None:
        monkeypatch.delenv(svc.ENV_MAX_UPLOAD_MB, raising=False)
    else:
        monkeypatch.setenv(svc.ENV_MAX_UPLOAD_MB, value)
    assert svc.max_upload_mb() == limit


def test_streamlit_limits_uploads_to_50_mb_too():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == svc.DEFAULT_MAX_UPLOAD_MB == 50
    assert config["browser"]["gatherUsageStats"] is False
