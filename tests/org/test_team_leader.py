"""A team's leader through the team API (routing and SLA escalate to them)."""

from __future__ import annotations

import pytest

from tests import factories
from trellis.org.models import Team

pytestmark = pytest.mark.django_db


def test_admin_creates_a_team_with_a_leader(org, admin, api):
    boss = factories.user("boss", unit=org["jakarta"])
    response = api(admin).post(
        "/api/v1/teams", {"name": "Support", "unit_id": org["jakarta"].pk, "leader_id": boss.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["leader_id"] == boss.pk


def test_admin_names_and_clears_a_team_leader(org, admin, api):
    team = factories.team("Support", unit=org["jakarta"])
    boss = factories.user("boss", unit=org["jakarta"])
    client = api(admin)
    named = client.patch(f"/api/v1/teams/{team.pk}", {"leader_id": boss.pk})
    assert named.json()["leader_id"] == boss.pk
    cleared = client.patch(f"/api/v1/teams/{team.pk}", {"leader_id": None})
    assert cleared.status_code == 200, cleared.content
    assert Team.objects.get(pk=team.pk).leader is None


def test_a_deactivated_leader_is_refused_naming_the_field(org, admin, api):
    team = factories.team("Support", unit=org["jakarta"])
    gone = factories.user("gone", unit=org["jakarta"], is_active=False)
    response = api(admin).patch(f"/api/v1/teams/{team.pk}", {"leader_id": gone.pk})
    assert response.status_code in (400, 404)
    assert response.json()["errors"][0]["field"] == "leader_id"


def test_a_regional_admin_cannot_make_someone_outside_their_units_leader(org, api):
    asia_admin = factories.user(
        "asia_admin",
        unit=org["asia"],
        roles=[factories.custom_role(privileges={"manage_org": "subtree"})],
    )
    team = factories.team("Support", unit=org["jakarta"])
    outsider = factories.user("outsider", unit=org["milan"])
    response = api(asia_admin).patch(f"/api/v1/teams/{team.pk}", {"leader_id": outsider.pk})
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "leader_id"
