"""The sales targets API (/api/v1/targets): who may read and set whose targets."""

from __future__ import annotations

from tests import factories
from trellis.audit.models import AuditEvent
from trellis.sales.models import SalesTarget

URL = "/api/v1/targets"
Q1 = {"period_start": "2026-01-01", "period_end": "2026-03-31"}


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def target(user=None, team=None, amount=1000, **period):
    return SalesTarget.objects.create(user=user, team=team, amount=amount, **{**Q1, **period})


def owners(response) -> list:
    assert response.status_code == 200, response.content
    return sorted((i["user_id"] or 0, i["team_id"] or 0) for i in response.json()["items"])


def test_a_manager_sets_a_target_for_a_rep_in_their_subtree(api, people):
    response = api(people.manager).post(URL, {"user_id": people.rep.pk, "amount": "50000", **Q1})
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "50000.00"
    assert AuditEvent.objects.filter(entity="sales_target", action="create").exists()


def test_a_manager_may_not_set_a_target_outside_their_subtree(api, people):
    response = api(people.manager).post(URL, {"user_id": people.milan_rep.pk, "amount": 1, **Q1})
    assert response.status_code == 403
    assert error_fields(response) == ["user_id"]


def test_a_rep_may_not_set_targets_not_even_their_own(api, people):
    client = api(people.rep)
    assert client.post(URL, {"user_id": people.rep.pk, "amount": 1, **Q1}).status_code == 403
    assert client.post(URL, {"user_id": people.colleague.pk, "amount": 1, **Q1}).status_code == 403


def test_a_manager_may_not_set_their_own_target(api, people):
    response = api(people.manager).post(URL, {"user_id": people.manager.pk, "amount": 1, **Q1})
    assert response.status_code == 403


def test_an_administrator_sets_anyones_target(api, people, admin):
    response = api(admin).post(URL, {"user_id": people.milan_rep.pk, "amount": 1, **Q1})
    assert response.status_code == 201


def test_a_rep_reads_their_own_and_their_teams_targets_only(api, people, org):
    team = factories.team("Jakarta sellers", unit=org["jakarta"], members=(people.rep,))
    target(user=people.rep)
    target(user=people.colleague)
    target(team=team)
    target(user=people.milan_rep)
    assert owners(api(people.rep).get(URL)) == [(0, team.pk), (people.rep.pk, 0)]


def test_a_manager_reads_the_targets_in_their_subtree(api, people):
    target(user=people.rep)
    target(user=people.shanghai_rep)
    target(user=people.milan_rep)
    assert owners(api(people.manager).get(URL)) == [(people.rep.pk, 0), (people.shanghai_rep.pk, 0)]


def test_an_executive_reads_every_target(api, people):
    target(user=people.rep)
    target(user=people.milan_rep)
    assert len(api(people.executive).get(URL).json()["items"]) == 2


def test_an_invisible_target_answers_404(api, people):
    hidden = target(user=people.milan_rep)
    assert api(people.rep).get(f"{URL}/{hidden.pk}").status_code == 404
    assert api(people.rep).patch(f"{URL}/{hidden.pk}", {"amount": 1}).status_code == 404


def test_a_period_ending_before_it_starts_is_refused(api, people):
    response = api(people.manager).post(
        URL,
        {
            "user_id": people.rep.pk,
            "amount": 1,
            "period_start": "2026-03-01",
            "period_end": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert error_fields(response) == ["period_end"]


def test_a_negative_target_is_refused(api, people):
    response = api(people.manager).post(URL, {"user_id": people.rep.pk, "amount": "-1", **Q1})
    assert response.status_code == 400
    assert error_fields(response) == ["amount"]


def test_overlapping_targets_answer_409(api, people):
    target(user=people.rep)
    response = api(people.manager).post(
        URL,
        {
            "user_id": people.rep.pk,
            "amount": 1,
            "period_start": "2026-03-01",
            "period_end": "2026-06-30",
        },
    )
    assert response.status_code == 409


def test_a_target_needs_a_user_or_a_team(api, people):
    response = api(people.manager).post(URL, {"amount": 1, **Q1})
    assert response.status_code == 400
    assert error_fields(response) == ["user_id"]


def test_a_manager_changes_a_target_with_if_match(api, people):
    record = target(user=people.rep)
    client, path = api(people.manager), f"{URL}/{record.pk}"
    response = client.patch(path, {"amount": "2000"}, headers={"If-Match": "1"})
    assert response.status_code == 200
    assert response.json()["amount"] == "2000.00"
    assert client.patch(path, {"amount": "3000"}, headers={"If-Match": "1"}).status_code == 412


def test_a_rep_may_read_but_not_change_their_target(api, people):
    record = target(user=people.rep)
    assert api(people.rep).patch(f"{URL}/{record.pk}", {"amount": 1}).status_code == 403
    assert api(people.rep).delete(f"{URL}/{record.pk}").status_code == 403


def test_a_manager_deletes_a_target(api, people):
    record = target(user=people.rep)
    assert api(people.manager).delete(f"{URL}/{record.pk}").status_code == 204
    assert not SalesTarget.objects.filter(pk=record.pk).exists()
