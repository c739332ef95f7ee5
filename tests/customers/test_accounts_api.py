"""The accounts API (/api/v1/accounts) as people who must see different things."""

from __future__ import annotations

import base64
import datetime as dt
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from trellis.access.models import Share
from trellis.audit.models import AuditEvent
from trellis.customers.models import Account

URL = "/api/v1/accounts"


def url(account: Account, suffix: str = "") -> str:
    return f"{URL}/{account.pk}{suffix}"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["name"] for item in response.json()["items"])


def error_fields(response) -> list[str]:
    return [error["field"] for error in response.json()["errors"]]


def cursor_for(value, pk) -> str:
    return base64.urlsafe_b64encode(json.dumps([value, pk]).encode()).decode().rstrip("=")


# Listing: each person sees exactly what the access model gives them.


def test_a_rep_lists_the_accounts_of_their_unit(api, people, accounts):
    assert names(api(people.rep).get(URL)) == ["Jakarta Steel", "Partner Goods"]


def test_a_rep_in_another_unit_lists_a_different_set(api, people, accounts):
    assert names(api(people.milan_rep).get(URL)) == ["Milan Moda"]


def test_a_sales_manager_lists_the_accounts_of_their_subtree(api, people, accounts):
    assert names(api(people.manager).get(URL)) == [
        "Jakarta Steel",
        "Partner Goods",
        "Shanghai Silk",
    ]


def test_an_executive_lists_every_account(api, people, accounts):
    assert names(api(people.executive).get(URL)) == [
        "Jakarta Steel",
        "Milan Moda",
        "Partner Goods",
        "Shanghai Silk",
    ]


def test_a_partner_lists_only_their_own_accounts(api, people, accounts):
    assert names(api(people.partner).get(URL)) == ["Partner Goods"]


def test_a_partner_also_lists_accounts_shared_with_them(api, people, accounts):
    api(people.rep).post(url(accounts.jakarta, "/share"), {"user_id": people.partner.pk})
    assert names(api(people.partner).get(URL)) == ["Jakarta Steel", "Partner Goods"]


# Reading one account.


def test_reading_a_visible_account_returns_it(api, people, accounts):
    response = api(people.manager).get(url(accounts.jakarta))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == accounts.jakarta.pk
    assert body["owner_user_id"] == people.rep.pk
    assert body["owning_unit_id"] == people.rep.unit_id
    assert body["version"] == 1


def test_reading_an_invisible_account_answers_404_like_a_missing_one(api, people, accounts):
    client = api(people.milan_rep)
    invisible = client.get(url(accounts.jakarta))
    missing = client.get(f"{URL}/{accounts.jakarta.pk + 1000}")
    assert invisible.status_code == 404
    assert missing.status_code == 404
    assert set(invisible.json()) == set(missing.json()) == {"detail", "errors"}
    assert invisible.json()["errors"] == missing.json()["errors"] == []
    assert invisible.json()["detail"] == f"account {accounts.jakarta.pk} not found"


def test_a_partner_cannot_read_a_colleagues_account_in_their_unit(api, people, accounts):
    assert api(people.partner).get(url(accounts.jakarta)).status_code == 404


def test_every_action_on_an_invisible_account_answers_404(api, people, accounts):
    client = api(people.milan_rep)
    target = accounts.jakarta
    assert client.patch(url(target), {"name": "X"}).status_code == 404
    assert client.delete(url(target)).status_code == 404
    assert (
        client.post(url(target, "/assign"), {"owner_user_id": people.milan_rep.pk}).status_code
        == 404
    )
    assert client.post(url(target, "/share"), {"user_id": people.milan_rep.pk}).status_code == 404
    assert client.post(url(target, "/unshare"), {"user_id": people.milan_rep.pk}).status_code == 404
    assert client.get(url(target, "/access")).status_code == 404
    assert (
        client.post(url(target, "/access-team"), {"user_id": people.milan_rep.pk}).status_code
        == 404
    )
    assert client.delete(url(target, f"/access-team/{people.rep.pk}")).status_code == 404
    accounts.jakarta.refresh_from_db()
    assert accounts.jakarta.name == "Jakarta Steel"


def test_an_id_too_large_for_the_database_answers_404(api, people, accounts):
    response = api(people.rep).get(f"{URL}/99999999999999999999")
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


# Updating.


def test_a_readable_but_not_writable_account_answers_403_to_patch(api, people, accounts):
    response = api(people.colleague).patch(url(accounts.jakarta), {"name": "Mine now"})
    assert response.status_code == 403
    assert response.json()["detail"]
    accounts.jakarta.refresh_from_db()
    assert accounts.jakarta.name == "Jakarta Steel"


