"""Deterministic, fictional demo data for skolbib.

:func:`generate` builds one DataFrame per inventory table from a seed, with natural keys only
(municipality codes, school unit codes, library names, survey titles), so the same frames can be
written out as import files. :func:`load` resolves those keys to database ids and writes every
table through :func:`inventory.writes.add_all`, so the demo passes the same validation as real
data. :func:`load_demo` does both once per database.

The data describe "Exempelkommun" (kommunkod 9901) and three smaller municipalities in the
county "Exempellän" (länskod 99, which does not exist), so nothing can be mistaken for, or
collide with, real Swedish codes; school unit codes start with 99 for the same reason. Media
cost, loans and open hours scatter around KB's national means for 2023 (98 SEK per pupil, 11
loans per pupil, 33 open hours a week); staffing is well above the national 0.17 FTE per 1,000
pupils, because a demo needs staffed libraries to compare. The data include the disparities
real inventories find:
staffed hours from 0 to 40 a week, book rooms only, a library integrated with the public library
by political decision, schools served by another unit's library or by the public library for
special reasons, a school served by nothing, collections from fresh to very old and missing
library plans. Coordinates are SWEREF 99 TM (EPSG:3006).

Randomness comes only from ``numpy.random.default_rng``; each table draws from its own stream
(``default_rng([seed, stream])``), so changing how one table is drawn leaves the others alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPoint, Point, Polygon
from sqlmodel import Session, SQLModel

from inventory.models import (
    ActionPlan,
    CatalogueItem,
    CollectionYear,
    District,
    Library,
    LibrarySchool,
    LibraryYear,
    Municipality,
    ResourceCentreYear,
    School,
    SchoolResult,
    SchoolYear,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
)
from inventory.writes import InventoryValidationError, Problem, add_all

DEMO_MUNICIPALITY_CODE = "9901"
DEFAULT_SEED = 2025
YEARS: tuple[int, ...] = tuple(range(2019, 2026))
LAST_YEAR = YEARS[-1]
COUNTY_CODE = "99"
COUNTY = "Exempellän"
#: Date of the fictional library-system export behind the catalogue items (never the clock).
CATALOGUE_EXPORT_DATE = date(2025, 11, 30)
#: Rows per add_all call for the large catalogue table.
CATALOGUE_CHUNK = 5000

CATEGORIES = (
    "fiction",
    "non_fiction",
    "picture_books",
    "easy_read",
    "other_languages",
    "audiobooks",
    "e_books",
)
STAFF_COLUMNS = ("hours_lis_librarian", "hours_teacher_librarian", "hours_assistant", "hours_other")
GRADE_COLUMNS = tuple(f"pupils_grade_{grade}" for grade in range(1, 10))

# Stage shorthand -> (has förskoleklass, compulsory grades). "Gy" is upper secondary only;
# "Anp" is an adapted compulsory school unit (anpassad grundskola 1-9).
STAGES: dict[str, tuple[bool, tuple[int, ...]]] = {
    "F-3": (True, (1, 2, 3)),
    "F-6": (True, (1, 2, 3, 4, 5, 6)),
    "4-6": (False, (4, 5, 6)),
    "4-9": (False, (4, 5, 6, 7, 8, 9)),
    "7-9": (False, (7, 8, 9)),
    "F-9": (True, (1, 2, 3, 4, 5, 6, 7, 8, 9)),
    "Gy": (False, ()),
    "Anp": (False, (1, 2, 3, 4, 5, 6, 7, 8, 9)),
}

# Share of physical holdings per category by stage (fiction, non-fiction, picture books,
# easy-read, other languages, audiobooks); e-books are licences on top of these.
_STAGE_MIX: dict[str, tuple[float, ...]] = {
    "F-3": (0.25, 0.20, 0.30, 0.15, 0.06, 0.04),
    "F-6": (0.33, 0.24, 0.15, 0.14, 0.08, 0.06),
    "4-6": (0.38, 0.28, 0.04, 0.14, 0.09, 0.07),
    "4-9": (0.42, 0.30, 0.02, 0.11, 0.08, 0.07),
    "7-9": (0.44, 0.32, 0.00, 0.10, 0.07, 0.07),
    "F-9": (0.38, 0.28, 0.08, 0.12, 0.08, 0.06),
    "Gy": (0.46, 0.38, 0.00, 0.06, 0.05, 0.05),
    "Anp": (0.22, 0.18, 0.25, 0.25, 0.05, 0.05),
}
# Median age of a category relative to the library's overall median age.
_CATEGORY_AGE = (1.0, 1.05, 1.0, 0.95, 0.9, 0.7, 0.4)

_STAGE_PUPILS: dict[str, tuple[int, int]] = {
    "F-3": (60, 280),
    "F-6": (45, 460),
    "4-6": (90, 330),
    "4-9": (200, 560),
    "7-9": (220, 600),
    "F-9": (160, 700),
    "Gy": (350, 780),
}


# --------------------------------------------------------------------------- specifications


@dataclass(frozen=True)
class _MunicipalitySpec:
    code: str
    name: str
    organiser: str
    domain: str
    centre: tuple[float, float]
    radius: float
    #: district name -> offset of its centre from the municipality centre (metres)
    districts: tuple[tuple[str, tuple[float, float]], ...]
    #: stages of the generated schools that are fixed; the rest are drawn
    fixed_stages: tuple[str, ...] = ()
    schools: int = 0
    independent: int = 0


@dataclass(frozen=True)
class _SchoolSpec:
    code: str
    name: str
    municipality_code: str
    district: str
    stage: str
    pupils: int  # in LAST_YEAR; earlier years drift from it
    organiser: str | None = None  # None: the municipality


@dataclass(frozen=True)
class _LibrarySpec:
    """One library; hosts and served schools are names until resolved to codes."""

    name: str
    kind: str
    host: str | None  # school on whose premises it is; None: at the public library
    serves: tuple[tuple[str, str | None], ...]  # (school, special reasons)
    hours: tuple[float, float, float, float]  # LIS, teacher-librarian, assistant, other
    location_class: int = 1
    hours_before: tuple[float, float, float, float] | None = None
    change_year: int | None = None
    plan_year: int | None = None  # first year with an adopted library plan
    items_per_pupil: float | None = None
    median_age: float | None = None  # median age of the collection in LAST_YEAR
    media_per_pupil: float | None = None
    open_hours: float | None = None
    catalogue: str | None = None  # classification system of an item-level export
    municipality_code: str = DEMO_MUNICIPALITY_CODE
    stage_mix: tuple[float, ...] = ()  # category shares of physical holdings


_EXEMPEL = _MunicipalitySpec(
    code=DEMO_MUNICIPALITY_CODE,
    name="Exempelkommun",
    organiser="Exempelkommun",
    domain="exempelkommun.example",
    centre=(580_000.0, 6_310_000.0),
    radius=18_000.0,
    districts=(
        ("Centrum", (0.0, 0.0)),
        ("Norra", (0.0, 10_000.0)),
        ("Södra", (0.0, -10_000.0)),
        ("Östra", (10_000.0, 0.0)),
        ("Västra", (-10_000.0, 0.0)),
    ),
)
_OTHERS = (
    _MunicipalitySpec(
        code="9902",
        name="Sjöby kommun",
        organiser="Sjöby kommun",
        domain="sjoby.example",
        centre=(632_000.0, 6_300_000.0),
        radius=12_000.0,
        districts=(
            ("Centrum", (0.0, 0.0)),
            ("Sjöbygden", (6_500.0, -3_500.0)),
            ("Norra", (-1_500.0, 7_000.0)),
        ),
        fixed_stages=("7-9",),
        schools=10,
        independent=2,
    ),
    _MunicipalitySpec(
        code="9903",
        name="Skogsvik kommun",
        organiser="Skogsvik kommun",
        domain="skogsvik.example",
        centre=(585_000.0, 6_356_000.0),
        radius=13_000.0,
        districts=(("Skogsvik", (0.0, 0.0)), ("Landsbygden", (6_000.0, 5_000.0))),
        fixed_stages=("7-9",),
        schools=7,
        independent=1,
    ),
    _MunicipalitySpec(
        code="9904",
        name="Åkerstad kommun",
        organiser="Åkerstad kommun",
        domain="akerstad.example",
        centre=(528_000.0, 6_272_000.0),
        radius=11_000.0,
        districts=(
            ("Åkerstad", (0.0, 0.0)),
            ("Västra", (-6_000.0, 500.0)),
            ("Östra", (5_500.0, -1_000.0)),
        ),
        fixed_stages=("7-9", "Gy"),
        schools=8,
        independent=1,
    ),
)
MUNICIPALITIES = (_EXEMPEL, *_OTHERS)

# Exempelkommun: name, district, stage, pupils in LAST_YEAR, independent organiser.
_EXEMPEL_SCHOOLS: tuple[tuple[str, str, str, int, str | None], ...] = (
    ("Centralskolan", "Centrum", "7-9", 620, None),
    ("Domkyrkoskolan", "Centrum", "F-6", 480, None),
    ("Stadsparksskolan", "Centrum", "F-3", 260, None),
    ("Kvarnskolan", "Centrum", "4-6", 310, None),
    ("Exempelkommuns gymnasium", "Centrum", "Gy", 845, None),
    ("Tallbackaskolan", "Centrum", "Anp", 24, None),
    ("Fria Läroverket Centrum", "Centrum", "4-9", 540, "Fria Läroverket AB"),
    ("Lindängsskolan", "Norra", "F-9", 720, None),
    ("Björkskolan", "Norra", "F-6", 410, None),
    ("Norrbyskolan", "Norra", "7-9", 450, None),
    ("Rönnbäcksskolan", "Norra", "F-3", 230, None),
    ("Hagaskolan", "Norra", "4-6", 280, None),
    ("Ekbackeskolan", "Norra", "F-6", 360, None),
    ("Montessoriskolan Humlan", "Norra", "F-6", 140, "Montessoriföreningen Humlan ek. för."),
    ("Solbergaskolan", "Södra", "F-9", 810, None),
    ("Granskolan", "Södra", "F-3", 190, None),
    ("Sjöängsskolan", "Södra", "4-9", 520, None),
    ("Sandvikskolan", "Södra", "F-6", 300, None),
    ("Lärkängsskolan", "Södra", "4-6", 240, None),
    ("Äppelgårdens skola", "Södra", "F-3", 120, None),
    ("Internationella skolan", "Södra", "F-9", 650, "Internationella Skolan i Exempellän AB"),
    ("Östra skolan", "Östra", "7-9", 390, None),
    ("Aspskolan", "Östra", "F-6", 330, None),
    ("Tallskolan", "Östra", "4-6", 210, None),
    ("Vitsippans skola", "Östra", "F-3", 150, None),
    ("Furuhällsskolan", "Östra", "F-3", 170, None),
    ("Mossvikens friskola", "Östra", "F-6", 95, "Mossvikens Friskola ek. för."),
    ("Ängsbyns skola", "Västra", "F-6", 35, None),
    ("Bergsjöskolan", "Västra", "F-6", 85, None),
    ("Västerby skola", "Västra", "F-9", 260, None),
    ("Högmossens skola", "Västra", "F-3", 48, None),
    ("Kyrkbyns friskola", "Västra", "F-6", 60, "Kyrkbyns Friskola ek. för."),
)

# (share of pupils with foreign background, share with parents with post-secondary education)
_EXEMPEL_DISTRICT_PROFILE = {
    "Centrum": (0.25, 0.55),
    "Norra": (0.55, 0.30),
    "Södra": (0.12, 0.68),
    "Östra": (0.32, 0.45),
    "Västra": (0.08, 0.40),
}

PUBLIC_LIBRARY = "Exempelkommuns stadsbibliotek"
_REASON_PUBLIC = (
    "Skolan saknar lämpliga lokaler för ett eget bibliotek. Stadsbiblioteket ligger 300 meter "
    "bort och klasserna har schemalagda besök varje vecka enligt avtal mellan barn- och "
    "utbildningsförvaltningen och kulturförvaltningen."
)
_REASON_INTEGRATED = (
    "Integrerat skol- och folkbibliotek enligt beslut i kommunfullmäktige 2017, § 84."
)
_REASON_HAGA = (
    "Hagaskolan och Lindängsskolan delar skolgård; biblioteket nås på fem minuter och "
    "samnyttjandet ger eleverna en bemannad verksamhet."
)
_REASON_TALL = (
    "Tallskolan är för liten för ett eget bemannat bibliotek; eleverna besöker Östra "
    "skolbiblioteket enligt fast schema."
)

_Z = (0.0, 0.0, 0.0, 0.0)
# Kyrkbyns friskola is deliberately served by no library: the gap should show.
# fmt: off
_EXEMPEL_LIBRARIES: tuple[_LibrarySpec, ...] = (
    _LibrarySpec(PUBLIC_LIBRARY, "public_special_reasons", None,
                 (("Stadsparksskolan", _REASON_PUBLIC),), (6.0, 0.0, 0.0, 0.0),
                 location_class=2, plan_year=2024, items_per_pupil=20.0, median_age=7.0,
                 media_per_pupil=120.0, open_hours=45.0),
    _LibrarySpec("Gymnasiebiblioteket i stadsbiblioteket", "integrated", None,
                 (("Exempelkommuns gymnasium", _REASON_INTEGRATED),), (30.0, 0.0, 10.0, 0.0),
                 location_class=2, plan_year=2021, items_per_pupil=9.0, median_age=6.5,
                 media_per_pupil=115.0, open_hours=40.0),
    _LibrarySpec("Centralskolans bibliotek", "own", "Centralskolan",
                 (("Centralskolan", None),), (20.0, 10.0, 0.0, 0.0),
                 plan_year=2020, items_per_pupil=12.0, median_age=9.0, catalogue="SAB"),
    _LibrarySpec("Domkyrkoskolans bibliotek", "own", "Domkyrkoskolan",
                 (("Domkyrkoskolan", None),), (0.0, 10.0, 0.0, 0.0), plan_year=2025),
    _LibrarySpec("Kvarnskolans bibliotek", "own", "Kvarnskolan",
                 (("Kvarnskolan", None),), (0.0, 0.0, 5.0, 0.0), median_age=15.0),
    _LibrarySpec("Tallbackaskolans bibliotek", "own", "Tallbackaskolan",
                 (("Tallbackaskolan", None),), (0.0, 4.0, 0.0, 0.0),
                 plan_year=2023, items_per_pupil=25.0),
    _LibrarySpec("Fria Läroverket Centrums bibliotek", "own", "Fria Läroverket Centrum",
                 (("Fria Läroverket Centrum", None),), (0.0, 0.0, 0.0, 10.0), plan_year=2025),
    _LibrarySpec("Norra skolbiblioteket", "shared", "Lindängsskolan",
                 (("Lindängsskolan", None), ("Hagaskolan", _REASON_HAGA),
                  ("Rönnbäcksskolan", None)), (40.0, 0.0, 0.0, 0.0),
                 location_class=2, plan_year=2019, items_per_pupil=7.0, median_age=4.0,
                 media_per_pupil=140.0, catalogue="SAB"),
    # a librarian is hired in 2023
    _LibrarySpec("Björkskolans bibliotek", "own", "Björkskolan",
                 (("Björkskolan", None),), (30.0, 0.0, 0.0, 0.0),
                 hours_before=(0.0, 8.0, 0.0, 0.0), change_year=2023, plan_year=2025,
                 median_age=11.0),
    _LibrarySpec("Norrbyskolans bibliotek", "own", "Norrbyskolan",
                 (("Norrbyskolan", None),), (0.0, 20.0, 0.0, 0.0), plan_year=2023),
    _LibrarySpec("Montessoriskolan Humlans bokrum", "book_room", "Montessoriskolan Humlan",
                 (("Montessoriskolan Humlan", None),), _Z, median_age=16.0),
    _LibrarySpec("Ekbackeskolans bibliotek", "own", "Ekbackeskolan",
                 (("Ekbackeskolan", None),), (0.0, 0.0, 10.0, 0.0), plan_year=2025),
    _LibrarySpec("Solbergaskolans bibliotek", "own", "Solbergaskolan",
                 (("Solbergaskolan", None),), (20.0, 0.0, 15.0, 0.0),
                 plan_year=2022, items_per_pupil=9.0, median_age=7.0, catalogue="DDC"),
    _LibrarySpec("Granskolans bibliotek", "own", "Granskolan",
                 (("Granskolan", None),), (0.0, 6.0, 0.0, 0.0)),
    # hours are cut in 2022
    _LibrarySpec("Sjöängsskolans bibliotek", "own", "Sjöängsskolan",
                 (("Sjöängsskolan", None),), (20.0, 0.0, 0.0, 0.0),
                 hours_before=(40.0, 0.0, 0.0, 0.0), change_year=2022, plan_year=2020),
    _LibrarySpec("Sandvikskolans bibliotek", "own", "Sandvikskolan",
                 (("Sandvikskolan", None),), _Z, median_age=18.0, media_per_pupil=40.0),
    _LibrarySpec("Internationella skolans bibliotek", "own", "Internationella skolan",
                 (("Internationella skolan", None),), (20.0, 0.0, 0.0, 0.0), plan_year=2024),
    _LibrarySpec("Lärkängsskolans bibliotek", "own", "Lärkängsskolan",
                 (("Lärkängsskolan", None),), (0.0, 10.0, 0.0, 0.0), plan_year=2025),
    _LibrarySpec("Äppelgårdens bokrum", "book_room", "Äppelgårdens skola",
                 (("Äppelgårdens skola", None),), _Z, median_age=23.0),
    _LibrarySpec("Östra skolbiblioteket", "shared", "Östra skolan",
                 (("Östra skolan", None), ("Tallskolan", _REASON_TALL),
                  ("Vitsippans skola", None)), (20.0, 0.0, 10.0, 0.0),
                 location_class=2, plan_year=2025),
    _LibrarySpec("Aspskolans bibliotek", "own", "Aspskolan",
                 (("Aspskolan", None),), (0.0, 8.0, 4.0, 0.0)),
    _LibrarySpec("Furuhällsskolans bokrum", "book_room", "Furuhällsskolan",
                 (("Furuhällsskolan", None),), _Z, median_age=19.0),
    _LibrarySpec("Mossvikens friskolas bokrum", "book_room", "Mossvikens friskola",
                 (("Mossvikens friskola", None),), _Z),
    _LibrarySpec("Ängsbyns skolbibliotek", "own", "Ängsbyns skola",
                 (("Ängsbyns skola", None),), (0.0, 2.0, 0.0, 0.0),
                 items_per_pupil=25.0, median_age=24.0),
    _LibrarySpec("Bergsjöskolans bibliotek", "own", "Bergsjöskolan",
                 (("Bergsjöskolan", None),), (0.0, 4.0, 0.0, 0.0), median_age=14.0),
    _LibrarySpec("Västerby skolbibliotek", "own", "Västerby skola",
                 (("Västerby skola", None),), (10.0, 0.0, 0.0, 0.0),
                 plan_year=2025, median_age=10.0),
    _LibrarySpec("Högmossens bokrum", "book_room", "Högmossens skola",
                 (("Högmossens skola", None),), _Z, median_age=26.0),
)

_OTHER_SCHOOL_NAMES = (
    "Ekskolan", "Granbackaskolan", "Hasselskolan", "Kastanjeskolan", "Lönnskolan",
    "Almskolan", "Videskolan", "Enebackens skola", "Ljungskolan", "Strandskolan",
    "Bäckaskolan", "Kullaskolan", "Ängsskolan", "Mosskolan", "Hedskolan", "Sjöskolan",
    "Klövervallens skola", "Solrosens skola", "Tranbärsskolan", "Kvarnbackens skola",
    "Bruksskolan", "Hamnskolan", "Skogsbrynets skola", "Åsskolan", "Dalaskolan",
    "Lärkskolan", "Näktergalens skola", "Vallaskolan", "Rosenlundsskolan", "Fyrens skola",
)
# fmt: on
_OTHER_ORGANISERS = (
    "Fria Läroverket AB",
    "Montessoriföreningen Solrosen ek. för.",
    "Byskolan i Exempellän AB",
)


# --------------------------------------------------------------------------- helpers


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _frame(rows: list[dict[str, Any]], columns: Iterable[str]) -> pd.DataFrame:
    """A frame whose integer and boolean columns with gaps are nullable (not float/object)."""
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    for column in frame.columns:
        values = [row[column] for row in rows]
        known = [v for v in values if v is not None]
        if not known or len(known) == len(values):
            continue
        if all(isinstance(v, bool) for v in known):
            frame[column] = frame[column].astype("boolean")
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in known):
            frame[column] = frame[column].astype("Int64")
    return frame


def _wkt(geometry: shapely.Geometry) -> str:
    return shapely.to_wkt(geometry, rounding_precision=0, trim=True)


def _genitive(name: str) -> str:
    return name if name[-1] in "sxz" else f"{name}s"


def _school_code(municipality_code: str, number: int) -> str:
    return f"99{municipality_code[2:]}{number:04d}"


def _total(row: Mapping[str, Any]) -> int:
    parts = ("pupils_preschool_class", "pupils_grades_1_9", "pupils_upper_secondary")
    return int(sum(row[p] for p in parts if row[p] is not None and not pd.isna(row[p])))


# --------------------------------------------------------------------------- geography


@dataclass(frozen=True)
class _Geography:
    boundary: Polygon
    districts: dict[str, Polygon]


def _boundary(spec: _MunicipalitySpec, rng: np.random.Generator) -> Polygon:
    """A star-shaped outline: radii vary smoothly by up to 12 % around the centre."""
    angles = np.linspace(0.0, 2.0 * np.pi, 36, endpoint=False)
    noise = rng.normal(0.0, 1.0, angles.size)
    smooth = (np.roll(noise, 1) + noise + np.roll(noise, -1)) / 3.0
    radii = spec.radius * (1.0 + 0.08 * np.clip(smooth, -1.5, 1.5))
    xs = np.round(spec.centre[0] + radii * np.cos(angles))
    ys = np.round(spec.centre[1] + radii * np.sin(angles))
    return Polygon(np.column_stack([xs, ys]))


def _district_polygons(spec: _MunicipalitySpec, boundary: Polygon) -> dict[str, Polygon]:
    """Voronoi cells of the district centres, clipped to the boundary and snapped to 1 m."""
    seeds = [Point(spec.centre[0] + dx, spec.centre[1] + dy) for _, (dx, dy) in spec.districts]
    cells = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=boundary)
    polygons = {}
    for (name, _), seed in zip(spec.districts, seeds, strict=True):
        cell = next(c for c in cells.geoms if c.contains(seed))
        polygons[name] = shapely.set_precision(cell.intersection(boundary), 1.0)
    return polygons


def _geography(seed: int) -> dict[str, _Geography]:
    rng = _rng(seed, 1)
    result = {}
    for spec in MUNICIPALITIES:
        boundary = _boundary(spec, rng)
        result[spec.code] = _Geography(boundary, _district_polygons(spec, boundary))
    return result


def _points_in(polygon: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points at least 300 m inside ``polygon``, rounded to 0.1 m."""
    inner = polygon.buffer(-300.0)
    minx, miny, maxx, maxy = inner.bounds
    found = np.empty((0, 2))
    while len(found) < n:
        candidates = np.round(rng.uniform([minx, miny], [maxx, maxy], size=(4 * n + 8, 2)), 1)
        inside = shapely.contains_xy(inner, candidates[:, 0], candidates[:, 1])
        found = np.vstack([found, candidates[inside]])
    return found[:n]


