"""The campaigns API (/api/v1/campaigns) as people who must see different things."""

from __future__ import annotations

from tests.sales.conftest import campaign
from trellis.audit.models import AuditEvent

URL = "/api/v1/campaigns"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def test_reps_in_different_units_list_different_campaigns(api, people):
    campaign(people.rep, name="Jakarta fair")
    campaign(people.milan_rep, name="Milan fair")
    assert names(api(people.colleague).get(URL)) == ["Jakarta fair"]
    assert names(api(people.milan_rep).get(URL)) == ["Milan fair"]


def test_a_manager_lists_the_campaigns_of_their_subtree(api, people):
    campaign(people.rep, name="Jakarta fair")
    campaign(people.shanghai_rep, name="Shanghai expo")
    campaign(people.milan_rep, name="Milan fair")
    assert names(api(people.manager).get(URL)) == ["Jakarta fair", "Shanghai expo"]


def test_filters_by_type_and_status(api, people):
    campaign(people.rep, name="Mail", type="email", status="active")
    campaign(people.rep, name="Show", type="event", status="planned")
    client = api(people.rep)
    assert names(client.get(URL, {"type": "email"})) == ["Mail"]
    assert names(client.get(URL, {"status": "planned"})) == ["Show"]


def test_a_marketer_creates_a_campaign_with_money_as_decimal_strings(api, people, line):
    response = api(people.marketer).post(
        URL,
        {
            "name": "Spring mail",
            "type": "email",
            "budget": "2500",
            "actual_cost": 10.5,
            "currency": "idr",
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "product_line_id": line.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["budget"], body["actual_cost"], body["currency"]) == ("2500.00", "10.50", "IDR")
    assert (body["start_date"], body["end_date"]) == ("2026-03-01", "2026-03-31")
    assert body["status"] == "planned"
    assert AuditEvent.objects.filter(entity="campaign", object_id=body["id"]).exists()


def test_a_rep_may_not_create_campaigns(api, people):
    assert api(people.rep).post(URL, {"name": "Mine"}).status_code == 403


def test_an_end_before_the_start_is_refused_naming_end_date(api, people):
    response = api(people.marketer).post(
        URL, {"name": "Bad", "start_date": "2026-03-10", "end_date": "2026-03-01"}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["end_date"]


def test_moving_the_start_after_the_end_is_refused_naming_start_date(api, people):
    record = campaign(people.marketer, start_date="2026-01-01", end_date="2026-01-31")
    response = api(people.marketer).patch(f"{URL}/{record.pk}", {"start_date": "2026-02-01"})
    assert response.status_code == 400
    assert error_fields(response) == ["start_date"]


def test_a_negative_budget_is_refused_naming_budget(api, people):
    response = api(people.marketer).post(URL, {"name": "Bad", "budget": "-5"})
    assert response.status_code == 400
    assert error_fields(response) == ["budget"]


def test_an_unknown_type_is_refused_naming_type(api, people):
    response = api(people.marketer).post(URL, {"name": "Bad", "type": "carrier_pigeon"})
    assert response.status_code == 422
    assert error_fields(response) == ["type"]


def test_an_unknown_product_line_answers_404_naming_product_line_id(api, people):
    response = api(people.marketer).post(URL, {"name": "Bad", "product_line_id": 999})
    assert response.status_code == 404
    assert error_fields(response) == ["product_line_id"]


def test_patch_with_a_stale_version_answers_412(api, people):
    record = campaign(people.marketer)
    client = api(people.marketer)
    path = f"{URL}/{record.pk}"
    assert client.patch(path, {"status": "active"}, headers={"If-Match": "1"}).status_code == 200
    response = client.patch(path, {"status": "completed"}, headers={"If-Match": "1"})
    assert response.status_code == 412


def test_an_invisible_campaign_answers_404_to_everything(api, people):
    record = campaign(people.milan_rep)
    client, path = api(people.rep), f"{URL}/{record.pk}"
    assert client.get(path).status_code == 404
    assert client.patch(path, {"name": "X"}).status_code == 404
    assert client.delete(path).status_code == 404
    assert client.get(f"{path}/access").status_code == 404


def test_a_reader_may_not_change_it(api, people):
    record = campaign(people.marketer)
    assert api(people.rep).patch(f"{URL}/{record.pk}", {"name": "X"}).status_code == 403


def test_delete_answers_204_and_keeps_the_opportunities(api, people, deals):
    record = campaign(people.marketer)
    deals.jakarta.campaign = record
    deals.jakarta.save()
    assert api(people.marketer).delete(f"{URL}/{record.pk}").status_code == 204
    deals.jakarta.refresh_from_db()
    assert deals.jakarta.campaign_id is None


def test_sharing_a_campaign_lets_another_unit_read_it(api, people):
    record = campaign(people.marketer, name="Shared fair")
    response = api(people.marketer).post(
        f"{URL}/{record.pk}/share", {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 200, response.content
    assert names(api(people.milan_rep).get(URL)) == ["Shared fair"]