def test_a_readable_but_not_deletable_account_answers_403_to_delete(api, people, accounts):
    assert api(people.colleague).delete(url(accounts.jakarta)).status_code == 403
    assert Account.objects.filter(pk=accounts.jakarta.pk).exists()


def test_the_executive_may_read_but_not_change_someone_elses_account(api, people, accounts):
    response = api(people.executive).patch(url(accounts.milan), {"name": "Renamed"})
    assert response.status_code == 403


def test_patch_with_the_current_version_updates_and_bumps_the_version(api, people, accounts):
    response = api(people.rep).patch(
        url(accounts.jakarta), {"name": "Jakarta Steel Works"}, headers={"If-Match": "1"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Jakarta Steel Works"
    assert response.json()["version"] == 2
    assert response.json()["modified_by_id"] == people.rep.pk


def test_patch_accepts_a_quoted_etag_style_version(api, people, accounts):
    response = api(people.rep).patch(
        url(accounts.jakarta), {"region": "APAC"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200


def test_patch_with_a_stale_version_answers_412(api, people, accounts):
    client = api(people.rep)
    client.patch(url(accounts.jakarta), {"region": "APAC"}, headers={"If-Match": "1"})
    response = client.patch(url(accounts.jakarta), {"region": "EMEA"}, headers={"If-Match": "1"})
    assert response.status_code == 412
    assert error_fields(response) == ["version"]
    accounts.jakarta.refresh_from_db()
    assert accounts.jakarta.region == "APAC"


def test_patch_with_an_unreadable_if_match_answers_400(api, people, accounts):
    response = api(people.rep).patch(
        url(accounts.jakarta), {"region": "APAC"}, headers={"If-Match": "yesterday"}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["If-Match"]


def test_patch_changes_only_the_fields_sent(api, people, accounts):
    accounts.jakarta.city = "Jakarta"
    accounts.jakarta.save()
    response = api(people.rep).patch(url(accounts.jakarta), {"industry": "Steel"})
    assert response.json()["industry"] == "Steel"
    assert response.json()["city"] == "Jakarta"


def test_patch_with_null_clears_a_text_field(api, people, accounts):
    accounts.jakarta.industry = "Steel"
    accounts.jakarta.save()
    response = api(people.rep).patch(url(accounts.jakarta), {"industry": None})
    assert response.status_code == 200, response.content
    assert response.json()["industry"] == ""


def test_patch_with_a_null_name_is_refused(api, people, accounts):
    response = api(people.rep).patch(url(accounts.jakarta), {"name": None})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["name"]


def test_patch_with_an_empty_name_is_refused(api, people, accounts):
    response = api(people.rep).patch(url(accounts.jakarta), {"name": "  "})
    assert response.status_code == 400
    assert error_fields(response) == ["name"]


def test_patch_to_a_parent_the_caller_cannot_see_answers_404_naming_parent_id(
    api, people, accounts
):
    response = api(people.rep).patch(url(accounts.jakarta), {"parent_id": accounts.milan.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["parent_id"]


def test_patch_that_makes_an_account_its_own_ancestor_is_refused(api, people, accounts):
    child = factories.account(people.rep, name="Jakarta Steel Branch", parent=accounts.jakarta)
    response = api(people.rep).patch(url(accounts.jakarta), {"parent_id": child.pk})
    assert response.status_code == 400
    assert error_fields(response) == ["parent_id"]


def test_patch_with_null_parent_detaches_the_account(api, people, accounts):
    child = factories.account(people.rep, name="Branch", parent=accounts.jakarta)
    response = api(people.rep).patch(url(child), {"parent_id": None})
    assert response.status_code == 200
    assert response.json()["parent_id"] is None


# Creating.


def test_create_answers_201_owned_by_the_caller_in_their_unit(api, people, org):
    response = api(people.rep).post(URL, {"name": "Borneo Timber", "tier": "key"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["owner_user_id"] == people.rep.pk
    assert body["owner_team_id"] is None
    assert body["owning_unit_id"] == org["jakarta"].pk
    assert body["created_by_id"] == people.rep.pk
    assert body["tier"] == "key"
    assert body["version"] == 1
    assert Account.objects.filter(pk=body["id"], name="Borneo Timber").exists()


def test_create_returns_money_as_a_decimal_string(api, people):
    response = api(people.rep).post(URL, {"name": "Borneo Timber", "annual_revenue": "1234.5"})
    assert response.status_code == 201
    assert response.json()["annual_revenue"] == "1234.50"
    assert response.json()["currency"] == "USD"


def test_create_sets_the_size_segment_from_the_head_count(api, people):
    response = api(people.rep).post(URL, {"name": "Borneo Timber", "employees": 300})
    assert response.json()["size_segment"] == "large"


def test_a_partner_creates_accounts_they_own(api, people, org):
    response = api(people.partner).post(URL, {"name": "Partner Two"})
    assert response.status_code == 201
    assert response.json()["owner_user_id"] == people.partner.pk


def test_create_for_someone_else_without_assign_rights_answers_403(api, people):
    response = api(people.rep).post(
        URL, {"name": "For a colleague", "owner_user_id": people.colleague.pk}
    )
    assert response.status_code == 403
    assert error_fields(response) == ["owner_user_id"]
    assert not Account.objects.filter(name="For a colleague").exists()


def test_a_manager_creates_an_account_for_a_rep_in_their_subtree(api, people, org):
    response = api(people.manager).post(
        URL, {"name": "For the rep", "owner_user_id": people.rep.pk}
    )
    assert response.status_code == 201, response.content
    assert response.json()["owner_user_id"] == people.rep.pk
    assert response.json()["owning_unit_id"] == org["jakarta"].pk


def test_a_manager_cannot_create_for_someone_outside_their_subtree(api, people):
    response = api(people.manager).post(
        URL, {"name": "For Milan", "owner_user_id": people.milan_rep.pk}
    )
    assert response.status_code == 403


def test_create_for_an_unknown_owner_answers_404_naming_owner_user_id(api, people):
    response = api(people.manager).post(URL, {"name": "Nobody's", "owner_user_id": 987654321})
    assert response.status_code == 404
    assert error_fields(response) == ["owner_user_id"]


def test_create_under_a_parent_the_caller_cannot_see_answers_404_naming_parent_id(
    api, people, accounts
):
    response = api(people.rep).post(URL, {"name": "Branch", "parent_id": accounts.milan.pk})
    assert response.status_code == 404
    assert error_fields(response) == ["parent_id"]
    assert not Account.objects.filter(name="Branch").exists()


def test_create_under_a_parent_that_does_not_exist_answers_the_same(api, people, accounts):
    response = api(people.rep).post(URL, {"name": "Branch", "parent_id": accounts.milan.pk + 1000})
    assert response.status_code == 404
    assert error_fields(response) == ["parent_id"]


def test_create_under_a_visible_parent_links_it(api, people, accounts):
    response = api(people.rep).post(URL, {"name": "Branch", "parent_id": accounts.jakarta.pk})
    assert response.status_code == 201
    assert response.json()["parent_id"] == accounts.jakarta.pk


# Deleting.


def test_delete_answers_204_and_the_account_is_gone(api, people, accounts):
    client = api(people.rep)
    response = client.delete(url(accounts.jakarta))
    assert response.status_code == 204
    assert not Account.objects.filter(pk=accounts.jakarta.pk).exists()
    assert client.get(url(accounts.jakarta)).status_code == 404


def test_deleting_an_account_removes_its_shares(api, people, accounts):
    client = api(people.rep)
    client.post(url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk})
    client.delete(url(accounts.jakarta))
    assert not Share.objects.filter(record_id=accounts.jakarta.pk).exists()


# Assigning.


def test_assign_moves_the_owner_and_the_owning_unit(api, people, accounts, org):
    response = api(people.manager).post(
        url(accounts.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner_user_id"] == people.shanghai_rep.pk
    assert response.json()["owning_unit_id"] == org["shanghai"].pk
    assert response.json()["version"] == 2


def test_assign_to_a_team_makes_the_team_the_owner(api, people, accounts, org):
    team = factories.team("Shanghai sales", unit=org["shanghai"])
    response = api(people.manager).post(
        url(accounts.jakarta, "/assign"), {"owner_team_id": team.pk}
    )
    assert response.status_code == 200, response.content
    assert response.json()["owner_user_id"] is None
    assert response.json()["owner_team_id"] == team.pk
    assert response.json()["owning_unit_id"] == org["shanghai"].pk


def test_assign_with_cascade_carries_the_child_accounts(api, people, accounts, org):
    child = factories.account(people.rep, name="Branch", parent=accounts.jakarta)
    response = api(people.manager).post(
        url(accounts.jakarta, "/assign"),
        {"owner_user_id": people.shanghai_rep.pk, "cascade": True},
    )
    assert response.status_code == 200
    child.refresh_from_db()
    assert child.owner_user_id == people.shanghai_rep.pk
    assert child.owning_unit_id == org["shanghai"].pk


def test_assign_with_cascade_carries_grandchildren_too(api, people, accounts):
    child = factories.account(people.rep, name="Branch", parent=accounts.jakarta)
    grandchild = factories.account(people.rep, name="Sub-branch", parent=child)
    api(people.manager).post(
        url(accounts.jakarta, "/assign"),
        {"owner_user_id": people.shanghai_rep.pk, "cascade": True},
    )
    grandchild.refresh_from_db()
    assert grandchild.owner_user_id == people.shanghai_rep.pk


def test_cascade_leaves_children_the_actor_may_not_assign(api, people, accounts):
    outside = factories.account(people.milan_rep, name="Milan branch", parent=accounts.jakarta)
    api(people.manager).post(
        url(accounts.jakarta, "/assign"),
        {"owner_user_id": people.shanghai_rep.pk, "cascade": True},
    )
    outside.refresh_from_db()
    assert outside.owner_user_id == people.milan_rep.pk


def test_assign_without_cascade_leaves_the_child_accounts(api, people, accounts):
    child = factories.account(people.rep, name="Branch", parent=accounts.jakarta)
    api(people.manager).post(
        url(accounts.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    child.refresh_from_db()
    assert child.owner_user_id == people.rep.pk


def test_assign_without_assign_rights_answers_403(api, people, accounts):
    response = api(people.colleague).post(
        url(accounts.jakarta, "/assign"), {"owner_user_id": people.colleague.pk}
    )
    assert response.status_code == 403
    accounts.jakarta.refresh_from_db()
    assert accounts.jakarta.owner_user_id == people.rep.pk


def test_assign_without_an_owner_answers_400(api, people, accounts):
    response = api(people.manager).post(url(accounts.jakarta, "/assign"), {})
    assert response.status_code == 400
    assert error_fields(response) == ["owner_user_id"]


def test_assign_to_an_unknown_user_answers_404_naming_owner_user_id(api, people, accounts):
    response = api(people.manager).post(
        url(accounts.jakarta, "/assign"), {"owner_user_id": 987654321}
    )
    assert response.status_code == 404
    assert error_fields(response) == ["owner_user_id"]


# Sharing.


def test_sharing_read_and_write_lets_the_sharee_read_and_write(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"),
        {"user_id": people.milan_rep.pk, "rights": ["read", "write"]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["rights"] == ["read", "write"]
    sharee = api(people.milan_rep)
    assert sharee.get(url(accounts.jakarta)).status_code == 200
    assert sharee.patch(url(accounts.jakarta), {"region": "APAC"}).status_code == 200


def test_sharing_read_only_lets_the_sharee_read_but_not_write(api, people, accounts):
    api(people.rep).post(url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk})
    sharee = api(people.milan_rep)
    assert sharee.get(url(accounts.jakarta)).status_code == 200
    assert sharee.patch(url(accounts.jakarta), {"region": "APAC"}).status_code == 403


def test_a_share_with_an_expiry_is_returned_with_it(api, people, accounts):
    until = (timezone.now() + dt.timedelta(days=7)).isoformat()
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk, "expires_at": until}
    )
    assert response.status_code == 200, response.content
    assert response.json()["expires_at"] is not None


def test_an_expired_share_no_longer_gives_access(api, people, accounts):
    until = (timezone.now() + dt.timedelta(days=7)).isoformat()
    api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk, "expires_at": until}
    )
    Share.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 404


def test_a_share_expiring_in_the_past_is_refused(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"),
        {"user_id": people.milan_rep.pk, "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert error_fields(response) == ["expires_at"]


def test_a_share_expiry_without_a_time_zone_is_accepted(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"),
        {"user_id": people.milan_rep.pk, "expires_at": "2099-01-01T00:00:00"},
    )
    assert response.status_code == 200, response.content


def test_sharing_a_right_the_actor_lacks_answers_403(api, people, accounts):
    # The manager shares across the subtree but deletes only in their own unit.
    response = api(people.manager).post(
        url(accounts.jakarta, "/share"),
        {"user_id": people.milan_rep.pk, "rights": ["read", "delete"]},
    )
    assert response.status_code == 403
    assert error_fields(response) == ["rights"]
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 404


def test_sharing_without_the_share_right_answers_403(api, people, accounts):
    response = api(people.colleague).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 403


def test_sharing_an_unknown_right_answers_400_naming_rights(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk, "rights": ["fly"]}
    )
    assert response.status_code == 400
    assert error_fields(response) == ["rights"]


def test_sharing_with_nobody_answers_400(api, people, accounts):
    response = api(people.rep).post(url(accounts.jakarta, "/share"), {"rights": ["read"]})
    assert response.status_code == 400
    assert error_fields(response) == ["user_id"]


def test_sharing_with_a_team_lets_its_members_read(api, people, accounts, org):
    team = factories.team("Milan sales", unit=org["milan"], members=(people.milan_rep,))
    response = api(people.rep).post(url(accounts.jakarta, "/share"), {"team_id": team.pk})
    assert response.status_code == 200, response.content
    assert response.json()["team_id"] == team.pk
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 200


def test_unsharing_takes_the_access_away(api, people, accounts):
    client = api(people.rep)
    client.post(url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk})
    response = client.post(url(accounts.jakarta, "/unshare"), {"user_id": people.milan_rep.pk})
    assert response.status_code == 204
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 404


def test_unsharing_what_was_never_shared_answers_404_naming_user_id(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/unshare"), {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 404
    assert error_fields(response) == ["user_id"]


# Who can reach an account, and why.


def test_access_lists_who_can_reach_the_account_and_why(api, people, accounts):
    response = api(people.rep).get(url(accounts.jakarta, "/access"))
    assert response.status_code == 200, response.content
    rows = {row["username"]: row for row in response.json()["items"]}
    assert set(rows) == {"rep", "colleague", "manager", "executive"}
    assert rows["rep"]["rights"] == ["read", "write", "delete", "assign", "share"]
    assert rows["colleague"]["rights"] == ["read"]
    assert rows["executive"]["rights"] == ["read"]
    colleague_reasons = [(g["source"], g["role"], g["depth"]) for g in rows["colleague"]["grants"]]
    assert colleague_reasons == [("role", "Sales Representative", "unit")]
    assert response.json()["shares"] == []


def test_access_shows_a_share_with_its_reason(api, people, accounts):
    client = api(people.rep)
    client.post(url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk})
    body = client.get(url(accounts.jakarta, "/access")).json()
    rows = {row["username"]: row for row in body["items"]}
    assert rows["milan_rep"]["rights"] == ["read"]
    assert [g["source"] for g in rows["milan_rep"]["grants"]] == ["share"]
    assert [(s["user_id"], s["rights"]) for s in body["shares"]] == [
        (people.milan_rep.pk, ["read"])
    ]


# Access teams.


def test_adding_someone_to_the_access_team_gives_them_the_templates_rights(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/access-team"), {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 204, response.content
    member = api(people.milan_rep)
    assert member.get(url(accounts.jakarta)).status_code == 200
    assert member.patch(url(accounts.jakarta), {"region": "APAC"}).status_code == 200
    rows = {
        row["username"]: row
        for row in api(people.rep).get(url(accounts.jakarta, "/access")).json()["items"]
    }
    assert "access_team" in [g["source"] for g in rows["milan_rep"]["grants"]]


def test_removing_someone_from_the_access_team_takes_the_access_away(api, people, accounts):
    client = api(people.rep)
    client.post(url(accounts.jakarta, "/access-team"), {"user_id": people.milan_rep.pk})
    response = client.delete(url(accounts.jakarta, f"/access-team/{people.milan_rep.pk}"))
    assert response.status_code == 204
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 404


def test_removing_someone_not_on_the_access_team_answers_404(api, people, accounts):
    response = api(people.rep).delete(url(accounts.jakarta, f"/access-team/{people.milan_rep.pk}"))
    assert response.status_code == 404
    assert error_fields(response) == ["user_id"]


def test_adding_to_the_access_team_without_the_share_right_answers_403(api, people, accounts):
    response = api(people.colleague).post(
        url(accounts.jakarta, "/access-team"), {"user_id": people.milan_rep.pk}
    )
    assert response.status_code == 403
    assert api(people.milan_rep).get(url(accounts.jakarta)).status_code == 404


def test_adding_an_unknown_user_to_the_access_team_answers_404_naming_user_id(
    api, people, accounts
):
    response = api(people.rep).post(url(accounts.jakarta, "/access-team"), {"user_id": 987654321})
    assert response.status_code == 404
    assert error_fields(response) == ["user_id"]


# Cursor pagination.


def _many_accounts(owner, count: int = 7) -> list[Account]:
    """Accounts with equal modified_at and created_at, and some equal names."""
    moment = timezone.now().replace(microsecond=0)
    made = []
    for index in range(count):
        made.append(
            factories.account(
                owner,
                name=f"Account {index % 3}",
                modified_at=moment,
                created_at=moment - dt.timedelta(seconds=index % 2),
            )
        )
    return made


def _walk(client, order: str) -> list[int]:
    seen: list[int] = []
    params = {"limit": 2, "order": order}
    for _ in range(20):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= 2
        seen.extend(item["id"] for item in body["items"])
        if body["next_cursor"] is None:
            return seen
        params["cursor"] = body["next_cursor"]
    raise AssertionError("pagination did not end")


def test_paging_by_last_modified_visits_every_account_once(api, people):
    _many_accounts(people.rep)
    expected = list(Account.objects.order_by("-modified_at", "-pk").values_list("pk", flat=True))
    assert _walk(api(people.rep), "-modified_at") == expected


def test_paging_by_name_visits_every_account_once(api, people):
    _many_accounts(people.rep)
    expected = list(Account.objects.order_by("name", "pk").values_list("pk", flat=True))
    assert _walk(api(people.rep), "name") == expected


def test_paging_by_creation_visits_every_account_once(api, people):
    _many_accounts(people.rep)
    expected = list(Account.objects.order_by("created_at", "pk").values_list("pk", flat=True))
    assert _walk(api(people.rep), "created_at") == expected


def test_paging_by_name_descending_visits_every_account_once(api, people):
    _many_accounts(people.rep)
    expected = list(Account.objects.order_by("-name", "-pk").values_list("pk", flat=True))
    assert _walk(api(people.rep), "-name") == expected


def test_paging_only_walks_visible_accounts(api, people):
    mine = _many_accounts(people.rep, 5)
    _many_accounts(people.milan_rep, 5)
    assert sorted(_walk(api(people.rep), "-modified_at")) == sorted(a.pk for a in mine)


def test_count_is_given_when_asked(api, people):
    _many_accounts(people.rep, 5)
    _many_accounts(people.milan_rep, 3)
    client = api(people.rep)
    assert client.get(URL, {"limit": 2, "count": "true"}).json()["count"] == 5
    assert client.get(URL, {"limit": 2}).json()["count"] is None


def test_the_default_order_is_last_modified_first(api, people):
    older = factories.account(people.rep, name="Older")
    older.modified_at = timezone.now() - dt.timedelta(days=1)
    older.save()
    factories.account(people.rep, name="Newer")
    items = api(people.rep).get(URL).json()["items"]
    assert [item["name"] for item in items] == ["Newer", "Older"]


# Filters.


def test_filter_by_tier(api, people):
    factories.account(people.rep, name="Key one", tier="key")
    factories.account(people.rep, name="Standard one")
    assert names(api(people.rep).get(URL, {"tier": "key"})) == ["Key one"]


def test_filter_by_region(api, people):
    factories.account(people.rep, name="North", region="North")
    factories.account(people.rep, name="South", region="South")
    assert names(api(people.rep).get(URL, {"region": "South"})) == ["South"]


def test_filter_by_owner(api, people):
    factories.account(people.rep, name="Rep's")
    factories.account(people.colleague, name="Colleague's")
    response = api(people.rep).get(URL, {"owner_user_id": people.colleague.pk})
    assert names(response) == ["Colleague's"]


def test_filter_by_owner_never_widens_what_is_visible(api, people, accounts):
    response = api(people.rep).get(URL, {"owner_user_id": people.milan_rep.pk})
    assert names(response) == []


def test_search_matches_name_city_and_email(api, people):
    factories.account(people.rep, name="Acme Steel")
    factories.account(people.rep, name="Other", city="Steelton")
    factories.account(people.rep, name="Mail", email="buyer@steel.example")
    factories.account(people.rep, name="Unrelated")
    assert names(api(people.rep).get(URL, {"q": "steel"})) == ["Acme Steel", "Mail", "Other"]


def test_filters_combine(api, people):
    factories.account(people.rep, name="Key south", tier="key", region="South")
    factories.account(people.rep, name="Key north", tier="key", region="North")
    factories.account(people.rep, name="Standard south", region="South")
    response = api(people.rep).get(URL, {"tier": "key", "region": "South"})
    assert names(response) == ["Key south"]


# Bad input: 4xx naming the field, never a 500.


def test_limit_zero_is_refused(api, people):
    response = api(people.rep).get(URL, {"limit": 0})
    assert response.status_code == 400
    assert error_fields(response) == ["limit"]


def test_limit_above_the_maximum_is_refused(api, people):
    response = api(people.rep).get(URL, {"limit": 1000})
    assert response.status_code == 400
    assert error_fields(response) == ["limit"]


def test_limit_that_is_not_a_number_is_refused(api, people):
    response = api(people.rep).get(URL, {"limit": "many"})
    assert response.status_code == 422
    assert error_fields(response) == ["limit"]


def test_an_unknown_order_is_refused(api, people):
    response = api(people.rep).get(URL, {"order": "bogus"})
    assert response.status_code == 400
    assert error_fields(response) == ["order"]


def test_ordering_by_a_field_not_offered_is_refused(api, people):
    response = api(people.rep).get(URL, {"order": "owner_user__password"})
    assert response.status_code == 400
    assert error_fields(response) == ["order"]


def test_a_garbage_cursor_is_refused(api, people):
    response = api(people.rep).get(URL, {"cursor": "garbage!"})
    assert response.status_code == 400
    assert error_fields(response) == ["cursor"]


def test_a_forged_cursor_with_a_null_value_is_refused(api, people):
    factories.account(people.rep)
    response = api(people.rep).get(URL, {"cursor": cursor_for(None, 1)})
    assert response.status_code == 400
    assert error_fields(response) == ["cursor"]


def test_a_forged_cursor_with_a_wrong_type_is_refused(api, people):
    factories.account(people.rep)
    response = api(people.rep).get(URL, {"cursor": cursor_for({"a": 1}, "x")})
    assert response.status_code == 400
    assert error_fields(response) == ["cursor"]


def test_a_forged_cursor_with_a_huge_id_does_not_fail(api, people):
    factories.account(people.rep)
    response = api(people.rep).get(
        URL, {"order": "name", "cursor": cursor_for("A", 99999999999999999999)}
    )
    assert response.status_code in (200, 400)


def test_a_cursor_with_a_nul_character_is_refused(api, people):
    factories.account(people.rep)
    response = api(people.rep).get(URL, {"order": "name", "cursor": cursor_for("A\x00", 1)})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["cursor"]


def test_an_unknown_tier_filter_is_refused(api, people):
    response = api(people.rep).get(URL, {"tier": "gold"})
    assert response.status_code == 422
    assert error_fields(response) == ["tier"]


def test_an_owner_filter_that_is_not_a_number_is_refused(api, people):
    response = api(people.rep).get(URL, {"owner_user_id": "bob"})
    assert response.status_code == 422
    assert error_fields(response) == ["owner_user_id"]


def test_an_owner_filter_too_large_for_the_database_is_refused(api, people):
    response = api(people.rep).get(URL, {"owner_user_id": "99999999999999999999"})
    assert response.status_code == 422
    assert error_fields(response) == ["owner_user_id"]


def test_a_search_with_a_nul_character_is_refused(api, people):
    response = api(people.rep).get(URL, {"q": "a\x00b"})
    assert response.status_code == 422
    assert error_fields(response) == ["q"]


def test_a_count_flag_that_is_not_a_boolean_is_refused(api, people):
    response = api(people.rep).get(URL, {"count": "maybe"})
    assert response.status_code == 422
    assert error_fields(response) == ["count"]


def test_create_with_an_unknown_tier_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "tier": "gold"})
    assert response.status_code == 422
    assert error_fields(response) == ["tier"]


def test_create_with_revenue_that_is_not_a_number_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "annual_revenue": "abc"})
    assert response.status_code == 422
    assert error_fields(response) == ["annual_revenue"]


def test_create_with_revenue_that_is_not_finite_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "annual_revenue": "NaN"})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["annual_revenue"]


def test_create_with_revenue_too_large_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "annual_revenue": "1e20"})
    assert response.status_code == 400
    assert error_fields(response) == ["annual_revenue"]


def test_create_with_negative_employees_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "employees": -5})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["employees"]