def _public_library_point() -> tuple[float, float]:
    """The public library stands in the town centre, a few hundred metres from the square."""
    return (_EXEMPEL.centre[0] + 240.0, _EXEMPEL.centre[1] + 130.0)


# --------------------------------------------------------------------------- schools


def _school_specs(seed: int) -> list[_SchoolSpec]:
    rng = _rng(seed, 2)
    specs = [
        _SchoolSpec(
            _school_code(_EXEMPEL.code, number),
            name,
            _EXEMPEL.code,
            district,
            stage,
            pupils,
            organiser,
        )
        for number, (name, district, stage, pupils, organiser) in enumerate(
            _EXEMPEL_SCHOOLS, start=1
        )
    ]
    total = sum(spec.schools for spec in _OTHERS)
    names = list(rng.choice(np.array(_OTHER_SCHOOL_NAMES, dtype=object), total, replace=False))
    for spec in _OTHERS:
        chosen, names = names[: spec.schools], names[spec.schools :]
        specs.extend(_generated_schools(spec, chosen, rng))
    return specs


def _generated_schools(
    spec: _MunicipalitySpec, names: list[str], rng: np.random.Generator
) -> list[_SchoolSpec]:
    pool = ["F-6", "F-6", "F-6", "F-3", "4-6", "F-9", "4-9"]
    drawn = rng.choice(pool, spec.schools - len(spec.fixed_stages))
    stages = [*spec.fixed_stages, *(str(s) for s in drawn)]
    districts = [name for name, _ in spec.districts]
    schools = []
    for number, (name, stage) in enumerate(zip(names, stages, strict=True), start=1):
        low, high = _STAGE_PUPILS[stage]
        independent = number > spec.schools - spec.independent
        organiser = str(rng.choice(_OTHER_ORGANISERS)) if independent else None
        schools.append(
            _SchoolSpec(
                _school_code(spec.code, number),
                str(name),
                spec.code,
                districts[(number - 1) % len(districts)],
                stage,
                int(rng.integers(low, high + 1)),
                organiser,
            )
        )
    return schools


