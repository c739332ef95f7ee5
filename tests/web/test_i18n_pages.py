"""The main pages rendered for a Simplified Chinese user: no English navigation, headings
or labels left over; model names, stage history, role matrix, access reasons, timeline
events, weekdays and amounts in the user's language."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.utils import translation
from pytest_django.asserts import assertContains, assertNotContains

from tests import factories
from trellis.access.services import record_share
from trellis.activities.models import Activity
from trellis.org.models import SecurityRole, UserType
from trellis.sales.models import Campaign, Lead, Opportunity, OpportunityStageChange
from trellis.service.models import Case

# English words of the page frame and the main pages' headings and labels.
LEAKS = [
    "Home",
    "Accounts",
    "Contacts",
    "Leads",
    "Opportunities",
    "Cases",
    "Queues",
    "Campaigns",
    "Calendar",
    "Reports",
    "Admin",
    "Sign out",
    "Change language",
    "Search",
    "Details",
    "Owner",
    "Business unit",
    "Timeline",
    "Who can see this",
    "Shares",
    "Stage history",
    "Assignment",
    "Notifications",
    "Partner portal",
    "My leads",
    "Shared with me",
    "Show all",
    "Save",
    "Edit",
    "Read",
    "Write",
    "Mon",
    "Tue",
    "Week",
    "Month",
    "Security roles",
    "Privileges",
]
LEAK = re.compile(r"\b(" + "|".join(re.escape(word) for word in LEAKS) + r")\b")


class _VisibleText(HTMLParser):
    """The text a person reads: text nodes and labelling attributes, without scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [v for k, v in attrs if k in ("placeholder", "aria-label", "title") and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _leaks(response) -> list[str]:
    parser = _VisibleText()
    parser.feed(response.content.decode())
    return sorted({match for part in parser.parts for match in LEAK.findall(part)})


def _owned(user) -> dict:
    return {"owner_user": user, "owning_unit_id": user.unit_id}


@pytest.fixture
def world(org, admin):
    """Chinese-speaking people and a record of each kind, named in Chinese."""
    rep = factories.user(
        "rep",
        unit=org["jakarta"],
        roles=["Sales Representative", "Customer Service Representative"],
        ui_language="zh-hans",
        first_name="李",
    )
    boss = factories.user(
        "boss", unit=org["root"], roles=["System Administrator"], ui_language="zh-hans"
    )
    partner = factories.user(
        "partner",
        unit=org["jakarta"],
        roles=["Partner"],
        user_type=UserType.PARTNER,
        ui_language="zh-hans",
    )
    account = factories.account(rep, name="甲公司", annual_revenue=1234567)
    record_share(admin, account, user=partner, rights=["read"])
    opportunity = Opportunity.objects.create(
        name="丙交易", account=account, amount=5000, stage="proposal", **_owned(rep)
    )
    OpportunityStageChange.objects.create(
        opportunity=opportunity, from_stage="prospecting", to_stage="proposal", changed_by=rep
    )
    return {
        "rep": rep,
        "boss": boss,
        "partner": partner,
        "account": account,
        "lead": Lead.objects.create(last_name="乙", **_owned(rep)),
        "opportunity": opportunity,
        "case": Case.objects.create(subject="丁问题", number="C-1", **_owned(rep)),
        "campaign": Campaign.objects.create(name="戊活动", **_owned(rep)),
        "activity": Activity.objects.create(kind="task", subject="己任务", **_owned(rep)),
        "role": SecurityRole.objects.get(name="Sales Representative"),
    }


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


PAGES = [
    ("rep", "/"),
    ("rep", "/accounts/"),
    ("rep", "/accounts/{account}/"),
    ("rep", "/accounts/{account}/access/"),
    ("rep", "/contacts/"),
    ("rep", "/leads/"),
    ("rep", "/leads/{lead}/"),
    ("rep", "/opportunities/"),
    ("rep", "/opportunities/{opportunity}/"),
    ("rep", "/opportunities/pipeline/"),
    ("rep", "/cases/"),
    ("rep", "/cases/{case}/"),
    ("rep", "/campaigns/"),
    ("rep", "/campaigns/{campaign}/"),
    ("rep", "/calendar/"),
    ("rep", "/activities/"),
    ("rep", "/activities/{activity}/"),
    ("rep", "/notifications/"),
    ("rep", "/search/?q=甲公司"),
    ("rep", "/timeline/account/{account}/"),
    ("boss", "/admin/"),
    ("boss", "/admin/roles/"),
    ("boss", "/admin/roles/{role}/"),
    ("boss", "/admin/users/"),
    ("boss", "/reports/"),
    ("boss", "/routing/rules/"),
    ("boss", "/service-levels/"),
    ("partner", "/"),
    ("partner", "/accounts/{account}/"),
]


@pytest.mark.parametrize(("who", "path"), PAGES)
def test_a_main_page_shows_a_chinese_user_no_english_words_of_the_interface(world, who, path):
    url = path.format(**{key: getattr(value, "pk", None) for key, value in world.items()})
    response = _client(world[who]).get(url)
    assert response.status_code == 200, url
    assert _leaks(response) == [], url


def test_the_same_page_shows_an_english_user_the_english_words(world):
    world["rep"].ui_language = "en"
    world["rep"].save(update_fields=["ui_language"])
    response = _client(world["rep"]).get(f"/accounts/{world['account'].pk}/")
    assert "Owner" in _leaks(response)


def test_the_record_noun_on_a_case_page_is_chinese(world):
    response = _client(world["rep"]).get(f"/cases/{world['case'].pk}/")
    assertContains(response, "谁可以查看此工单")


def test_the_stage_history_shows_the_translated_stage_a_change_came_from(world):
    response = _client(world["rep"]).get(f"/opportunities/{world['opportunity'].pk}/")
    with translation.override("zh-hans"):
        prospecting = str(dict(Opportunity._meta.get_field("stage").choices)["prospecting"])
    assert prospecting != "Prospecting"
    assertContains(response, f"{prospecting} →")
    assertNotContains(response, "prospecting →")


def test_the_role_matrix_shows_depths_and_privileges_in_chinese(world):
    response = _client(world["boss"]).get(f"/admin/roles/{world['role'].pk}/")
    assertContains(response, ">本部门及下级</option>")
    assertContains(response, "管理安全角色")
    assertNotContains(response, ">subtree</option>")
    assertNotContains(response, "manage_roles</label>")


def test_access_reasons_are_chinese_and_english_for_an_english_user(world):
    path = f"/accounts/{world['account'].pk}/access/"
    assertContains(_client(world["rep"]).get(path), "已与其共享（读取）")
    world["rep"].ui_language = "en"
    world["rep"].save(update_fields=["ui_language"])
    assertContains(_client(world["rep"]).get(path), "shared with them (read)")


def test_timeline_events_name_their_action_in_chinese(world):
    response = _client(world["rep"]).get(f"/timeline/account/{world['account'].pk}/")
    assertContains(response, "已共享")
    assertNotContains(response, '<span class="badge">share</span>')


def test_calendar_weekdays_are_chinese(world):
    response = _client(world["rep"]).get("/calendar/")
    assertContains(response, "星期一")


def test_amounts_are_grouped_by_thousands_for_a_chinese_user(world):
    response = _client(world["rep"]).get(f"/accounts/{world['account'].pk}/")
    assertContains(response, "1,234,567")


def test_timeline_changes_name_the_field_and_the_choice_in_chinese(world):
    from trellis.audit.services import audit_record

    opportunity = world["opportunity"]
    audit_record(
        world["rep"], "update", opportunity, changes={"stage": ["prospecting", "proposal"]}
    )
    response = _client(world["rep"]).get(f"/timeline/opportunity/{opportunity.pk}/")
    with translation.override("zh-hans"):
        stage = str(Opportunity._meta.get_field("stage").verbose_name)
        proposal = str(dict(Opportunity._meta.get_field("stage").choices)["proposal"])
    assertContains(response, f"{stage[0].upper()}{stage[1:]}: ")
    assertContains(response, f"→ {proposal}")
    assertNotContains(response, "stage: prospecting")