def test_create_with_more_employees_than_the_database_holds_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "employees": 10**12})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["employees"]


def test_create_with_an_empty_name_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": ""})
    assert response.status_code == 400
    assert error_fields(response) == ["name"]


def test_create_without_a_name_is_refused(api, people):
    response = api(people.rep).post(URL, {"region": "South"})
    assert response.status_code == 422
    assert error_fields(response) == ["name"]


def test_create_with_a_name_too_long_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "A" * 201})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["name"]


def test_create_with_a_phone_too_long_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "phone": "1" * 41})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["phone"]


def test_create_with_a_nul_character_in_the_name_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Ac\x00me"})
    assert response.status_code == 422
    assert error_fields(response) == ["name"]


def test_create_with_a_bad_currency_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "currency": "dollars"})
    assert response.status_code == 400
    assert error_fields(response) == ["currency"]


def test_create_with_a_bad_country_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "country": "Indonesia"})
    assert response.status_code == 400
    assert error_fields(response) == ["country"]


def test_create_with_a_parent_id_too_large_for_the_database_is_refused(api, people):
    response = api(people.rep).post(URL, {"name": "Acme", "parent_id": 99999999999999999999})
    assert response.status_code in (404, 422)
    assert error_fields(response) == ["parent_id"]


def test_create_with_an_owner_id_too_large_for_the_database_is_refused(api, people):
    response = api(people.manager).post(
        URL, {"name": "Acme", "owner_user_id": 99999999999999999999}
    )
    assert response.status_code in (404, 422)
    assert error_fields(response) == ["owner_user_id"]