def _school_frame(
    schools: list[_SchoolSpec], geography: Mapping[str, _Geography], seed: int
) -> pd.DataFrame:
    rng = _rng(seed, 3)
    organisers = {spec.code: spec.organiser for spec in MUNICIPALITIES}
    points = _school_points(schools, geography, rng)
    rows = []
    for school in schools:
        preschool, grades = STAGES[school.stage]
        x, y = points[school.code]
        rows.append(
            {
                "school_unit_code": school.code,
                "name": school.name,
                "municipality_code": school.municipality_code,
                "district": school.district,
                "organiser_type": "independent" if school.organiser else "municipal",
                "organiser": school.organiser or organisers[school.municipality_code],
                "has_preschool_class": preschool,
                "has_grades_1_3": any(g <= 3 for g in grades),
                "has_grades_4_6": any(4 <= g <= 6 for g in grades),
                "has_grades_7_9": any(g >= 7 for g in grades),
                "has_upper_secondary": school.stage == "Gy",
                "has_adapted": school.stage == "Anp",
                "x": float(x),
                "y": float(y),
            }
        )
    return _frame(rows, rows[0].keys())


def _school_points(
    schools: list[_SchoolSpec], geography: Mapping[str, _Geography], rng: np.random.Generator
) -> dict[str, tuple[float, float]]:
    by_district: dict[tuple[str, str], list[str]] = {}
    for school in schools:
        by_district.setdefault((school.municipality_code, school.district), []).append(school.code)
    points = {}
    for (municipality, district), codes in by_district.items():
        polygon = geography[municipality].districts[district]
        for code, (x, y) in zip(codes, _points_in(polygon, len(codes), rng), strict=True):
            points[code] = (float(x), float(y))
    return points


