"""The shared filters: year, municipality, district, stage, organiser.

Every page calls :func:`render_filters`; the widgets have the same keys on every page, keep
their values for the whole session (``persist_state="session"``) and are bound to URL query
parameters (``bind="query-params"``), so a filtered view can be shared as a link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from app import state
from app.components.synced import synced_widget
from app.i18n import current_language, t
from app.services.overview import default_municipality

#: stage code -> school-frame flag column
STAGES = {
    "fk": "has_preschool_class",
    "1-3": "has_grades_1_3",
    "4-6": "has_grades_4_6",
    "7-9": "has_grades_7_9",
    "gy": "has_upper_secondary",
    "anp": "has_adapted",
}
ORGANISERS = ("municipal", "independent", "state", "region")
KEYS = {
    "year": "year",
    "municipality": "municipality",
    "district": "district",
    "stage": "stage",
    "organiser": "organiser",
}


@dataclass(frozen=True)
class Filters:
    """The current filter values; empty tuples mean "all"."""

    year: int | None
    municipality: str | None
    districts: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    organisers: tuple[str, ...] = ()

    def school_mask(self, schools: pd.DataFrame) -> pd.Series:
        """Rows of a school frame that pass the district, stage and organiser filters."""
        keep = pd.Series(True, index=schools.index)
        if self.districts and "district" in schools:
            keep &= schools["district"].isin(self.districts)
        if self.stages:
            flags = [STAGES[s] for s in self.stages if STAGES.get(s) in schools]
            if flags:
                keep &= schools[flags].astype(bool).any(axis=1)
        if self.organisers and "organiser_type" in schools:
            keep &= schools["organiser_type"].isin(self.organisers)
        return keep

    def narrowed(self) -> bool:
        return bool(self.districts or self.stages or self.organisers)

    def library_ids(self, schools: pd.DataFrame) -> set[int]:
        """Libraries that serve at least one school passing the filters."""
        kept = schools[self.school_mask(schools)]
        return {int(i) for i in kept["library_id"].dropna()} if "library_id" in kept else set()


def render_filters(
    *, detail: bool = True, container: st.delta_generator.DeltaGenerator | None = None
) -> Filters:
    """Draw the filters (in the sidebar by default) and return their values.

    Parameters
    ----------
    detail
        Also show district, stage and organiser (pages about libraries only may hide them).
    """
    area = container if container is not None else st.sidebar
    # labels fixed at creation: a language switch makes new widgets (see synced_widget)
    lang = current_language()
    municipalities = state.municipalities()
    years = sorted(state.inventory_years(), reverse=True)
    codes = municipalities["code"].tolist()
    names = dict(zip(municipalities["code"], municipalities["name"], strict=True))
    with area:
        st.markdown(f"**{t('filters.heading')}**")
        municipality = (
            synced_widget(
                st.selectbox,
                KEYS["municipality"],
                t("filters.municipality"),
                codes,
                default_municipality(codes),
                format_func=lambda c: f"{names[c]} ({c})",
            )
            if codes
            else None
        )
        year = (
            synced_widget(st.selectbox, KEYS["year"], t("filters.year"), years, years[0])
            if years
            else None
        )
        if not detail or municipality is None:
            return Filters(year=year, municipality=municipality)
        district_names = state.districts(municipality)["name"].tolist()
        districts = synced_widget(
            st.multiselect,
            KEYS["district"],
            t("filters.district"),
            district_names,
            [],
            multiple=True,
            placeholder=t("filters.all"),
        )
        stages = synced_widget(
            st.multiselect,
            KEYS["stage"],
            t("filters.stage"),
            list(STAGES),
            [],
            multiple=True,
            format_func=lambda s: t(f"stage.{s}", lang=lang),
            placeholder=t("filters.all"),
        )
        organisers = synced_widget(
            st.multiselect,
            KEYS["organiser"],
            t("filters.organiser"),
            list(ORGANISERS),
            [],
            multiple=True,
            format_func=lambda o: t(f"organiser_type.{o}", lang=lang),
            placeholder=t("filters.all"),
        )
    return Filters(
        year=None if year is None else int(year),
        municipality=municipality,
        districts=tuple(districts),
        stages=tuple(stages),
        organisers=tuple(organisers),
    )


def stage_codes(schools: pd.DataFrame) -> np.ndarray:
    """For display: the stage codes each school has, joined with commas."""
    parts = [np.where(schools[flag].astype(bool), code, "") for code, flag in STAGES.items()]
    return np.array([",".join(p for p in row if p) for row in zip(*parts, strict=True)])
