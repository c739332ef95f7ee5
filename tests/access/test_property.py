"""On random organizations, `visible`, `can` and `explain` agree for every user, account
and action (DESIGN.md: "`can` agrees with `visible` for every record")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from trellis.access import can, explain, visible
from trellis.access.engine import scope_cache
from trellis.access.models import RIGHTS, Share
from trellis.access.services import access_team_for
from trellis.customers.models import Account
from trellis.org.models import AccessTeamTemplate, TeamMembership, UserType
from trellis.org.services import unit_update

DEPTH_NAMES = st.sampled_from(["none", "own", "unit", "subtree", "org"])
EXPIRY = st.sampled_from(["never", "later", "expired"])
SOME_RIGHTS = st.lists(st.sampled_from(RIGHTS), min_size=1, max_size=5, unique=True)


@st.composite
def organizations(draw: Any) -> dict[str, Any]:
    """A plan (plain data) for one organization; `build` turns it into rows."""
    n_units = draw(st.integers(3, 8))
    n_roles = draw(st.integers(1, 4))
    n_users = draw(st.integers(3, 8))
    n_teams = draw(st.integers(2, 3))
    n_accounts = draw(st.integers(5, 15))
    unit_index = st.integers(0, n_units - 1)
    role_indexes = st.lists(st.integers(0, n_roles - 1), max_size=2, unique=True)
    user_index = st.integers(0, n_users - 1)
    team_index = st.integers(0, n_teams - 1)
    account_index = st.integers(0, n_accounts - 1)
    principal = st.tuples(st.just("user"), user_index) | st.tuples(st.just("team"), team_index)
    return {
        # Unit i (i >= 1) hangs under an earlier unit, so the tree has one root.
        "unit_parents": [draw(st.integers(0, i - 1)) for i in range(1, n_units)],
        # Optionally move one non-root unit under another unit outside its subtree.
        "unit_move": draw(st.none() | st.tuples(st.integers(1, n_units - 1), unit_index)),
        "roles": [
            draw(st.fixed_dictionaries(dict.fromkeys(RIGHTS, DEPTH_NAMES))) for _ in range(n_roles)
        ],
        "users": [
            {
                "unit": draw(unit_index),
                # A manager is always an earlier user, so reports_to has no cycles.
                "reports_to": draw(st.none() | st.integers(0, i - 1)) if i else None,
                "partner": draw(st.integers(0, 3)) == 0,
                "active": draw(st.integers(0, 9)) > 0,
                "sysadmin": draw(st.integers(0, 14)) == 0,
                "roles": draw(role_indexes),
            }
            for i in range(n_users)
        ],
        "teams": [
            {
                "unit": draw(unit_index),
                "roles": draw(role_indexes),
                "members": draw(st.dictionaries(user_index, EXPIRY, max_size=n_users)),
            }
            for _ in range(n_teams)
        ],
        "accounts": [
            draw(st.tuples(st.just("user"), user_index) | st.tuples(st.just("team"), team_index))
            for _ in range(n_accounts)
        ],
        "shares": draw(
            st.dictionaries(
                st.tuples(account_index, principal), st.tuples(SOME_RIGHTS, EXPIRY), max_size=12
            )
        ),
        "templates": draw(st.lists(SOME_RIGHTS, min_size=1, max_size=2)),
        "access_teams": draw(
            st.dictionaries(
                st.tuples(account_index, st.integers(0, 1), user_index), EXPIRY, max_size=10
            )
        ),
        "hierarchy_write": draw(st.booleans()),
    }


def build(plan: dict[str, Any]) -> tuple[list[Any], list[Account]]:
    """Rows for `plan`: its users (plus an anonymous visitor) and its accounts."""
    now = timezone.now()
    expiry = {
        "never": None,
        "later": now + dt.timedelta(days=1),
        "expired": now - dt.timedelta(hours=1),
    }
    units = [factories.root()]
    for parent in plan["unit_parents"]:
        units.append(factories.unit(parent=units[parent]))
    roles = [factories.custom_role({"account": depths}) for depths in plan["roles"]]
    users = []
    for spec in plan["users"]:
        held = [roles[i] for i in spec["roles"]] + ["System Administrator"] * spec["sysadmin"]
        users.append(
            factories.user(
                unit=units[spec["unit"]],
                reports_to=users[spec["reports_to"]] if spec["reports_to"] is not None else None,
                user_type=UserType.PARTNER if spec["partner"] else UserType.INTERNAL,
                is_active=spec["active"],
                roles=held,
                password=None,
            )
        )
    teams = []
    for spec in plan["teams"]:
        team = factories.team(unit=units[spec["unit"]], roles=[roles[i] for i in spec["roles"]])
        for member, until in spec["members"].items():
            TeamMembership.objects.create(team=team, user=users[member], expires_at=expiry[until])
        teams.append(team)
    accounts = [
        factories.account(users[i] if kind == "user" else teams[i]) for kind, i in plan["accounts"]
    ]
    record_type = ContentType.objects.get_for_model(Account)
    for (account, (kind, i)), (rights, until) in plan["shares"].items():
        Share.objects.create(
            record_type=record_type,
            record_id=accounts[account].pk,
            user=users[i] if kind == "user" else None,
            team=teams[i] if kind == "team" else None,
            **{f"can_{right}": right in rights for right in RIGHTS},
            expires_at=expiry[until],
        )
    templates = [
        AccessTeamTemplate.objects.create(name=f"Template {i}", entity="account", rights=rights)
        for i, rights in enumerate(plan["templates"])
    ]
    for (account, template, user), until in plan["access_teams"].items():
        team = access_team_for(accounts[account], templates[template % len(templates)])
        TeamMembership.objects.update_or_create(
            team=team, user=users[user], defaults={"expires_at": expiry[until]}
        )
    if plan["unit_move"] is not None:
        moved, parent = (units[i] for i in plan["unit_move"])
        moved.refresh_from_db()
        parent.refresh_from_db()
        if not parent.path.startswith(moved.path):
            admin = factories.user(roles=["System Administrator"], password=None)
            unit_update(admin, unit=moved, parent=parent)
    return [*users, AnonymousUser()], accounts


def check_agreement(people: list[Any], accounts: list[Account]) -> None:
    with scope_cache():
        for person in people:
            for action in RIGHTS:
                listed = set(visible(person, Account, action).values_list("pk", flat=True))
                for account in accounts:
                    allowed = can(person, action, account)
                    reasons = explain(person, action, account)
                    assert (account.pk in listed) == allowed, (person, action, account, reasons)
                    assert bool(reasons) == allowed, (person, action, account, reasons)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=organizations())
def test_visible_can_and_explain_agree_on_random_organizations(db, plan):
    # Each example builds inside a savepoint that is rolled back, so none leaks into the next.
    with transaction.atomic(), override_settings(HIERARCHY_WRITE=plan["hierarchy_write"]):
        people, accounts = build(plan)
        check_agreement(people, accounts)
        transaction.set_rollback(True)