def test_create_with_a_body_that_is_not_json_is_refused(api, people):
    client = api(people.rep)
    response = client.client.post(
        URL,
        "name=Acme",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {client.token}",
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_create_with_a_json_list_body_is_refused(api, people):
    client = api(people.rep)
    response = client.client.post(
        URL, "[1, 2]", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {client.token}"
    )
    assert response.status_code in (400, 422)
    assert "detail" in response.json()


def test_patch_with_an_unknown_tier_is_refused(api, people, accounts):
    response = api(people.rep).patch(url(accounts.jakarta), {"tier": "gold"})
    assert response.status_code == 422
    assert error_fields(response) == ["tier"]


def test_patch_with_negative_employees_is_refused(api, people, accounts):
    response = api(people.rep).patch(url(accounts.jakarta), {"employees": -1})
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["employees"]


def test_share_with_a_user_id_too_large_for_the_database_is_refused(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": 99999999999999999999}
    )
    assert response.status_code in (404, 422)
    assert error_fields(response) == ["user_id"]


def test_share_with_rights_that_are_not_a_list_is_refused(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk, "rights": "read"}
    )
    assert response.status_code in (400, 422)
    assert error_fields(response) == ["rights"]


def test_share_with_an_expiry_that_is_not_a_date_is_refused(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/share"), {"user_id": people.milan_rep.pk, "expires_at": "soon"}
    )
    assert response.status_code == 422
    assert error_fields(response) == ["expires_at"]


