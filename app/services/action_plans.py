"""Figures for the action-plans page (Handlingsplaner): pure pandas, no Streamlit.

Every school unit of the selection gets one row with the status of its library plan,
reading-promotion plan and media and information literacy (MIL) plan for one year. A school
unit with no row for a kind has nothing on record (``not_recorded``), which is not the same as
a recorded ``missing`` plan. Coverage counts a plan as in place only when its status is
``adopted``; a plan ``under_revision`` is counted separately (it may be in force while being
revised, but the inventory cannot tell).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from app.components.text import escape_markdown as escape_markdown  # re-exported for the pages
from app.components.text import inline
from app.i18n import fmt_int, t
from inventory.action_plan_service import safe_document_link
from inventory.models import FIRST_YEAR, LAST_YEAR, ActionPlanKind, ActionPlanStatus

#: Plan kinds in display order.
PLAN_KINDS: tuple[str, ...] = tuple(k.value for k in ActionPlanKind)
NOT_RECORDED = "not_recorded"
#: Statuses in display order (best first), then "nothing on record".
STATUSES: tuple[str, ...] = (
    ActionPlanStatus.ADOPTED.value,
    ActionPlanStatus.UNDER_REVISION.value,
    ActionPlanStatus.DRAFT.value,
    ActionPlanStatus.MISSING.value,
    NOT_RECORDED,
)
#: A symbol per status, so the status never depends on colour alone.
STATUS_ICONS: dict[str, str] = {
    "adopted": "✅",
    "under_revision": "🔄",
    "draft": "📝",
    "missing": "❌",
    NOT_RECORDED: "➖",
}
#: Okabe-Ito colours per status (colour-blind safe; the chart also labels every status).
STATUS_COLOURS: dict[str, str] = {
    "adopted": "#009E73",
    "under_revision": "#56B4E9",
    "draft": "#E69F00",
    "missing": "#D55E00",
    NOT_RECORDED: "#BBBBBB",
}

SCHOOL_COLUMNS = ["school_id", "school_name", "school_unit_code", "district", "pupils"]
#: Statuses a person can set in the editor (best first).
EDIT_STATUSES: tuple[str, ...] = tuple(s for s in STATUSES if s != NOT_RECORDED)
LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
#: The dates the editor accepts (the inventory's years).
FIRST_DATE, LAST_DATE = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def plan_matrix(schools: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """One row per school unit with each plan's status, adopted date and document link.

    Parameters
    ----------
    schools
        ``school_frame`` rows of one year (the school units to list).
    plans
        ``action_plans`` rows of the same year (other school units are ignored).

    Returns
    -------
    pandas.DataFrame
        :data:`SCHOOL_COLUMNS` (``pupils`` is ``pupils_total``), then for each kind ``k`` of
        :data:`PLAN_KINDS`: ``k_status`` (a status or ``"not_recorded"``), ``k_adopted_date``
        (NaT when none) and ``k_document_link`` (missing when none, or when the stored text is
        not an ``http``/``https`` address). Sorted by school name.
    """
    frame = schools.rename(columns={"pupils_total": "pupils"}).reindex(columns=SCHOOL_COLUMNS)
    frame["pupils"] = pd.to_numeric(frame["pupils"], errors="coerce").astype("Int64")
    frame = frame.drop_duplicates("school_id").reset_index(drop=True)
    frame["school_id"] = frame["school_id"].astype("int64")
    mine = plans[plans["school_id"].isin(frame["school_id"])]
    for kind in PLAN_KINDS:
        rows = mine[mine["kind"] == kind].drop_duplicates("school_id", keep="last")
        rows = pd.DataFrame(
            {
                "school_id": rows["school_id"].astype("int64"),
                f"{kind}_status": rows["status"].astype(object),
                f"{kind}_adopted_date": pd.to_datetime(rows["adopted_date"]),
                # only http(s) addresses become links: never a javascript: or data: address
                f"{kind}_document_link": rows["document_link"]
                .map(safe_document_link)
                .astype("string"),
            }
        )
        frame = frame.merge(rows, on="school_id", how="left")
        frame[f"{kind}_status"] = frame[f"{kind}_status"].fillna(NOT_RECORDED)
    return frame.sort_values(["school_name", "school_unit_code"], kind="stable").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class Coverage:
    """How many school units and pupils have an adopted plan of one kind."""

    kind: str
    schools: int
    schools_adopted: int
    schools_under_revision: int
    pupils: int | None
    pupils_adopted: int | None

    @property
    def share_schools(self) -> float | None:
        return self.schools_adopted / self.schools if self.schools else None

    @property
    def share_pupils(self) -> float | None:
        if not self.pupils or self.pupils_adopted is None:
            return None
        return self.pupils_adopted / self.pupils


def coverage(matrix: pd.DataFrame, kind: str = "library_plan") -> Coverage:
    """Coverage of one plan kind over the rows of :func:`plan_matrix`.

    ``pupils`` counts the pupils of school units with a known count; ``pupils_adopted`` those
    of the units whose plan is adopted (``None`` when no count is known).
    """
    status = matrix[f"{kind}_status"]
    adopted = status == "adopted"
    pupils = pd.to_numeric(matrix["pupils"], errors="coerce").astype("float64")
    known = pupils.notna()
    return Coverage(
        kind=kind,
        schools=len(matrix),
        schools_adopted=int(adopted.sum()),
        schools_under_revision=int((status == "under_revision").sum()),
        pupils=int(pupils[known].sum()) if known.any() else None,
        pupils_adopted=int(pupils[known & adopted].sum()) if known.any() else None,
    )


def status_counts(matrix: pd.DataFrame) -> pd.DataFrame:
    """School units per plan kind and status (every combination, zeros included).

    Returns ``kind``, ``status``, ``schools``, ``share`` (of the school units listed) and
    ``order`` (status position in :data:`STATUSES`), by kind then status order.
    """
    rows = []
    for kind in PLAN_KINDS:
        counts = matrix[f"{kind}_status"].value_counts()
        for order, status in enumerate(STATUSES):
            n = int(counts.get(status, 0))
            rows.append(
                {
                    "kind": kind,
                    "status": status,
                    "schools": n,
                    "share": n / len(matrix) if len(matrix) else float("nan"),
                    "order": order,
                }
            )
    return pd.DataFrame(rows, columns=["kind", "status", "schools", "share", "order"])


def status_finding(counts: pd.DataFrame, lang: str) -> str:
    """The status chart's finding: how many school units have each kind of plan adopted.

    ``counts`` is :func:`status_counts` (every kind and status, zeros included), e.g. "Antagna
    planer: biblioteksplan vid 5 av 12 skolenheter; läsfrämjande plan vid 3 av 12 ...".
    """
    parts = []
    for kind in PLAN_KINDS:
        rows = counts[counts["kind"] == kind]
        adopted = int(rows.loc[rows["status"] == "adopted", "schools"].sum())
        parts.append(
            t(
                "action_plans.status_finding_part",
                lang=lang,
                kind=inline(t(f"action_plans.kind.{kind}", lang=lang)),
                adopted=fmt_int(adopted, lang=lang),
                schools=fmt_int(rows["schools"].sum(), lang=lang),
            )
        )
    return t("action_plans.status_finding", lang=lang, parts="; ".join(parts))


# --------------------------------------------------------------------------- editing


def school_choices(matrix: pd.DataFrame) -> dict[int, str]:
    """School id -> "name (school unit code)", in the matrix's order (for the editor)."""
    return {
        int(i): f"{name} ({code})"
        for i, name, code in zip(
            matrix["school_id"], matrix["school_name"], matrix["school_unit_code"], strict=True
        )
    }


def local_time_text(at: datetime, now: datetime | None = None) -> str:
    """A moment as a Swede reads it: ``"14:05"`` when it is today in Sweden, else
    ``"14:05 (2025-03-01)"``. ``now`` defaults to the current time."""
    local = at.astimezone(LOCAL_ZONE)
    today = (now or datetime.now(LOCAL_ZONE)).astimezone(LOCAL_ZONE).date()
    clock = local.strftime("%H:%M")
    return clock if local.date() == today else f"{clock} ({local.date().isoformat()})"