def _school_year_frame(schools: list[_SchoolSpec], seed: int) -> pd.DataFrame:
    rng = _rng(seed, 4)
    profiles = _district_profiles(rng)
    rows = []
    for school in schools:
        base_fb, base_ps = _school_profile(
            profiles[(school.municipality_code, school.district)], rng
        )
        for year, factor in zip(YEARS, _drift(rng), strict=True):
            total = max(20, round(school.pupils * factor))
            row = {"school_unit_code": school.code, "year": year}
            row.update(_pupil_counts(school.stage, total, rng))
            fb = float(np.clip(base_fb + 0.004 * (year - LAST_YEAR) + rng.normal(0, 0.01), 0, 1))
            ps = float(np.clip(base_ps + rng.normal(0, 0.01), 0, 1))
            row["share_foreign_background"] = round(fb, 3)
            row["share_parents_post_secondary"] = round(ps, 3)
            rows.append(row)
    return _frame(rows, rows[0].keys())


def _district_profiles(rng: np.random.Generator) -> dict[tuple[str, str], tuple[float, float]]:
    profiles = {(_EXEMPEL.code, d): p for d, p in _EXEMPEL_DISTRICT_PROFILE.items()}
    for spec in _OTHERS:
        for name, _ in spec.districts:
            foreign = float(rng.uniform(0.05, 0.35))
            profiles[(spec.code, name)] = (
                foreign,
                float(0.7 - 0.8 * foreign + rng.normal(0, 0.04)),
            )
    return profiles


def _school_profile(district: tuple[float, float], rng: np.random.Generator) -> tuple[float, float]:
    """Need inputs of a school: scattered around its district, negatively correlated."""
    foreign = float(np.clip(district[0] + rng.normal(0, 0.07), 0.01, 0.95))
    post_secondary = district[1] - 0.5 * (foreign - district[0]) + rng.normal(0, 0.04)
    return foreign, float(np.clip(post_secondary, 0.05, 0.95))


def _drift(rng: np.random.Generator) -> np.ndarray:
    """Pupil-number factors per year, exactly 1 in LAST_YEAR, a few per cent a year before."""
    steps = np.exp(rng.normal(0.0, 0.03, len(YEARS) - 1))
    factors = np.ones(len(YEARS))
    for index in range(len(YEARS) - 2, -1, -1):
        factors[index] = factors[index + 1] / steps[index]
    return np.clip(factors, 0.92, 1.06)


def _pupil_counts(stage: str, total: int, rng: np.random.Generator) -> dict[str, int | None]:
    """Split ``total`` pupils over the stage's cohorts; absent cohorts are None."""
    preschool, grades = STAGES[stage]
    cohorts = (["pupils_preschool_class"] if preschool else []) + [
        f"pupils_grade_{g}" for g in grades
    ]
    if stage == "Gy":
        cohorts = ["pupils_upper_secondary"]
    weights = rng.uniform(0.85, 1.15, len(cohorts))
    counts = rng.multinomial(total, weights / weights.sum())
    row: dict[str, int | None] = dict.fromkeys(
        ["pupils_preschool_class", "pupils_grades_1_9", "pupils_upper_secondary", *GRADE_COLUMNS]
    )
    row.update({cohort: int(count) for cohort, count in zip(cohorts, counts, strict=True)})
    if grades:
        row["pupils_grades_1_9"] = sum(int(row[f"pupils_grade_{g}"] or 0) for g in grades)
    return row


# --------------------------------------------------------------------------- libraries


def _library_specs(schools: list[_SchoolSpec], seed: int) -> list[_LibrarySpec]:
    """Every library with school names resolved to codes and random attributes filled in."""
    rng = _rng(seed, 5)
    codes = {(s.municipality_code, s.name): s.code for s in schools}
    specs = list(_EXEMPEL_LIBRARIES)
    for spec in _OTHERS:
        own = [s for s in schools if s.municipality_code == spec.code]
        specs.extend(_generated_libraries(spec, own, rng))
    return [_complete(_resolve(lib, codes), schools, rng) for lib in specs]


def _resolve(library: _LibrarySpec, codes: Mapping[tuple[str, str], str]) -> _LibrarySpec:
    municipality = library.municipality_code
    host = codes[(municipality, library.host)] if library.host else None
    serves = tuple((codes[(municipality, name)], reason) for name, reason in library.serves)
    return replace(library, host=host, serves=serves)


def _generated_libraries(
    spec: _MunicipalitySpec, schools: list[_SchoolSpec], rng: np.random.Generator
) -> list[_LibrarySpec]:
    """Own libraries, book rooms in small schools; the smallest school uses the largest one's."""
    largest = max(schools, key=lambda s: s.pupils)
    smallest = min((s for s in schools if s is not largest), key=lambda s: s.pupils)
    libraries = []
    for school in schools:
        if school is smallest:
            continue
        serves: tuple[tuple[str, str | None], ...] = ((school.name, None),)
        if school is largest:
            kind, hours = "shared", (float(rng.choice([16.0, 20.0, 30.0])), 0.0, 0.0, 0.0)
            serves = (*serves, (smallest.name, None))
        elif school.pupils < 300 and rng.random() < 0.4:
            kind, hours = "book_room", _Z  # a book room is a small school's stopgap
        else:
            kind, hours = "own", _draw_hours(rng)
        suffix = "bokrum" if kind == "book_room" else "bibliotek"
        libraries.append(
            _LibrarySpec(
                f"{_genitive(school.name)} {suffix}",
                kind,
                school.name,
                serves,
                hours,
                location_class=2 if kind == "shared" else 1,
                plan_year=None if kind == "book_room" else _draw_plan_year(rng),
                municipality_code=spec.code,
            )
        )
    return libraries


def _draw_hours(rng: np.random.Generator) -> tuple[float, float, float, float]:
    total = float(rng.choice([0.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0, 30.0]))
    category = int(rng.choice(4, p=[0.35, 0.35, 0.2, 0.1]))
    hours = [0.0, 0.0, 0.0, 0.0]
    hours[category] = total
    return (hours[0], hours[1], hours[2], hours[3])


def _draw_plan_year(rng: np.random.Generator) -> int | None:
    choice = int(rng.choice([2019, 2021, 2023, 2025, 0]))
    return choice or None


def _complete(
    library: _LibrarySpec, schools: list[_SchoolSpec], rng: np.random.Generator
) -> _LibrarySpec:
    """Fill the attributes a specification leaves open with draws of plausible values."""
    book_room = library.kind == "book_room"
    staffed = min(sum(library.hours), 20.0)
    # every library draws all four, so a fixed value in one spec does not shift the others
    drawn = {
        "items_per_pupil": rng.uniform(3, 6) if book_room else rng.uniform(6, 16),
        "median_age": rng.uniform(14, 22) if book_room else rng.uniform(5, 16 - staffed / 4),
        "media_per_pupil": (
            rng.uniform(15, 45) if book_room else math.exp(rng.normal(math.log(112), 0.4))
        ),
        "open_hours": float(rng.integers(28, 39)),
    }
    missing = {
        name: round(float(value), 1)
        for name, value in drawn.items()
        if getattr(library, name) is None
    }
    return replace(library, **missing, stage_mix=_stage_mix(library, schools))


def _stage_mix(library: _LibrarySpec, schools: list[_SchoolSpec]) -> tuple[float, ...]:
    """Category shares of physical holdings, pupil-weighted over the schools served."""
    by_code = {s.code: s for s in schools}
    served = [by_code[code] for code, _ in library.serves]
    weights = np.array([s.pupils for s in served], dtype=float)
    mixes = np.array([_STAGE_MIX[s.stage] for s in served])
    mix = (weights[:, None] * mixes).sum(axis=0)
    return tuple(float(share) for share in mix / mix.sum())


def _library_frame(
    libraries: list[_LibrarySpec], schools: pd.DataFrame, public_point: tuple[float, float]
) -> pd.DataFrame:
    location = schools.set_index("school_unit_code")[["x", "y"]]
    rows = []
    for library in libraries:
        if library.host is None:
            x, y = public_point
        else:
            x, y = (float(v) for v in location.loc[library.host])
        rows.append(
            {
                "name": library.name,
                "municipality_code": library.municipality_code,
                "kind": library.kind,
                "location_class": library.location_class,
                "host_school_code": library.host,
                "x": x,
                "y": y,
            }
        )
    return _frame(rows, rows[0].keys())


def _library_school_frame(libraries: list[_LibrarySpec]) -> pd.DataFrame:
    rows = [
        {
            "library": library.name,
            "municipality_code": library.municipality_code,
            "school_unit_code": code,
            "special_reasons": reason,
        }
        for library in libraries
        for code, reason in library.serves
    ]
    return _frame(rows, rows[0].keys())