def test_an_access_team_expiry_without_a_time_zone_is_accepted(api, people, accounts):
    response = api(people.rep).post(
        url(accounts.jakarta, "/access-team"),
        {"user_id": people.milan_rep.pk, "expires_at": "2099-01-01T00:00:00"},
    )
    assert response.status_code == 204, response.content


# The OpenAPI document.


def test_the_openapi_document_lists_the_accounts_paths(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/accounts" in paths
    assert "/api/v1/accounts/{account_id}" in paths
    assert "/api/v1/accounts/{account_id}/share" in paths
    assert "/api/v1/auth/token" in paths


# The audit trail.


def _events(account_id: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(entity="account", object_id=account_id).order_by("pk"))


def test_create_is_audited_with_the_new_values(api, people):
    account_id = api(people.rep).post(URL, {"name": "Acme"}).json()["id"]
    [event] = _events(account_id)
    assert event.action == "create"
    assert event.actor_id == people.rep.pk
    assert event.changes["name"] == "Acme"


def test_update_is_audited_with_before_and_after(api, people, accounts):
    api(people.rep).patch(url(accounts.jakarta), {"name": "Jakarta Iron", "region": "APAC"})
    [event] = _events(accounts.jakarta.pk)
    assert event.action == "update"
    assert event.actor_id == people.rep.pk
    assert event.changes == {"name": ["Jakarta Steel", "Jakarta Iron"], "region": ["", "APAC"]}


def test_delete_is_audited_with_the_last_values(api, people, accounts):
    api(people.rep).delete(url(accounts.jakarta))
    [event] = _events(accounts.jakarta.pk)
    assert event.action == "delete"
    assert event.changes["name"] == "Jakarta Steel"


def test_assign_is_audited_with_the_owner_change(api, people, accounts, org):
    api(people.manager).post(
        url(accounts.jakarta, "/assign"), {"owner_user_id": people.shanghai_rep.pk}
    )
    [event] = _events(accounts.jakarta.pk)
    assert event.action == "assign"
    assert event.actor_id == people.manager.pk
    assert event.changes["owner_user_id"] == [people.rep.pk, people.shanghai_rep.pk]
    assert event.changes["owning_unit_id"] == [org["jakarta"].pk, org["shanghai"].pk]


def test_share_and_unshare_are_audited(api, people, accounts):
    client = api(people.rep)
    client.post(
        url(accounts.jakarta, "/share"),
        {"user_id": people.milan_rep.pk, "rights": ["read", "write"]},
    )
    client.post(url(accounts.jakarta, "/unshare"), {"user_id": people.milan_rep.pk})
    share, unshare = _events(accounts.jakarta.pk)
    assert share.action == "share"
    assert share.changes["rights"] == [None, ["read", "write"]]
    assert unshare.action == "unshare"


def test_a_refused_write_leaves_no_audit_event(api, people, accounts):
    api(people.colleague).patch(url(accounts.jakarta), {"name": "Mine now"})
    assert _events(accounts.jakarta.pk) == []


# Query counts on the hot path.


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"limit": 50})
    assert response.status_code == 200
    return len(queries)


def test_listing_takes_the_same_number_of_queries_for_5_or_30_accounts(api, people, org):
    team = factories.team("Jakarta sales", unit=org["jakarta"], members=(people.rep,))
    for _ in range(5):
        factories.account(people.rep)
    client = api(people.rep)
    client.get(URL)  # the first use of a token records it; measure after
    few = _list_queries(client)
    for index in range(25):
        factories.account(team if index % 2 else people.colleague)
    many = _list_queries(client)
    assert len(client.get(URL, {"limit": 50}).json()["items"]) == 30
    assert many == few
