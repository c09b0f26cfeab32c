"""The inventory workbook's sheets and columns: one table that the template, the import, the
export and the instructions sheet all read.

Each :class:`Sheet` is one inventory table; each :class:`Column` one column of it, with its
Swedish and English header, type, unit, allowed values (Swedish label, English label and the
code stored in the database), whether it is required and a help text in both languages that
follows KB's statistics definitions where one exists (domain-facts §1.2–1.3). References
between sheets use natural keys only (kommunkod, skolenhetskod, library name with its
kommunkod, year, category), never database ids.

Numeric bounds and text lengths are read from the table models (:mod:`inventory.models`), so
the workbook checks exactly what the write boundary checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import annotated_types
from sqlmodel import SQLModel

from inventory.models import (
    FIRST_YEAR,
    LAST_YEAR,
    ActionPlan,
    ActionPlanKind,
    ActionPlanStatus,
    CatalogueKind,
    CollectionCategory,
    CollectionYear,
    District,
    Library,
    LibraryKind,
    LibrarySchool,
    LibraryYear,
    Municipality,
    OrganiserType,
    School,
    SchoolYear,
)

Kind = Literal[
    "text",
    "wkt",
    "school_unit_code",
    "municipality_code",
    "county_code",
    "integer",
    "number",
    "share",
    "year",
    "boolean",
    "date",
    "choice",
]
Reference = Literal["municipality", "district", "school", "library"]


@dataclass(frozen=True)
class Choice:
    """An allowed value: the code stored in the database and its labels."""

    code: Any
    sv: str
    en: str


@dataclass(frozen=True)
class Column:
    """One column of a sheet.

    ``field`` is the model field, or for a reference the natural-key name used in the frames
    of :func:`inventory.demo.generate` (``municipality_code``, ``school_unit_code``,
    ``library``, ``district``, ``host_school_code``).
    """

    field: str
    sv: str
    en: str
    kind: Kind
    help_sv: str
    help_en: str
    required: bool = False
    key: bool = False
    unit_sv: str = ""
    unit_en: str = ""
    choices: tuple[Choice, ...] = ()
    reference: Reference | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    def header(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en

    def unit(self, lang: str) -> str:
        return self.unit_sv if lang == "sv" else self.unit_en

    def labels(self, lang: str) -> list[str]:
        if self.kind == "boolean":
            return list(BOOLEAN_LABELS[lang])
        return [c.sv if lang == "sv" else c.en for c in self.choices]


@dataclass(frozen=True)
class Sheet:
    """One inventory table as a workbook sheet."""

    key: str
    model: type[SQLModel]
    sv: str
    en: str
    help_sv: str
    help_en: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def table(self) -> str:
        return self.model.__tablename__  # type: ignore[attr-defined]

    def title(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en

    @property
    def key_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.key)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.field == name:
                return column
        raise KeyError(name)


BOOLEAN_LABELS = {"sv": ("ja", "nej"), "en": ("yes", "no")}
TRUE_WORDS = frozenset({"ja", "j", "yes", "y", "1", "true", "sant", "x"})
FALSE_WORDS = frozenset({"nej", "n", "no", "0", "false", "falskt"})

SHELF_METRE_ITEMS = 40


def normalise(text: Any) -> str:
    """Header or label as compared: case-folded, inner whitespace collapsed."""
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


# --------------------------------------------------------------------------- coded values

LIBRARY_KINDS = (
    Choice(LibraryKind.OWN.value, "eget skolbibliotek", "own school library"),
    Choice(LibraryKind.SHARED.value, "delat med andra skolenheter", "shared with other units"),
    Choice(
        LibraryKind.INTEGRATED.value,
        "integrerat med folkbiblioteket",
        "integrated with the public library",
    ),
    Choice(
        LibraryKind.PUBLIC_SPECIAL_REASONS.value,
        "folkbibliotek (särskilda skäl)",
        "public library (special reasons)",
    ),
    Choice(LibraryKind.BOOK_ROOM.value, "bokrum", "book room"),
    Choice(LibraryKind.NONE.value, "inget bibliotek", "no library"),
)
ORGANISER_TYPES = (
    Choice(OrganiserType.MUNICIPAL.value, "kommunal", "municipal"),
    Choice(OrganiserType.INDEPENDENT.value, "enskild", "independent"),
    Choice(OrganiserType.STATE.value, "statlig", "state"),
    Choice(OrganiserType.REGION.value, "regional", "regional"),
)
LOCATION_CLASSES = (
    Choice(1, "1 i skolans lokaler", "1 in the school"),
    Choice(2, "2 nås inom en lektion", "2 reachable within a lesson"),
    Choice(3, "3 längre bort", "3 further away"),
)
CATALOGUE_KINDS = (
    Choice(CatalogueKind.NONE.value, "ingen katalog", "no catalogue"),
    Choice(CatalogueKind.MANUAL.value, "manuell", "manual"),
    Choice(CatalogueKind.DIGITAL_STAFF.value, "digital för personalen", "digital, staff only"),
    Choice(CatalogueKind.DIGITAL_TEACHERS.value, "digital för lärare", "digital, for teachers"),
    Choice(CatalogueKind.DIGITAL_PUPILS.value, "digital för elever", "digital, for pupils"),
)
COLLECTION_CATEGORIES = (
    Choice(CollectionCategory.FICTION.value, "skönlitteratur", "fiction"),
    Choice(CollectionCategory.NON_FICTION.value, "facklitteratur", "non-fiction"),
    Choice(CollectionCategory.PICTURE_BOOKS.value, "bilderböcker", "picture books"),
    Choice(CollectionCategory.EASY_READ.value, "lättläst", "easy-read"),
    Choice(CollectionCategory.OTHER_LANGUAGES.value, "andra språk", "other languages"),
    Choice(CollectionCategory.AUDIOBOOKS.value, "ljudböcker", "audiobooks"),
    Choice(CollectionCategory.E_BOOKS.value, "e-böcker", "e-books"),
)
PLAN_KINDS = (
    Choice(ActionPlanKind.LIBRARY_PLAN.value, "biblioteksplan", "library plan"),
    Choice(ActionPlanKind.READING_PROMOTION.value, "läsfrämjande", "reading promotion"),
    Choice(
        ActionPlanKind.MIL.value,
        "MIK (medie- och informationskunnighet)",
        "media and information literacy",
    ),
)
PLAN_STATUSES = (
    Choice(ActionPlanStatus.MISSING.value, "saknas", "missing"),
    Choice(ActionPlanStatus.DRAFT.value, "utkast", "draft"),
    Choice(ActionPlanStatus.ADOPTED.value, "antagen", "adopted"),
    Choice(ActionPlanStatus.UNDER_REVISION.value, "under revidering", "under revision"),
)

# --------------------------------------------------------------------------- shared columns

_H_SV, _H_EN = "timmar per vecka", "hours per week"
_SEK_SV, _SEK_EN = "kronor (SEK) exkl. moms", "SEK excluding VAT"
_YES_NO_SV = "ja eller nej (KB VAR08); tomt = vet ej."
_YES_NO_EN = "yes or no (KB VAR08); empty = unknown."


def _municipality_ref(key: bool = True) -> Column:
    return Column(
        "municipality_code",
        "kommunkod",
        "municipality code",
        "municipality_code",
        "Kommunens fyrsiffriga kommunkod (SCB), t.ex. 0180. Kommunen ska finnas på bladet "
        "kommuner eller redan i databasen.",
        "The municipality's 4-digit code (Statistics Sweden), e.g. 0180. The municipality must "
        "be on the municipalities sheet or already in the database.",
        required=True,
        key=key,
        unit_sv="4 siffror",
        unit_en="4 digits",
        reference="municipality",
    )


def _school_ref(key: bool = True) -> Column:
    return Column(
        "school_unit_code",
        "skolenhetskod",
        "school unit code",
        "school_unit_code",
        "Skolverkets åttasiffriga skolenhetskod. Skolenheten ska finnas på bladet skolenheter "
        "eller redan i databasen.",
        "Skolverket's 8-digit school unit code. The school unit must be on the schools sheet or "
        "already in the database.",
        required=True,
        key=key,
        unit_sv="8 siffror",
        unit_en="8 digits",
        reference="school",
    )


def _library_ref() -> Column:
    return Column(
        "library",
        "bibliotek",
        "library",
        "text",
        "Bibliotekets namn exakt som på bladet bibliotek (tillsammans med kommunkoden).",
        "The library's name exactly as on the libraries sheet (together with the municipality "
        "code).",
        required=True,
        key=True,
        reference="library",
    )


def _year(help_sv: str, help_en: str) -> Column:
    return Column(
        "year",
        "år",
        "year",
        "year",
        help_sv,
        help_en,
        required=True,
        key=True,
        unit_sv=f"årtal {FIRST_YEAR}–{LAST_YEAR}",
        unit_en=f"year {FIRST_YEAR}–{LAST_YEAR}",
    )


def _coordinate(axis: str) -> Column:
    north = axis == "y"
    return Column(
        axis,
        axis,
        axis,
        "number",
        f"{'Nordlig' if north else 'Östlig'} koordinat i SWEREF 99 TM (EPSG:3006), meter. "
        "Tomt om okänt.",
        f"{'Northing' if north else 'Easting'} in SWEREF 99 TM (EPSG:3006), metres. Empty if "
        "unknown.",
        unit_sv="meter (SWEREF 99 TM)",
        unit_en="metres (SWEREF 99 TM)",
    )


def _stage(field_name: str, sv: str, en: str) -> Column:
    return Column(
        field_name,
        sv,
        en,
        "boolean",
        f"Har skolenheten {sv}? ja/nej; tomt = nej.",
        f"Does the school unit have {en}? yes/no; empty = no.",
        unit_sv="ja/nej",
        unit_en="yes/no",
    )


def _pupils(field_name: str, sv: str, en: str) -> Column:
    return Column(
        field_name,
        f"elever {sv}",
        f"pupils {en}",
        "integer",
        f"Antal elever {sv} (Skolverkets elevstatistik, läsårets höst).",
        f"Number of pupils {en} (Skolverket pupil statistics, autumn of the school year).",
        unit_sv="antal elever",
        unit_en="pupils",
    )


def _staff(field_name: str, sv: str, en: str, help_sv: str, help_en: str) -> Column:
    return Column(
        field_name,
        sv,
        en,
        "number",
        help_sv + " Arbetstid avsatt för biblioteket en vanlig skolvecka; oavlönat arbete och "
        "arbete 'när tid finns' räknas inte (KB VAR05). 40 timmar = 1 årsverke.",
        help_en + " Working time set aside for the library in a normal school week; unpaid and "
        "'time permitting' work is excluded (KB VAR05). 40 hours = 1 FTE.",
        unit_sv=_H_SV,
        unit_en=_H_EN,
    )


def _open(field_name: str, sv: str, en: str, help_sv: str, help_en: str) -> Column:
    return Column(
        field_name,
        sv,
        en,
        "number",
        help_sv + " Kategorierna är skilda tider och överlappar inte (KB VAR06).",
        help_en + " The categories are separate times and do not overlap (KB VAR06).",
        unit_sv=_H_SV,
        unit_en=_H_EN,
    )


def _items(field_name: str, sv: str, en: str, help_sv: str, help_en: str) -> Column:
    return Column(field_name, sv, en, "integer", help_sv, help_en, unit_sv="antal", unit_en="count")


def _yes_no(field_name: str, sv: str, en: str, help_sv: str, help_en: str) -> Column:
    return Column(
        field_name,
        sv,
        en,
        "boolean",
        f"{help_sv} {_YES_NO_SV}",
        f"{help_en} {_YES_NO_EN}",
        unit_sv="ja/nej",
        unit_en="yes/no",
    )


# --------------------------------------------------------------------------- the sheets

_RAW_SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "municipalities",
        Municipality,
        "kommuner",
        "municipalities",
        "En rad per kommun.",
        "One row per municipality.",
        (
            Column(
                "code",
                "kommunkod",
                "municipality code",
                "municipality_code",
                "Kommunens fyrsiffriga kommunkod (SCB), t.ex. 0180. Skriv den som text så att "
                "inledande nollor behålls.",
                "The municipality's 4-digit code (Statistics Sweden), e.g. 0180. Enter it as "
                "text so that leading zeros are kept.",
                required=True,
                key=True,
                unit_sv="4 siffror",
                unit_en="4 digits",
            ),
            Column(
                "name",
                "namn",
                "name",
                "text",
                "Kommunens namn.",
                "Name of the municipality.",
                required=True,
            ),
            Column(
                "county_code",
                "länskod",
                "county code",
                "county_code",
                "Länets tvåsiffriga kod, t.ex. 01 för Stockholms län.",
                "The county's 2-digit code, e.g. 01 for Stockholm County.",
                required=True,
                unit_sv="2 siffror",
                unit_en="2 digits",
            ),
            Column(
                "county",
                "län",
                "county",
                "text",
                "Länets namn.",
                "Name of the county.",
                required=True,
            ),
            Column(
                "fictional",
                "fiktiv",
                "fictional",
                "boolean",
                "ja för påhittade exempelkommuner (demodata); tomt = nej.",
                "yes for made-up example municipalities (demo data); empty = no.",
                unit_sv="ja/nej",
                unit_en="yes/no",
            ),
            Column(
                "boundary_wkt",
                "gräns (WKT)",
                "boundary (WKT)",
                "wkt",
                "Valfri kommungräns som WKT-polygon i SWEREF 99 TM (EPSG:3006).",
                "Optional municipal boundary as a WKT polygon in SWEREF 99 TM (EPSG:3006).",
                unit_sv="WKT, SWEREF 99 TM",
                unit_en="WKT, SWEREF 99 TM",
            ),
        ),
    ),
    Sheet(
        "districts",
        District,
        "skolområden",
        "districts",
        "Skolområden inom en kommun (valfritt). Namnet är unikt inom kommunen.",
        "Districts within a municipality (optional). The name is unique within the municipality.",
        (
            _municipality_ref(),
            Column(
                "name",
                "namn",
                "name",
                "text",
                "Skolområdets namn.",
                "Name of the district.",
                required=True,
                key=True,
            ),
            Column(
                "geometry_wkt",
                "geometri (WKT)",
                "geometry (WKT)",
                "wkt",
                "Valfri gräns för skolområdet som WKT-polygon i SWEREF 99 TM (EPSG:3006).",
                "Optional outline of the district as a WKT polygon in SWEREF 99 TM (EPSG:3006).",
                unit_sv="WKT, SWEREF 99 TM",
                unit_en="WKT, SWEREF 99 TM",
            ),
        ),
    ),
    Sheet(
        "schools",
        School,
        "skolenheter",
        "schools",
        "En rad per skolenhet (Skolverkets skolenhetsregister).",
        "One row per school unit (Skolverket's school unit register).",
        (
            Column(
                "school_unit_code",
                "skolenhetskod",
                "school unit code",
                "school_unit_code",
                "Skolverkets åttasiffriga skolenhetskod. Den identifierar skolenheten i hela "
                "landet och kan inte flyttas till en annan kommun.",
                "Skolverket's 8-digit school unit code. It identifies the unit nationally and "
                "cannot move to another municipality.",
                required=True,
                key=True,
                unit_sv="8 siffror",
                unit_en="8 digits",
            ),
            Column(
                "name",
                "namn",
                "name",
                "text",
                "Skolenhetens namn.",
                "Name of the school unit.",
                required=True,
            ),
            _municipality_ref(key=False),
            Column(
                "district",
                "skolområde",
                "district",
                "text",
                "Skolområdets namn i samma kommun (bladet skolområden); tomt om inget.",
                "Name of the district in the same municipality (districts sheet); empty if none.",
                reference="district",
            ),
            Column(
                "organiser_type",
                "typ av huvudman",
                "organiser type",
                "choice",
                "Huvudman: kommunal, enskild (fristående skola), statlig eller regional.",
                "Organiser: municipal, independent (free school), state or regional.",
                required=True,
                choices=ORGANISER_TYPES,
            ),
            Column(
                "organiser",
                "huvudman",
                "organiser",
                "text",
                "Huvudmannens namn.",
                "Name of the organiser.",
            ),
            _stage("has_preschool_class", "förskoleklass", "preschool class"),
            _stage("has_grades_1_3", "åk 1–3", "grades 1–3"),
            _stage("has_grades_4_6", "åk 4–6", "grades 4–6"),
            _stage("has_grades_7_9", "åk 7–9", "grades 7–9"),
            _stage("has_upper_secondary", "gymnasieskola", "upper secondary school"),
            _stage("has_adapted", "anpassad skola", "adapted school"),
            _coordinate("x"),
            _coordinate("y"),
        ),
    ),
    Sheet(
        "school_years",
        SchoolYear,
        "elever",
        "school_years",
        "Elever per skolenhet och läsår (2023/24 skrivs 2023) samt underlag för behovsindex.",
        "Pupils per school unit and school year (2023/24 is written 2023) and need-index inputs.",
        (
            _school_ref(),
            _year(
                "Läsårets första år: läsåret 2023/24 skrivs 2023.",
                "First year of the school year: 2023/24 is written 2023.",
            ),
            _pupils("pupils_preschool_class", "förskoleklass", "preschool class"),
            _pupils("pupils_grades_1_9", "åk 1–9", "grades 1–9"),
            _pupils("pupils_upper_secondary", "gymnasieskola", "upper secondary"),
            *(_pupils(f"pupils_grade_{g}", f"åk {g}", f"grade {g}") for g in range(1, 10)),
            Column(
                "share_foreign_background",
                "andel utländsk bakgrund",
                "share foreign background",
                "share",
                "Andel elever med utländsk bakgrund som decimaltal 0–1 (0,25) eller procent "
                "(25 %).",
                "Share of pupils with foreign background as a fraction 0–1 (0.25) or a "
                "percentage (25 %).",
                unit_sv="andel 0–1",
                unit_en="fraction 0–1",
            ),
            Column(
                "share_parents_post_secondary",
                "andel föräldrar eftergymnasial utbildning",
                "share parents post-secondary",
                "share",
                "Andel elever vars föräldrar har eftergymnasial utbildning, 0–1 eller procent.",
                "Share of pupils whose parents have post-secondary education, 0–1 or a percentage.",
                unit_sv="andel 0–1",
                unit_en="fraction 0–1",
            ),
        ),
    ),
    Sheet(
        "libraries",
        Library,
        "bibliotek",
        "libraries",
        "En rad per bibliotek, bokrum eller folkbibliotek som betjänar skolenheter. Ett "
        "skolbibliotek är en gemensam, ordnad samling av skönlitteratur, facklitteratur och "
        "andra medier; rum med bara läromedel eller klassuppsättningar räknas inte (KB VAR00). "
        "Namnet är unikt inom kommunen.",
        "One row per library, book room or public library serving school units. A school "
        "library is a shared, ordered collection of fiction, non-fiction and other media; rooms "
        "with only textbooks or class sets do not count (KB VAR00). The name is unique within "
        "the municipality.",
        (
            Column(
                "name",
                "namn",
                "name",
                "text",
                "Bibliotekets namn.",
                "Name of the library.",
                required=True,
                key=True,
            ),
            _municipality_ref(),
            Column(
                "kind",
                "typ",
                "kind",
                "choice",
                "Hur eleverna får sitt bibliotek. Integrerat med folkbiblioteket räknas bara "
                "efter politiskt beslut i nämnd eller fullmäktige (KB Integrerad01); "
                "folkbibliotek används under särskilda skäl (skollagen 2 kap. 36 §).",
                "How the pupils get their library. Integrated with the public library counts "
                "only after a political decision by a committee or council (KB Integrerad01); "
                "a public library is used under special reasons (Education Act 2:36).",
                required=True,
                choices=LIBRARY_KINDS,
            ),
            Column(
                "location_class",
                "placering",
                "location",
                "choice",
                "KB VAR01: 1 i skolans lokaler, 2 så nära att eleverna hinner dit och tillbaka "
                "inom en lektion, 3 längre bort.",
                "KB VAR01: 1 in the school's premises, 2 close enough to go there and back "
                "within a lesson, 3 further away.",
                choices=LOCATION_CLASSES,
            ),
            Column(
                "host_school_code",
                "värdskola (skolenhetskod)",
                "host school (school unit code)",
                "school_unit_code",
                "Skolenhetskoden för skolan där biblioteket finns; tomt för folkbibliotek.",
                "School unit code of the school housing the library; empty for a public library.",
                unit_sv="8 siffror",
                unit_en="8 digits",
                reference="school",
            ),
            _coordinate("x"),
            _coordinate("y"),
        ),
    ),
    Sheet(
        "library_schools",
        LibrarySchool,
        "bibliotek_skolenheter",
        "library_schools",
        "Vilka skolenheter varje bibliotek betjänar (KB VAR02), en rad per bibliotek och "
        "skolenhet.",
        "Which school units each library serves (KB VAR02), one row per library and school unit.",
        (
            _library_ref(),
            _municipality_ref(),
            _school_ref(),
            Column(
                "special_reasons",
                "särskilda skäl",
                "special reasons",
                "text",
                "Dokumenterade särskilda skäl när eleverna använder ett bibliotek utanför den "
                "egna skolenheten (skollagen 2 kap. 36 §).",
                "Documented special reasons when pupils use a library outside their own "
                "school unit (Education Act 2:36).",
            ),
        ),
    ),
    Sheet(
        "library_years",
        LibraryYear,
        "biblioteksår",
        "library_years",
        "Bemanning, öppettider, lokaler, kostnader och utlån per bibliotek och år, enligt KB:s "
        "definitioner.",
        "Staffing, opening hours, premises, costs and loans per library and year, following "
        "KB's definitions.",
        (
            _library_ref(),
            _municipality_ref(),
            _year("Inventeringsåret.", "The inventory year."),
            _staff(
                "hours_lis_librarian",
                "timmar bibliotekarie med BoI-examen",
                "hours LIS-qualified librarian",
                "Utbildad bibliotekarie: biblioteks- och informationsvetenskaplig utbildning "
                "(eller motsvarande erfarenhet) i en tjänst som kräver det (KB Arsverke01).",
                "LIS-qualified librarian: a library and information science degree (or "
                "equivalent experience) in a post that requires it (KB Arsverke01).",
            ),
            _staff(
                "hours_teacher_librarian",
                "timmar lärarbibliotekarie",
                "hours teacher-librarian",
                "Lärarbibliotekarie: lärare med avsatt tid för biblioteket. KB räknar "
                "lärarbibliotekarier som biblioteksassistenter (Arsverke02); här redovisas de "
                "för sig.",
                "Teacher-librarian: a teacher with time set aside for the library. KB counts "
                "teacher-librarians as library assistants (Arsverke02); here they are recorded "
                "separately.",
            ),
            _staff(
                "hours_assistant",
                "timmar biblioteksassistent",
                "hours library assistant",
                "Biblioteksassistent utan BoI-examen (KB Arsverke02, utan lärarbibliotekarier).",
                "Library assistant without an LIS degree (KB Arsverke02, teacher-librarians "
                "excluded).",
            ),
            _staff(
                "hours_other",
                "timmar övrig personal",
                "hours other staff",
                "Övrig personal med avsatt tid för biblioteket, utom städ (KB Arsverke03–04).",
                "Other staff with time set aside for the library, cleaning excluded (KB "
                "Arsverke03–04).",
            ),
            _open(
                "open_hours_staffed_all",
                "öppet bemannat för alla elever",
                "open staffed all pupils",
                "Timmar per vecka då biblioteket är bemannat och öppet för alla elever.",
                "Hours a week when the library is staffed and open to all pupils.",
            ),
            _open(
                "open_hours_staffed_classes",
                "öppet bemannat för klasser",
                "open staffed classes only",
                "Timmar per vecka då biblioteket är bemannat men bara för enskilda klasser.",
                "Hours a week when the library is staffed but for individual classes only.",
            ),
            _open(
                "open_hours_unstaffed",
                "öppet obemannat (meröppet)",
                "open unstaffed",
                "Timmar per vecka då biblioteket är öppet utan personal (meröppet).",
                "Hours a week when the library is open without staff (self-service).",
            ),
            Column(
                "area_m2",
                "yta",
                "area",
                "number",
                "Bibliotekets yta för eleverna (KB Resurs09).",
                "The library's floor area open to pupils (KB Resurs09).",
                unit_sv="m²",
                unit_en="m²",
            ),
            _items(
                "seats",
                "sittplatser",
                "seats",
                "Sittplatser; en bänk ger 1 plats per 40 cm (KB Resurs07).",
                "Seats; a bench gives 1 seat per 40 cm (KB Resurs07).",
            ),
            _items(
                "pupil_computers",
                "elevdatorer",
                "pupil computers",
                "Datorer för elever i biblioteket (KB Resurs01).",
                "Computers for pupils in the library (KB Resurs01).",
            ),
            Column(
                "media_cost_physical_sek",
                "mediekostnad fysiska medier",
                "media cost physical",
                "integer",
                "Kostnad för fysiska medier under året, hela kronor exkl. moms (KB Utgift01). "
                "Läromedel räknas inte.",
                "Cost of physical media in the year, whole SEK excluding VAT (KB Utgift01). "
                "Textbooks are excluded.",
                unit_sv=_SEK_SV,
                unit_en=_SEK_EN,
            ),
            Column(
                "media_cost_emedia_sek",
                "mediekostnad e-medier",
                "media cost e-media",
                "integer",
                "Kostnad för e-medier och licenser, hela kronor exkl. moms (KB Utgift02).",
                "Cost of e-media and licences, whole SEK excluding VAT (KB Utgift02).",
                unit_sv=_SEK_SV,
                unit_en=_SEK_EN,
            ),
            _items(
                "loans",
                "utlån",
                "loans",
                "Utlån under året inklusive omlån, utan läromedelsutlån (KB Utlan301–399 "
                "minus Utlan302).",
                "Loans in the year including renewals, textbook loans excluded (KB "
                "Utlan301–399 less Utlan302).",
            ),
            Column(
                "catalogue_kind",
                "katalog",
                "catalogue",
                "choice",
                "KB VAR03: hur samlingen är katalogiserad.",
                "KB VAR03: how the collection is catalogued.",
                choices=CATALOGUE_KINDS,
            ),
            _yes_no(
                "library_plan_adopted",
                "biblioteksplan antagen",
                "library plan adopted",
                "Skriftlig biblioteksplan antagen av skolledningen.",
                "Written library plan adopted by the school management.",
            ),
            _yes_no(
                "talking_book_permit",
                "talboksavtal",
                "talking-book permit",
                "Tillstånd att låna ut talböcker (MTM, tidigare TPB).",
                "Permit to lend talking books (MTM, formerly TPB).",
            ),
            _yes_no(
                "minority_language_titles",
                "titlar på minoritetsspråk",
                "minority language titles",
                "Titlar på de nationella minoritetsspråken.",
                "Titles in the national minority languages.",
            ),
            _yes_no(
                "other_language_titles",
                "titlar på andra språk",
                "other language titles",
                "Titlar på andra språk än svenska och minoritetsspråken.",
                "Titles in languages other than Swedish and the minority languages.",
            ),
            _yes_no(
                "adapted_media",
                "anpassade medier",
                "adapted media",
                "Anpassade medier för elever med lässvårigheter.",
                "Adapted media for pupils with reading difficulties.",
            ),
        ),
    ),
    Sheet(
        "collections",
        CollectionYear,
        "bestånd",
        "collections",
        "Bestånd per bibliotek, år och kategori den 31 december. Läromedel och "
        "klassuppsättningar räknas inte. Räkna exemplar; om bara hyllmeter är kända: "
        f"hyllmeter × {SHELF_METRE_ITEMS} (KB Bestand101).",
        "Holdings per library, year and category on 31 December. Textbooks and class sets are "
        "excluded. Count copies; if only shelf-metres are known: shelf-metres × "
        f"{SHELF_METRE_ITEMS} (KB Bestand101).",
        (
            _library_ref(),
            _municipality_ref(),
            _year("Inventeringsåret.", "The inventory year."),
            Column(
                "category",
                "kategori",
                "category",
                "choice",
                "Mediekategori. E-böcker är licenser, inte hyllexemplar.",
                "Media category. E-books are licences, not shelf copies.",
                required=True,
                key=True,
                choices=COLLECTION_CATEGORIES,
            ),
            _items(
                "items",
                "antal medier",
                "items",
                "Antal exemplar. Om bara hyllmeter är kända: hyllmeter × "
                f"{SHELF_METRE_ITEMS} (1 hyllmeter = {SHELF_METRE_ITEMS} medier). Läromedel och "
                "klassuppsättningar räknas inte.",
                "Number of copies. If only shelf-metres are known: shelf-metres × "
                f"{SHELF_METRE_ITEMS} (1 shelf-metre = {SHELF_METRE_ITEMS} items). Textbooks and "
                "class sets are excluded.",
            ),
            _items(
                "items_last_10_years",
                "medier utgivna senaste 10 åren",
                "items last 10 years",
                "Antal av medierna som är utgivna de senaste tio åren; högst antal medier.",
                "How many of the items were published in the last ten years; at most items.",
            ),
            Column(
                "median_publication_year",
                "medianutgivningsår",
                "median publication year",
                "integer",
                "Medianen av medieexemplarens utgivningsår.",
                "Median publication year of the copies.",
                unit_sv="årtal",
                unit_en="year",
            ),
            _items(
                "acquisitions",
                "nyförvärv",
                "acquisitions",
                "Nya exemplar under året.",
                "New copies added in the year.",
            ),
            _items(
                "weeded",
                "gallrade",
                "weeded",
                "Gallrade exemplar under året.",
                "Copies weeded in the year.",
            ),
        ),
    ),
    Sheet(
        "action_plans",
        ActionPlan,
        "handlingsplaner",
        "action_plans",
        "Biblioteksplan, läsfrämjande plan och MIK-plan per skolenhet och år.",
        "Library plan, reading-promotion plan and media and information literacy plan per "
        "school unit and year.",
        (
            _school_ref(),
            _year("Året planen gäller.", "The year the plan applies to."),
            Column(
                "kind",
                "typ",
                "kind",
                "choice",
                "Vilken plan.",
                "Which plan.",
                required=True,
                key=True,
                choices=PLAN_KINDS,
            ),
            Column(
                "status",
                "status",
                "status",
                "choice",
                "Planens läge.",
                "State of the plan.",
                required=True,
                choices=PLAN_STATUSES,
            ),
            Column(
                "adopted_date",
                "antagen datum",
                "adopted date",
                "date",
                "Dagen planen antogs, ÅÅÅÅ-MM-DD.",
                "The day the plan was adopted, YYYY-MM-DD.",
                unit_sv="datum",
                unit_en="date",
            ),
            Column(
                "document_link",
                "dokumentlänk",
                "document link",
                "text",
                "Länk till planen (https://…).",
                "Link to the plan (https://…).",
            ),
        ),
    ),
)

#: Sheets a workbook may hold besides the data sheets; ignored on import.
INSTRUCTIONS_TITLES = {"sv": "Instruktioner", "en": "Instructions"}
LISTS_TITLE = "listor"
IGNORED_SHEETS = frozenset(
    normalise(t) for t in (*INSTRUCTIONS_TITLES.values(), LISTS_TITLE, "lists")
)


def _model_bounds(model: type[SQLModel], name: str) -> tuple[Any, Any, Any]:
    info = model.model_fields.get(name)
    if info is None:
        return None, None, None
    low = high = length = None
    for meta in info.metadata:
        if isinstance(meta, annotated_types.Ge):
            low = meta.ge
        elif isinstance(meta, annotated_types.Le):
            high = meta.le
        elif isinstance(meta, annotated_types.MaxLen):
            length = meta.max_length
    return low, high, length


def _with_bounds(sheet: Sheet) -> Sheet:
    columns = []
    for column in sheet.columns:
        low, high, length = _model_bounds(sheet.model, column.field)
        if column.kind == "year":
            low, high = FIRST_YEAR, LAST_YEAR
        columns.append(
            Column(
                **{
                    **column.__dict__,
                    "minimum": column.minimum if column.minimum is not None else low,
                    "maximum": column.maximum if column.maximum is not None else high,
                    "max_length": column.max_length or length,
                }
            )
        )
    return Sheet(**{**sheet.__dict__, "columns": tuple(columns)})


#: The sheets in dependency order, with bounds and lengths taken from the models.
SHEETS: tuple[Sheet, ...] = tuple(_with_bounds(sheet) for sheet in _RAW_SHEETS)
SHEETS_BY_KEY = {sheet.key: sheet for sheet in SHEETS}

GENERAL_SV = (
    "Fyll i ett blad per tabell. Rubrikraden (rad 1) får vara på svenska eller engelska. "
    "Tomma blad hoppas över. Koder (skolenhetskod, kommunkod) skrivs som text. Nycklarna är "
    "skolenhetskod, kommunkod, bibliotekets namn med kommunkod, år och kategori – aldrig "
    "databasens id. En rad vars nyckel redan finns i databasen uppdaterar den raden; en tom "
    "cell tömmer värdet; en kolumn som saknas lämnar lagrade värden orörda. Inget sparas om "
    "någon rad har fel.",
    "Timmar per vecka gäller en vanlig skolvecka; 40 timmar = 1 årsverke. Utbildad "
    "bibliotekarie (BoI-examen) motsvarar KB Arsverke01; KB räknar lärarbibliotekarier som "
    "biblioteksassistenter (Arsverke02), här redovisas de för sig.",
    f"Bestånd: räkna exemplar; om bara hyllmeter är kända, hyllmeter × {SHELF_METRE_ITEMS}. "
    "Läromedel och klassuppsättningar räknas inte.",
)
GENERAL_EN = (
    "Fill in one sheet per table. The header row (row 1) may be in Swedish or English. Empty "
    "sheets are skipped. Codes (school unit code, municipality code) are entered as text. The "
    "keys are school unit code, municipality code, library name with municipality code, year "
    "and category – never database ids. A row whose key already exists in the database "
    "updates that row; an empty cell clears the value; a column left out keeps the stored "
    "values. Nothing is saved if any row has an error.",
    "Hours per week refer to a normal school week; 40 hours = 1 FTE. LIS-qualified librarian "
    "corresponds to KB Arsverke01; KB counts teacher-librarians as library assistants "
    "(Arsverke02), here they are recorded separately.",
    f"Holdings: count copies; if only shelf-metres are known, shelf-metres × "
    f"{SHELF_METRE_ITEMS}. Textbooks and class sets are excluded.",
)

KIND_LABELS = {
    "sv": {
        "text": "text",
        "wkt": "text (WKT)",
        "school_unit_code": "kod",
        "municipality_code": "kod",
        "county_code": "kod",
        "integer": "heltal",
        "number": "tal",
        "share": "andel",
        "year": "år",
        "boolean": "ja/nej",
        "date": "datum",
        "choice": "lista",
    },
    "en": {
        "text": "text",
        "wkt": "text (WKT)",
        "school_unit_code": "code",
        "municipality_code": "code",
        "county_code": "code",
        "integer": "whole number",
        "number": "number",
        "share": "share",
        "year": "year",
        "boolean": "yes/no",
        "date": "date",
        "choice": "list",
    },
}
