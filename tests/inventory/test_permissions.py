"""The role table of ARCHITECTURE.md, row by row, through the one check."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from inventory.models import ScenarioStatus
from inventory.permissions import PERMISSIONS, PermissionDeniedError, can, require


@dataclass
class Someone:
    role: str
    active: bool = True


@dataclass
class FakeScenario:
    status: str


# action: admin, projektledare, referensgrupp, chef — copied from ARCHITECTURE.md's table
TABLE = """
inventory.view    yes yes yes yes
inventory.edit    yes yes no  no
scenario.create   yes yes no  no
scenario.comment  yes yes yes yes
comment.moderate  yes yes no  no
scenario.adopt    yes no  no  yes
export.summary    yes yes no  yes
survey.publish    yes yes no  no
survey.answer     yes yes yes yes
users.manage      yes no  no  no
audit.view        yes no  no  no
"""
ROLES = ["admin", "projektledare", "referensgrupp", "chef"]
CASES = [
    (action, role, answer == "yes")
    for action, *answers in (line.split() for line in TABLE.strip().splitlines())
    for role, answer in zip(ROLES, answers, strict=True)
]


@pytest.mark.parametrize(("action", "role", "allowed"), CASES)
def test_role_table(action, role, allowed):
    assert can(Someone(role), action) is allowed


def test_table_covers_every_action_but_view():
    listed = {action for action, _, _ in CASES}
    assert set(PERMISSIONS) - listed == {"scenario.view"}


@pytest.mark.parametrize("status", list(ScenarioStatus))
def test_comments_only_while_open(status):
    scenario = FakeScenario(status)
    expected = status == ScenarioStatus.OPEN_FOR_COMMENT
    for role in ROLES:
        assert can(Someone(role), "scenario.comment", scenario) is expected


@pytest.mark.parametrize("user", [None, Someone("admin", active=False), Someone("hacker")])
def test_nobody_and_inactive_and_unknown_roles_get_nothing(user):
    assert not any(can(user, action) for action in PERMISSIONS)


def test_require_raises_with_reason():
    with pytest.raises(PermissionDeniedError, match="referensgrupp.*inventory.edit"):
        require(Someone("referensgrupp"), "inventory.edit")
    require(Someone("projektledare"), "inventory.edit")


def test_unknown_action_is_an_error_not_a_denial():
    with pytest.raises(KeyError):
        can(Someone("admin"), "inventory.delete_everything")
