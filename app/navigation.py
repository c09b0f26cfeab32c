"""The page registry: which pages exist, in which section, and who may open them.

``streamlit_app.py`` registers only the pages :func:`visible_pages` returns for the current
user, so a page a role may not see is unreachable, also by URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inventory.permissions import Actor, can

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    """One page: its script, catalogue keys, URL and the action a user must be allowed."""

    path: str
    title_key: str
    icon: str
    url_path: str
    action: str
    section_key: str
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec(
        "app/pages/overview.py",
        "nav.overview",
        ":material/dashboard:",
        "oversikt",
        "inventory.view",
        "nav.section.analysis",
        default=True,
    ),
    PageSpec(
        "app/pages/comparison.py",
        "nav.comparison",
        ":material/bar_chart:",
        "jamforelse",
        "inventory.view",
        "nav.section.analysis",
    ),
    PageSpec(
        "app/pages/access.py",
        "nav.access",
        ":material/map:",
        "karta",
        "inventory.view",
        "nav.section.analysis",
    ),
    PageSpec(
        "app/pages/collections.py",
        "nav.collections",
        ":material/menu_book:",
        "samlingar",
        "inventory.view",
        "nav.section.analysis",
    ),
    PageSpec(
        "app/pages/follow_up.py",
        "nav.follow_up",
        ":material/trending_up:",
        "uppfoljning",
        "inventory.view",
        "nav.section.analysis",
    ),
    PageSpec(
        "app/pages/inventory.py",
        "nav.inventory",
        ":material/table_edit:",
        "inventering",
        "inventory.view",
        "nav.section.inventory",
    ),
    PageSpec(
        "app/pages/action_plans.py",
        "nav.action_plans",
        ":material/checklist:",
        "handlingsplaner",
        "inventory.view",
        "nav.section.inventory",
    ),
    PageSpec(
        "app/pages/scenarios.py",
        "nav.scenarios",
        ":material/tune:",
        "scenarier",
        "scenario.view",
        "nav.section.planning",
    ),
    PageSpec(
        "app/pages/comments.py",
        "nav.comments",
        ":material/forum:",
        "synpunkter",
        "scenario.comment",
        "nav.section.planning",
    ),
    PageSpec(
        "app/pages/reports.py",
        "nav.reports",
        ":material/description:",
        "rapporter",
        "export.summary",
        "nav.section.planning",
    ),
    PageSpec(
        "app/pages/surveys.py",
        "nav.surveys",
        ":material/quiz:",
        "enkater",
        "survey.answer",
        "nav.section.planning",
    ),
    PageSpec(
        "app/pages/users.py",
        "nav.users",
        ":material/group:",
        "anvandare",
        "users.manage",
        "nav.section.admin",
    ),
    PageSpec(
        "app/pages/audit.py",
        "nav.audit",
        ":material/history:",
        "andringslogg",
        "audit.view",
        "nav.section.admin",
    ),
    PageSpec(
        "app/pages/privacy.py",
        "nav.privacy",
        ":material/shield_person:",
        "personuppgifter",
        "users.manage",
        "nav.section.admin",
    ),
    PageSpec(
        "app/pages/accessibility.py",
        "nav.accessibility",
        ":material/accessibility_new:",
        "tillganglighet",
        "inventory.view",
        "nav.section.admin",
    ),
)


def visible_pages(user: Actor | None) -> list[PageSpec]:
    """Pages that exist and that ``user`` may open, in menu order."""
    return [p for p in PAGES if (ROOT / p.path).exists() and can(user, p.action)]