def _pupils_served(
    libraries: list[_LibrarySpec], school_year: pd.DataFrame
) -> dict[tuple[str, str, int], int]:
    """(municipality code, library name, year) -> pupils of the schools it serves."""
    totals = {
        (row["school_unit_code"], int(row["year"])): _total(row)
        for row in school_year.to_dict("records")
    }
    return {
        (*_key(library), year): sum(totals[(code, year)] for code, _ in library.serves)
        for library in libraries
        for year in YEARS
    }


def _key(library: _LibrarySpec) -> tuple[str, str]:
    return (library.municipality_code, library.name)


def _hours_in(library: _LibrarySpec, year: int) -> tuple[float, float, float, float]:
    if library.change_year is not None and year < library.change_year:
        return library.hours_before or library.hours
    return library.hours


def _library_year_frame(
    libraries: list[_LibrarySpec], pupils: Mapping[tuple[str, str, int], int], seed: int
) -> pd.DataFrame:
    rng = _rng(seed, 6)
    rows = []
    for library in libraries:
        fixed = _library_constants(library, pupils[(*_key(library), LAST_YEAR)], rng)
        for year in YEARS:
            rows.append(
                _library_year_row(library, year, pupils[(*_key(library), year)], fixed, rng)
            )
    return _frame(rows, rows[0].keys())


def _library_constants(
    library: _LibrarySpec, pupils: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Premises and equipment, which rarely change from year to year."""
    if library.kind == "public_special_reasons":
        area = 1400.0
    elif library.kind == "book_room":
        area = float(rng.integers(8, 26))
    else:
        area = float(np.clip(round(40 + 0.12 * pupils * rng.uniform(0.7, 1.3)), 20, 250))
    staffed = sum(library.hours)
    return {
        "area_m2": area,
        "seats": int(min(round(area / 4), 120)),
        "pupil_computers": 0 if library.kind == "book_room" else int(rng.integers(0, 9)),
        "loan_rate": 11.0 * (0.4 + staffed / 25.0) * math.exp(rng.normal(0, 0.3)),
        "physical_share": float(rng.uniform(0.75, 0.95)),
        "minority": bool(rng.random() < (0.7 if staffed >= 10 else 0.3)),
        "adapted": bool(rng.random() < (0.9 if staffed >= 10 else 0.5)),
    }


def _catalogue_kind(library: _LibrarySpec, staffed: float) -> str:
    if library.kind == "book_room":
        return "none"
    if library.kind in ("integrated", "public_special_reasons") or staffed >= 10:
        return "digital_pupils"
    return "digital_staff" if staffed > 0 else "manual"


def _open_hours(library: _LibrarySpec, staffed: float, rng: np.random.Generator) -> dict:
    """Open hours split into staffed for all, staffed for classes only and unstaffed."""
    total = library.open_hours + float(rng.integers(-1, 2))
    if library.kind == "public_special_reasons":
        return {
            "open_hours_staffed_all": total,
            "open_hours_staffed_classes": 2.0,
            "open_hours_unstaffed": 0.0,
        }
    staffed_all = min(round(staffed * 0.7 * 2) / 2, total)
    classes = min(round(staffed * 0.15 * 2) / 2, total - staffed_all)
    return {
        "open_hours_staffed_all": staffed_all,
        "open_hours_staffed_classes": classes,
        "open_hours_unstaffed": total - staffed_all - classes,
    }


def _library_year_row(
    library: _LibrarySpec,
    year: int,
    pupils: int,
    fixed: Mapping[str, Any],
    rng: np.random.Generator,
) -> dict[str, Any]:
    hours = _hours_in(library, year)
    staffed = sum(hours)
    media = round(library.media_per_pupil * pupils * math.exp(rng.normal(0, 0.1)), -2)
    physical = round(media * fixed["physical_share"], -2)
    catalogue = _catalogue_kind(library, staffed)
    loans = (
        None
        if catalogue in ("none", "manual")
        else round(pupils * fixed["loan_rate"] * math.exp(rng.normal(0, 0.08)))
    )
    plan: bool | None
    if library.plan_year is not None:
        plan = year >= library.plan_year
    else:
        plan = False if year >= 2023 else None  # not asked before the 2023 inventory
    return {
        "library": library.name,
        "municipality_code": library.municipality_code,
        "year": year,
        **dict(zip(STAFF_COLUMNS, hours, strict=True)),
        **_open_hours(library, staffed, rng),
        "area_m2": fixed["area_m2"],
        "seats": fixed["seats"],
        "pupil_computers": fixed["pupil_computers"],
        "media_cost_physical_sek": int(physical),
        "media_cost_emedia_sek": int(media - physical),
        "loans": loans,
        "catalogue_kind": catalogue,
        "library_plan_adopted": plan,
        "talking_book_permit": None if rng.random() < 0.04 else staffed >= 10,
        "minority_language_titles": fixed["minority"],
        "other_language_titles": library.kind != "book_room",
        "adapted_media": fixed["adapted"],
    }


# --------------------------------------------------------------------------- collections


def _recent_share(age: float) -> float:
    """Share published in the last 10 years when ages are exponential with median ``age``."""
    return 1.0 - 2.0 ** (-10.0 / age)


def _collection_frame(
    libraries: list[_LibrarySpec], pupils: Mapping[tuple[str, str, int], int], seed: int
) -> pd.DataFrame:
    rng = _rng(seed, 7)
    rows = []
    for library in libraries:
        rows.extend(_collection_rows(library, pupils[(*_key(library), LAST_YEAR)], rng))
    return _frame(rows, rows[0].keys())


def _category_items(library: _LibrarySpec, pupils: int, rng: np.random.Generator) -> np.ndarray:
    """Holdings per category in LAST_YEAR; book rooms stay under 1,000 items."""
    physical = round(library.items_per_pupil * pupils)
    if library.kind == "book_room":
        physical = int(np.clip(physical, 150, 950))
    counts = rng.multinomial(physical, library.stage_mix)
    e_share = 0.0 if library.kind == "book_room" else rng.uniform(0.0, 0.06)
    return np.append(counts, round(physical * e_share))


def _collection_rows(
    library: _LibrarySpec, pupils: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Stock flows per category, run backwards from LAST_YEAR so that year's totals are exact."""
    age = library.median_age
    renew = float(np.clip(0.16 - 0.0065 * age, 0.01, 0.16))
    ageing = float(np.clip((age - 4.0) / 12.0, 0.0, 1.0))  # stale stock ages a year a year
    rows = []
    for category, items, relative in zip(
        CATEGORIES, _category_items(library, pupils, rng), _CATEGORY_AGE, strict=True
    ):
        category_age = age * relative * rng.uniform(0.95, 1.05)
        stock = int(items)
        for year in reversed(YEARS):
            acquired = round(stock * renew * rng.uniform(0.7, 1.3))
            weeded = round(stock * renew * rng.uniform(0.4, 1.0))
            year_age = max(category_age - ageing * (LAST_YEAR - year), 0.5)
            rows.append(
                {
                    "library": library.name,
                    "municipality_code": library.municipality_code,
                    "year": year,
                    "category": category,
                    "items": stock,
                    "items_last_10_years": round(stock * _recent_share(year_age)),
                    "median_publication_year": round(year - year_age) if stock else None,
                    "acquisitions": acquired,
                    "weeded": weeded,
                }
            )
            stock = max(stock - acquired + weeded, 0)
    rows.sort(key=lambda r: (r["year"], CATEGORIES.index(r["category"])))
    return rows


# --------------------------------------------------------------------------- catalogue

_LANGUAGES_OTHER = np.array(["ara", "som", "fin", "eng", "per", "tir", "ukr", "pol", "spa", "sme"])
# fmt: off
_TITLE_FICTION = (
    ("Den hemliga", "Det stora", "Resan till", "Sagan om", "Flickan från", "Pojken i",
     "Nattens", "Vägen till", "Sommaren på", "Mysteriet med"),
    ("skogen", "havet", "staden", "draken", "stjärnorna", "ön", "fyren", "vinden", "spegeln",
     "vulkanen", "tornet", "kompassen"),
)
_TITLE_FACT = (
    ("Allt om", "Fakta om", "Upptäck", "Lär dig om", "Boken om", "Min första bok om"),
    ("dinosaurier", "rymden", "kroppen", "Sveriges historia", "klimatet", "programmering",
     "vikingarna", "hästar", "demokrati", "källkritik", "insekter", "vulkaner"),
)
# fmt: on
_CLASSES = {
    "SAB": {
        "fiction": ("Hc", "Hce", "Hcg"),
        "non_fiction": ("Ab", "Dg", "Ea", "Ga", "Kc", "Ne", "Oc", "Pb", "Ub", "Vm"),
        "picture_books": ("uHcf",),
        "easy_read": ("uHc",),
        "other_languages": ("Hce", "Hcg", "Hci"),
        "audiobooks": ("Hc/LC",),
        "e_books": ("Hc/DF",),
    },
    "DDC": {
        "fiction": ("839.73", "823", "839.82"),
        "non_fiction": ("004", "133", "306", "363.7", "523", "567.9", "599", "612", "948.5"),
        "picture_books": ("839.73",),
        "easy_read": ("839.73",),
        "other_languages": ("892.7", "893.5", "894.541", "891.7"),
        "audiobooks": ("839.73",),
        "e_books": ("839.73",),
    },
}
_MEDIA_TYPE = {"audiobooks": "audiobook", "e_books": "e-book"}


def _catalogue_frame(
    libraries: list[_LibrarySpec], collections: pd.DataFrame, seed: int
) -> pd.DataFrame:
    rng = _rng(seed, 8)
    last = collections[collections["year"] == LAST_YEAR]
    frames = []
    for number, library in enumerate(libraries, start=1):
        if library.catalogue is None:
            continue
        holdings = last[
            (last["library"] == library.name)
            & (last["municipality_code"] == library.municipality_code)
        ]
        frames.append(_library_catalogue(library, number, holdings, rng))
    return pd.concat(frames, ignore_index=True)


def _library_catalogue(
    library: _LibrarySpec, number: int, holdings: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Items per category as counted in the library's collection rows for LAST_YEAR."""
    parts = []
    for row in holdings.sort_values("category").to_dict("records"):
        count = int(row["items"])
        if count:
            parts.append(_category_catalogue(library, row["category"], count, row, rng))
    items = pd.concat(parts, ignore_index=True)
    items.insert(0, "item_key", [f"{1000 + number}{i:06d}" for i in range(1, len(items) + 1)])
    items.insert(0, "municipality_code", library.municipality_code)
    items.insert(0, "library", library.name)
    return items


def _category_catalogue(
    library: _LibrarySpec,
    category: str,
    count: int,
    holding: Mapping[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    median_age = max(LAST_YEAR - float(holding["median_publication_year"]), 0.5)
    ages = np.minimum(np.floor(rng.exponential(median_age / math.log(2), count)), 60).astype(int)
    years = LAST_YEAR - ages
    classes = _CLASSES[str(library.catalogue)][category]
    return pd.DataFrame(
        {
            "title": _titles(category, count, rng),
            "classification_system": library.catalogue,
            "classification": np.asarray(classes, dtype=object)[
                rng.integers(0, len(classes), count)
            ],
            "publication_year": years,
            "language": _languages(category, count, rng),
            "media_type": _MEDIA_TYPE.get(category, "book"),
            "last_loan_date": _last_loans(years, ages, rng),
            "category": category,
        }
    )


def _titles(category: str, count: int, rng: np.random.Generator) -> list[str]:
    first, second = _TITLE_FACT if category == "non_fiction" else _TITLE_FICTION
    a = rng.integers(0, len(first), count)
    b = rng.integers(0, len(second), count)
    volume = rng.integers(1, 9, count)
    return [
        f"{first[i]} {second[j]} {v}" if v > 5 else f"{first[i]} {second[j]}"
        for i, j, v in zip(a, b, volume, strict=True)
    ]


def _languages(category: str, count: int, rng: np.random.Generator) -> np.ndarray:
    if category == "other_languages":
        return _LANGUAGES_OTHER[rng.integers(0, len(_LANGUAGES_OTHER), count)].astype(object)
    english = rng.random(count) < (0.08 if category == "fiction" else 0.02)
    return np.where(english, "eng", "swe").astype(object)


def _last_loans(years: np.ndarray, ages: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Date of the latest loan, or None for items not lent in ten years (or never)."""
    export = np.datetime64(CATALOGUE_EXPORT_DATE, "D")
    days = np.floor(rng.exponential(150.0 + 60.0 * ages)).astype("int64")
    first_day = (years - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    earliest = (first_day - export).astype("int64")
    dates = export - days.astype("timedelta64[D]")
    lent = (days < 3650) & (days <= -earliest) & (rng.random(years.size) > 0.05)
    result = dates.astype(object)
    result[~lent] = None
    return result


def _sync_collections(collections: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Make LAST_YEAR's recent-item counts and median years agree with the item export."""
    recent = catalogue["publication_year"] > LAST_YEAR - 10
    stats = (
        catalogue.assign(recent=recent)
        .groupby(["library", "municipality_code", "category"])
        .agg(
            recent=("recent", "sum"),
            median=("publication_year", lambda s: int(np.sort(s.to_numpy())[(len(s) - 1) // 2])),
        )
    )
    result = collections.copy()
    for (library, municipality, category), row in stats.iterrows():
        mask = (
            (result["library"] == library)
            & (result["municipality_code"] == municipality)
            & (result["category"] == category)
            & (result["year"] == LAST_YEAR)
        )
        result.loc[mask, "items_last_10_years"] = int(row["recent"])
        result.loc[mask, "median_publication_year"] = int(row["median"])
    return result


# --------------------------------------------------------------------------- plans and activity


def _resource_centre_frame(
    schools: list[_SchoolSpec], school_year: pd.DataFrame, seed: int
) -> pd.DataFrame:
    rng = _rng(seed, 9)
    totals = {
        (row["school_unit_code"], int(row["year"])): _total(row)
        for row in school_year.to_dict("records")
    }
    rows = []
    for spec in MUNICIPALITIES:
        codes = [s.code for s in schools if s.municipality_code == spec.code]
        for year in YEARS:
            pupils = sum(totals[(code, year)] for code in codes)
            rows.append(_activity_row(spec.code, None, year, pupils, len(codes) * 6, rng))
            if spec.code == DEMO_MUNICIPALITY_CODE:
                rows.extend(
                    _activity_row(spec.code, code, year, totals[(code, year)], 12, rng)
                    for code in codes
                )
    return _frame(rows, rows[0].keys())


def _activity_row(
    municipality: str,
    school: str | None,
    year: int,
    pupils: int,
    reach: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    participants = int(rng.integers(0, reach + 1))
    return {
        "municipality_code": municipality,
        "school_unit_code": school,
        "year": year,
        "av_media_loans": round(pupils * rng.uniform(0.1, 0.4)),
        "technology_loans": round(pupils * rng.uniform(0.0, 0.05)),
        "training_participants": participants,
        "training_hours": round(participants * float(rng.uniform(1.5, 4.0)), 1),
    }


def _action_plan_frame(
    schools: list[_SchoolSpec], libraries: list[_LibrarySpec], seed: int
) -> pd.DataFrame:
    """Plans per school for 2023-2025; the library plan follows the serving library's."""
    rng = _rng(seed, 10)
    plan_years: dict[str, int | None] = {}
    for library in libraries:
        for code, _ in library.serves:
            plan_years.setdefault(code, library.plan_year)
    domains = {spec.code: spec.domain for spec in MUNICIPALITIES}
    rows = []
    for school in schools:
        starts = {
            "library_plan": plan_years.get(school.code),
            "reading_promotion": _draw_start(rng),
            "media_information_literacy": _draw_start(rng),
        }
        for kind, start in starts.items():
            adopted = _adoption_date(start, rng)
            link = f"https://{domains[school.municipality_code]}/skolbibliotek/{school.code}/{kind}.pdf"
            for year in (2023, 2024, 2025):
                rows.append(_plan_row(school.code, kind, year, start, adopted, link))
    return _frame(rows, rows[0].keys())


def _draw_start(rng: np.random.Generator) -> int | None:
    start = int(rng.choice([2018, 2021, 2023, 2024, 2025, 0]))
    return start or None


def _adoption_date(start: int | None, rng: np.random.Generator) -> date | None:
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    return date(start, month, day) if start is not None else None


def _plan_row(
    code: str, kind: str, year: int, start: int | None, adopted: date | None, link: str
) -> dict[str, Any]:
    if start is None or year < start - 1:
        status = "missing"
    elif year == start - 1:
        status = "draft"
    elif kind == "library_plan" and start <= 2020 and year == LAST_YEAR:
        status = "under_revision"  # old plans are revised for the 2025 law
    else:
        status = "adopted"
    return {
        "school_unit_code": code,
        "year": year,
        "kind": kind,
        "status": status,
        "adopted_date": adopted if status == "adopted" else None,
        "document_link": link if status in ("adopted", "under_revision") else None,
    }


# --------------------------------------------------------------------------- surveys

SURVEY_TITLE = "Skolbiblioteksenkät Exempelkommun"
_QUESTIONS = (
    (
        "open_hours",
        "Skolbiblioteket är öppet när eleverna behöver det.",
        "The school library is open when pupils need it.",
        "likert",
    ),
    (
        "staff",
        "Det finns personal i biblioteket som kan hjälpa eleverna.",
        "There are staff in the library who can help pupils.",
        "likert",
    ),
    (
        "collection",
        "Utbudet av böcker och medier motsvarar elevernas behov.",
        "The range of books and media meets pupils' needs.",
        "likert",
    ),
    (
        "reading",
        "Biblioteket bidrar till elevernas läsande.",
        "The library contributes to pupils' reading.",
        "likert",
    ),
    (
        "mil",
        "Biblioteket stödjer undervisningen i medie- och informationskunnighet.",
        "The library supports teaching in media and information literacy.",
        "likert",
    ),
    (
        "improve",
        "Vad skulle göra skolbiblioteket bättre?",
        "What would make the school library better?",
        "text",
    ),
)
_FREE_TEXT = (
    "Fler böcker på andra språk.",
    "Längre öppettider.",
    "Att biblioteket är bemannat hela dagen.",
    "Fler nya böcker.",
    "Lugnare miljö och fler sittplatser.",
    "Mer samarbete mellan lärare och bibliotekarie.",
    "Fler lättlästa böcker.",
    "Fler ljudböcker.",
    "Biblioteket är bra som det är.",
    "Vi har inget riktigt bibliotek, bara en hylla i korridoren.",
)
_ROLES = np.array(["pupil", "teacher", "principal", "librarian"])
_RESPONDENTS = {2024: 70, 2025: 90}


def _survey_frames(
    schools: list[_SchoolSpec], libraries: list[_LibrarySpec], seed: int
) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, 11)
    survey = _frame(
        [
            {
                "title": SURVEY_TITLE,
                "year": year,
                "audience": "Elever, lärare, rektorer och bibliotekspersonal",
                "published": True,
            }
            for year in _RESPONDENTS
        ],
        ["title", "year", "audience", "published"],
    )
    questions = _frame(
        [
            {
                "survey_title": SURVEY_TITLE,
                "survey_year": year,
                "code": code,
                "text_sv": sv,
                "text_en": en,
                "kind": kind,
            }
            for year in _RESPONDENTS
            for code, sv, en, kind in _QUESTIONS
        ],
        ["survey_title", "survey_year", "code", "text_sv", "text_en", "kind"],
    )
    answers = [
        answer
        for year, count in _RESPONDENTS.items()
        for answer in _survey_answers(year, count, schools, libraries, rng)
    ]
    return {
        "survey": survey,
        "survey_question": questions,
        "survey_answer": _frame(answers, answers[0].keys()),
    }


def _survey_answers(
    year: int,
    respondents: int,
    schools: list[_SchoolSpec],
    libraries: list[_LibrarySpec],
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    """Answers lean positive where the school's library is well staffed."""
    local = [s for s in schools if s.municipality_code == DEMO_MUNICIPALITY_CODE]
    staffing: dict[str, float] = {}
    for library in libraries:
        for code, _ in library.serves:
            staffing.setdefault(code, sum(_hours_in(library, year)))
    weights = np.array([s.pupils for s in local], dtype=float)
    picks = rng.choice(len(local), respondents, p=weights / weights.sum())
    roles = rng.choice(_ROLES, respondents, p=[0.5, 0.3, 0.08, 0.12])
    rows = []
    for number, (pick, role) in enumerate(zip(picks, roles, strict=True), start=1):
        school = local[int(pick)]
        mean = 2.1 + 2.4 * min(staffing.get(school.code, 0.0), 40.0) / 40.0
        for code, _, _, kind in _QUESTIONS:
            if rng.random() < (0.35 if kind == "text" else 0.04):
                continue  # skipped question
            likert = int(np.clip(round(rng.normal(mean, 0.9)), 1, 5)) if kind == "likert" else None
            text = str(rng.choice(_FREE_TEXT)) if kind == "text" else None
            rows.append(
                {
                    "survey_title": SURVEY_TITLE,
                    "survey_year": year,
                    "question_code": code,
                    "respondent_key": f"r{number:04d}",
                    "respondent_role": str(role),
                    "school_unit_code": school.code,
                    "likert_value": likert,
                    "text_value": text,
                }
            )
    return rows


# --------------------------------------------------------------------------- pupil outcomes

#: Skolverket suppresses school-unit figures based on fewer than 10 pupils.
_MIN_RESULT_PUPILS = 10


def _school_result_frame(
    schools: list[_SchoolSpec],
    school_year: pd.DataFrame,
    libraries: list[_LibrarySpec],
    pupils: Mapping[tuple[str, str, int], int],
    seed: int,
) -> pd.DataFrame:
    """Year-9 final grades of every school unit with year 9 (adapted units excluded).

    The mean merit value follows the need inputs (parents' education up, foreign background
    down) and, weakly, the staffed library hours per 100 pupils, plus a lasting school effect
    and yearly noise. The shares are whole pupils out of the year-9 cohort, as Skolverket
    counts them; 1-4 pupils not eligible is stored as 100 % (Skolverket's "~100").
    """
    rng = _rng(seed, 12)
    need = school_year.set_index(["school_unit_code", "year"])
    provision: dict[tuple[str, int], float] = {}
    for library in libraries:
        for code, _ in library.serves:
            for year in YEARS:
                served = pupils[(*_key(library), year)]
                hours = 100.0 * sum(_hours_in(library, year)) / served if served else 0.0
                provision.setdefault((code, year), hours)
    rows = []
    for school in schools:
        if school.stage == "Anp" or 9 not in STAGES[school.stage][1]:
            continue
        lasting = rng.normal(0.0, 9.0)
        for year in YEARS:
            facts = need.loc[(school.code, year)]
            cohort = int(facts["pupils_grade_9"] or 0)
            merit = (
                228.0
                + 95.0 * (float(facts["share_parents_post_secondary"]) - 0.5)
                - 35.0 * (float(facts["share_foreign_background"]) - 0.2)
                + 3.5 * (provision.get((school.code, year), 0.0) - 4.0)
                + lasting
                + rng.normal(0.0, 6.0)
            )
            merit = float(np.clip(merit, 150.0, 300.0))
            all_subjects = float(
                np.clip(0.76 + 0.0042 * (merit - 228.0) + rng.normal(0, 0.025), 0.35, 1)
            )
            eligible = all_subjects + (1.0 - all_subjects) * float(rng.uniform(0.35, 0.65))
            row = {"school_unit_code": school.code, "year": year}
            if cohort < _MIN_RESULT_PUPILS:
                rows.append(
                    {
                        **row,
                        "pupils": None,
                        "share_all_subjects": None,
                        "share_eligible_vocational": None,
                        "mean_merit_value": None,
                        "suppressed": True,
                    }
                )
                continue
            met = round(all_subjects * cohort)
            not_eligible = cohort - max(met, round(eligible * cohort))
            rows.append(
                {
                    **row,
                    "pupils": cohort,
                    "share_all_subjects": round(met / cohort, 3),
                    "share_eligible_vocational": (
                        1.0 if 1 <= not_eligible <= 4 else round(1 - not_eligible / cohort, 3)
                    ),
                    "mean_merit_value": round(merit, 1),
                    "suppressed": False,
                }
            )
    return _frame(rows, rows[0].keys())


# --------------------------------------------------------------------------- generate


def generate(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Build the demo inventory as one DataFrame per table, keyed by natural keys.

    Parameters
    ----------
    seed
        Seed for ``numpy.random.default_rng``; the same seed always gives identical frames.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Keyed by table name (``municipality``, ``district``, ``school``, ``school_year``,
        ``library``, ``library_school``, ``library_year``, ``collection_year``,
        ``catalogue_item``, ``resource_centre_year``, ``action_plan``, ``school_result``,
        ``survey``, ``survey_question``, ``survey_answer``). References are natural keys
        (``municipality_code``, ``school_unit_code``, library name with its municipality code,
        survey title and year), never database ids.
    """
    geography = _geography(seed)
    schools = _school_specs(seed)
    libraries = _library_specs(schools, seed)
    school = _school_frame(schools, geography, seed)
    school_year = _school_year_frame(schools, seed)
    pupils = _pupils_served(libraries, school_year)
    collections = _collection_frame(libraries, pupils, seed)
    catalogue = _catalogue_frame(libraries, collections, seed)
    tables = {
        "municipality": _municipality_frame(geography),
        "district": _district_frame(geography),
        "school": school,
        "school_year": school_year,
        "library": _library_frame(libraries, school, _public_library_point()),
        "library_school": _library_school_frame(libraries),
        "library_year": _library_year_frame(libraries, pupils, seed),
        "collection_year": _sync_collections(collections, catalogue),
        "catalogue_item": catalogue.drop(columns="category"),
        "resource_centre_year": _resource_centre_frame(schools, school_year, seed),
        "action_plan": _action_plan_frame(schools, libraries, seed),
        "school_result": _school_result_frame(schools, school_year, libraries, pupils, seed),
    }
    tables.update(_survey_frames(schools, libraries, seed))
    return tables


def _municipality_frame(geography: Mapping[str, _Geography]) -> pd.DataFrame:
    rows = [
        {
            "code": spec.code,
            "name": spec.name,
            "county_code": COUNTY_CODE,
            "county": COUNTY,
            "fictional": True,
            "boundary_wkt": _wkt(geography[spec.code].boundary),
        }
        for spec in MUNICIPALITIES
    ]
    return _frame(rows, rows[0].keys())


def _district_frame(geography: Mapping[str, _Geography]) -> pd.DataFrame:
    rows = [
        {"municipality_code": spec.code, "name": name, "geometry_wkt": _wkt(polygon)}
        for spec in MUNICIPALITIES
        for name, polygon in geography[spec.code].districts.items()
    ]
    return _frame(rows, rows[0].keys())


# --------------------------------------------------------------------------- load


@dataclass
class _Keys:
    """Natural key -> database id of the rows written so far in one load."""

    municipality: dict[str, int] = field(default_factory=dict)
    district: dict[tuple[str, str], int] = field(default_factory=dict)
    school: dict[str, int] = field(default_factory=dict)
    library: dict[tuple[str, str], int] = field(default_factory=dict)
    survey: dict[tuple[str, int], int] = field(default_factory=dict)
    question: dict[tuple[str, int, str], int] = field(default_factory=dict)


def _python(value: Any) -> Any:
    """Plain Python value for validation: NA/NaN/NaT -> None, numpy scalars -> Python."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = list(frame.columns)
    return [
        {column: _python(value) for column, value in zip(columns, values, strict=True)}
        for values in frame.itertuples(index=False, name=None)
    ]


def _ref(mapping: Mapping[Any, int], key: Any, table: str, column: str, row: int) -> int | None:
    """Id of a natural key written earlier in the same load; None stays None."""
    if key is None:
        return None
    try:
        return mapping[key]
    except KeyError:
        expected = f"a {column} that is part of the loaded tables"
        raise InventoryValidationError([Problem(table, column, key, expected, row)]) from None


def _write(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]], chunk: int | None = None
) -> list[SQLModel]:
    """Insert ``rows`` through add_all, ``chunk`` rows at a time; errors number rows in ``rows``."""
    size = chunk or max(len(rows), 1)
    written: list[SQLModel] = []
    for start in range(0, len(rows), size):
        try:
            written.extend(add_all(session, model, rows[start : start + size]))
        except InventoryValidationError as exc:
            problems = [
                replace(p, row=None if p.row is None else p.row + start) for p in exc.problems
            ]
            raise InventoryValidationError(problems) from None
    return written


def _load_municipality(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    written = _write(session, Municipality, _records(frame))
    keys.municipality.update({m.code: m.id for m in written})
    return len(written)


def _load_district(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    rows = _records(frame)
    for number, row in enumerate(rows, start=1):
        row["municipality_id"] = _ref(
            keys.municipality, row.pop("municipality_code"), "district", "municipality_code", number
        )
    written = _write(session, District, rows)
    codes = {v: k for k, v in keys.municipality.items()}
    keys.district.update({(codes[d.municipality_id], d.name): d.id for d in written})
    return len(written)


def _load_school(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    rows = _records(frame)
    for number, row in enumerate(rows, start=1):
        municipality = row.pop("municipality_code")
        district = row.pop("district")
        row["municipality_id"] = _ref(
            keys.municipality, municipality, "school", "municipality_code", number
        )
        row["district_id"] = (
            None
            if district is None
            else _ref(keys.district, (municipality, district), "school", "district", number)
        )
    written = _write(session, School, rows)
    keys.school.update({s.school_unit_code: s.id for s in written})
    return len(written)


def _with_school(
    model: type[SQLModel], column: str = "school_id", nullable: bool = False
) -> Callable[[Session, pd.DataFrame, _Keys], int]:
    """Loader for a table that refers to a school (and maybe a municipality) only."""
    table = model.__tablename__

    def load_table(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
        rows = _records(frame)
        for number, row in enumerate(rows, start=1):
            code = row.pop("school_unit_code")
            if code is None and not nullable:
                raise InventoryValidationError(
                    [Problem(table, "school_unit_code", None, "a value (required)", number)]
                )
            row[column] = _ref(keys.school, code, table, "school_unit_code", number)
            if "municipality_code" in row:
                row["municipality_id"] = _ref(
                    keys.municipality,
                    row.pop("municipality_code"),
                    table,
                    "municipality_code",
                    number,
                )
        return len(_write(session, model, rows))

    return load_table


def _load_library(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    rows = _records(frame)
    for number, row in enumerate(rows, start=1):
        row["municipality_id"] = _ref(
            keys.municipality, row.pop("municipality_code"), "library", "municipality_code", number
        )
        row["host_school_id"] = _ref(
            keys.school, row.pop("host_school_code"), "library", "host_school_code", number
        )
    written = _write(session, Library, rows)
    codes = {v: k for k, v in keys.municipality.items()}
    keys.library.update({(codes[lib.municipality_id], lib.name): lib.id for lib in written})
    return len(written)


def _with_library(
    model: type[SQLModel], chunk: int | None = None
) -> Callable[[Session, pd.DataFrame, _Keys], int]:
    """Loader for a table keyed by library (name and municipality), maybe also by school."""
    table = model.__tablename__

    def load_table(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
        rows = _records(frame)
        for number, row in enumerate(rows, start=1):
            key = (row.pop("municipality_code"), row.pop("library"))
            row["library_id"] = _ref(keys.library, key, table, "library", number)
            if "school_unit_code" in row:
                row["school_id"] = _ref(
                    keys.school, row.pop("school_unit_code"), table, "school_unit_code", number
                )
        return len(_write(session, model, rows, chunk))

    return load_table


def _load_survey(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    written = _write(session, Survey, _records(frame))
    keys.survey.update({(s.title, s.year): s.id for s in written})
    return len(written)


def _load_survey_question(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    rows = _records(frame)
    surveys = []
    for number, row in enumerate(rows, start=1):
        survey = (row.pop("survey_title"), row.pop("survey_year"))
        surveys.append(survey)
        row["survey_id"] = _ref(keys.survey, survey, "survey_question", "survey_title", number)
    written = _write(session, SurveyQuestion, rows)
    for survey, question in zip(surveys, written, strict=True):
        keys.question[(*survey, question.code)] = question.id
    return len(written)


def _load_survey_answer(session: Session, frame: pd.DataFrame, keys: _Keys) -> int:
    rows = _records(frame)
    for number, row in enumerate(rows, start=1):
        survey = (row.pop("survey_title"), row.pop("survey_year"))
        question = (*survey, row.pop("question_code"))
        row["survey_id"] = _ref(keys.survey, survey, "survey_answer", "survey_title", number)
        row["question_id"] = _ref(keys.question, question, "survey_answer", "question_code", number)
        row["school_id"] = _ref(
            keys.school, row.pop("school_unit_code"), "survey_answer", "school_unit_code", number
        )
    return len(_write(session, SurveyAnswer, rows))


#: Tables in dependency order with their loaders.
_LOADERS: dict[str, Callable[[Session, pd.DataFrame, _Keys], int]] = {
    "municipality": _load_municipality,
    "district": _load_district,
    "school": _load_school,
    "school_year": _with_school(SchoolYear),
    "library": _load_library,
    "library_school": _with_library(LibrarySchool),
    "library_year": _with_library(LibraryYear),
    "collection_year": _with_library(CollectionYear),
    "catalogue_item": _with_library(CatalogueItem, chunk=CATALOGUE_CHUNK),
    "resource_centre_year": _with_school(ResourceCentreYear, nullable=True),
    "action_plan": _with_school(ActionPlan),
    "school_result": _with_school(SchoolResult),
    "survey": _load_survey,
    "survey_question": _load_survey_question,
    "survey_answer": _load_survey_answer,
}
TABLES = tuple(_LOADERS)


def load(session: Session, tables: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Write demo (or import) frames through the validating write boundary.

    Natural keys are resolved to the ids of rows written earlier in the same call, tables are
    written in dependency order and the session is flushed, not committed. When a table is
    rejected, the tables before it are still in the session: roll back.

    Parameters
    ----------
    session
        Open session; the caller commits or rolls back.
    tables
        Frames as returned by :func:`generate`; missing tables are skipped.

    Returns
    -------
    dict[str, int]
        Rows written per table name.

    Raises
    ------
    InventoryValidationError
        If a row is invalid or refers to a key that is not among the loaded tables.
    """
    keys = _Keys()
    counts = {}
    for name, loader in _LOADERS.items():
        if name in tables:
            counts[name] = loader(session, tables[name], keys)
    return counts


def load_demo(session: Session, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Generate and load the demo data once, then commit.

    Parameters
    ----------
    session
        Open session on a database with the current schema.
    seed
        Seed passed to :func:`generate`.

    Returns
    -------
    dict
        ``{"loaded": False, "counts": {}}`` when municipality ``9901`` already exists (only
        missing demo accounts are written); otherwise ``{"loaded": True, "counts": {table:
        rows}}``. Either way the demo accounts of :func:`inventory.accounts.ensure_demo_accounts`
        exist afterwards on a database with demo data only.
    """
    from inventory.accounts import ensure_demo_accounts

    statement = sa.select(Municipality.id).where(Municipality.code == DEMO_MUNICIPALITY_CODE)
    if session.execute(statement).first() is not None:
        ensure_demo_accounts(session)  # demo accounts only: a database with real data gets none
        return {"loaded": False, "counts": {}}
    counts = load(session, generate(seed))
    ensure_demo_accounts(session, commit=False)
    session.commit()
    return {"loaded": True, "counts": counts}
