"""Languages: complete catalogs, a language per user, a switcher, localized dates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone, translation
from django.views.defaults import server_error
from pytest_django.asserts import assertContains, assertNotContains

import trellis
from tests import factories
from trellis.analytics.templatetags.analytics_charts import fmt
from trellis.audit.models import AuditEvent
from trellis.core.errors import InvalidInput
from trellis.customers.models import Account
from trellis.org.services import user_set_language

LOCALE = Path(trellis.__file__).parent / "locale"
CATALOGS = {"zh-hans": "zh_Hans", "id": "id", "it": "it"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def _catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / CATALOGS[language] / "LC_MESSAGES" / "django.po"))


def _live_entries(language: str) -> list[polib.POEntry]:
    return [entry for entry in _catalog(language) if not entry.obsolete]


@pytest.fixture
def rep(org):
    return factories.user("rep", unit=org["jakarta"], roles=["Sales Representative"])


@pytest.fixture
def chinese_rep(org):
    return factories.user(
        "zhrep", unit=org["jakarta"], roles=["Sales Representative"], ui_language="zh-hans"
    )


def _signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


# Catalogs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", CATALOGS)
def test_every_message_in_the_catalog_is_translated(language):
    untranslated = [entry.msgid for entry in _live_entries(language) if not entry.translated()]
    assert untranslated == []


@pytest.mark.parametrize("language", CATALOGS)
def test_no_catalog_entry_is_left_fuzzy(language):
    fuzzy = [entry.msgid for entry in _live_entries(language) if "fuzzy" in entry.flags]
    assert fuzzy == []


@pytest.mark.parametrize("language", CATALOGS)
def test_translations_keep_the_placeholders_of_the_english_text(language):
    broken = []
    for entry in _live_entries(language):
        expected = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        if entry.msgid_plural:
            # A language's singular form may leave the count out ("Show the lead").
            found = set().union(*(PLACEHOLDER.findall(s) for s in entry.msgstr_plural.values()))
            if not found <= expected:
                broken.append(entry.msgid)
        elif set(PLACEHOLDER.findall(entry.msgstr)) != expected:
            broken.append(entry.msgid)
    assert broken == []


@pytest.mark.parametrize("language", CATALOGS)
def test_the_compiled_catalog_matches_the_translations(language):
    mo_path = LOCALE / CATALOGS[language] / "LC_MESSAGES" / "django.mo"
    compiled = {entry.msgid for entry in polib.mofile(str(mo_path)) if entry.msgid}
    translated = {entry.msgid for entry in _live_entries(language) if entry.translated()}
    assert compiled == translated


def test_italian_plurals_have_a_singular_and_a_plural_form():
    plurals = [entry for entry in _live_entries("it") if entry.msgid_plural]
    assert plurals
    assert all(len(entry.msgstr_plural) == 2 for entry in plurals)


# Per-user language ------------------------------------------------------------------------


def test_a_chinese_user_sees_chinese_navigation_on_the_home_page(chinese_rep):
    response = _signed_in(chinese_rep).get("/")
    assertContains(response, '<html lang="zh-hans"')
    assertContains(response, "首页")
    assertContains(response, "退出登录")


def test_an_english_user_sees_english_navigation_on_the_home_page(rep, chinese_rep):
    response = _signed_in(rep).get("/")
    assertContains(response, "Sign out")
    assertNotContains(response, "退出登录")


def test_a_chinese_user_sees_the_accounts_list_in_chinese(chinese_rep):
    factories.account(chinese_rep, name="Garuda Logistics")
    response = _signed_in(chinese_rep).get("/accounts/")
    assertContains(response, "<h1>客户</h1>", html=False)
    assertContains(response, "Garuda Logistics")
    assertNotContains(response, "<h1>Accounts</h1>")


def test_the_same_accounts_list_is_english_for_an_english_colleague(rep, chinese_rep):
    factories.account(chinese_rep, name="Garuda Logistics")
    response = _signed_in(rep).get("/accounts/")
    assertContains(response, "<h1>Accounts</h1>", html=False)
    assertNotContains(response, "客户")


def test_a_chinese_user_sees_an_account_page_in_chinese(chinese_rep):
    account = factories.account(chinese_rep, name="Garuda Logistics")
    response = _signed_in(chinese_rep).get(f"/accounts/{account.pk}/")
    assert response.status_code == 200
    assertContains(response, "Garuda Logistics")
    assertContains(response, "负责人")


def test_the_saved_language_beats_the_browser_language(chinese_rep):
    client = _signed_in(chinese_rep, HTTP_ACCEPT_LANGUAGE="it")
    response = client.get("/accounts/")
    assertContains(response, "<h1>客户</h1>", html=False)


def test_without_a_saved_language_the_browser_language_is_used(rep):
    response = _signed_in(rep, HTTP_ACCEPT_LANGUAGE="id").get("/accounts/")
    assertContains(response, "<h1>Akun</h1>", html=False)


def test_an_unknown_saved_language_falls_back_to_english(org):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language="xx")
    response = _signed_in(user).get("/accounts/")
    assertContains(response, "<h1>Accounts</h1>", html=False)


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("zh-hans", "<h1>商机</h1>"),
        ("id", "<h1>Peluang</h1>"),
        ("it", "<h1>Opportunità</h1>"),
    ],
)
def test_the_opportunities_heading_is_translated(org, language, heading):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language=language)
    assertContains(_signed_in(user).get("/opportunities/"), heading, html=False)


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("zh-hans", ["客户", "联系人", "潜在客户", "商机", "工单", "日历"]),
        ("id", ["Akun", "Kontak", "Prospek", "Peluang", "Kasus", "Kalender"]),
        ("it", ["Account", "Contatti", "Lead", "Opportunità", "Casi", "Calendario"]),
    ],
)
def test_the_main_navigation_is_translated(org, language, labels):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language=language)
    response = _signed_in(user).get("/accounts/")
    nav = response.content.decode().split('class="main-nav"', 1)[1].split("</nav>", 1)[0]
    for label in labels:
        assert f">{label}</a>" in nav


@pytest.mark.parametrize(
    ("language", "path", "heading"),
    [
        ("zh-hans", "/contacts/", "<h1>联系人</h1>"),
        ("zh-hans", "/leads/", "<h1>潜在客户</h1>"),
        ("zh-hans", "/cases/", "<h1>工单</h1>"),
        ("id", "/contacts/", "<h1>Kontak</h1>"),
        ("id", "/leads/", "<h1>Prospek</h1>"),
        ("id", "/cases/", "<h1>Kasus</h1>"),
        ("it", "/contacts/", "<h1>Contatti</h1>"),
        ("it", "/leads/", "<h1>Lead</h1>"),
        ("it", "/cases/", "<h1>Casi</h1>"),
    ],
)
def test_list_page_headings_are_translated(org, language, path, heading):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language=language)
    assertContains(_signed_in(user).get(path), heading, html=False)


# The sign-in page, before anyone is known ---------------------------------------------------


def test_the_sign_in_page_is_english_by_default(db):
    response = Client().get("/login/")
    assertContains(response, "Sign in to Trellis")


def test_the_sign_in_page_follows_a_language_parameter(db):
    response = Client().get("/login/", {"language": "zh-hans"})
    assertContains(response, "登录 Trellis")


def test_a_language_parameter_is_remembered_in_the_cookie(db):
    client = Client()
    client.get("/login/", {"language": "it"})
    assertContains(client.get("/login/"), "Accedi a Trellis")


def test_the_sign_in_page_follows_the_language_cookie(db):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assertContains(client.get("/login/"), "Masuk ke Trellis")


def test_an_unknown_language_parameter_is_ignored(db):
    response = Client().get("/login/", {"language": "xx"})
    assertContains(response, "Sign in to Trellis")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_server_error_page_speaks_the_language(db):
    with translation.override("it"):
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assertContains(response, "Torna alla pagina iniziale", status_code=500)


# The switcher -------------------------------------------------------------------------------


def test_the_header_offers_every_language(rep):
    response = _signed_in(rep).get("/")
    for code, name in settings.LANGUAGES:
        assertContains(response, f'<option value="{code}" lang="{code}"', html=False)
        assertContains(response, name)


def test_switching_language_saves_it_on_the_user(rep):
    response = _signed_in(rep).post("/language/", {"language": "it", "next": "/accounts/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    rep.refresh_from_db()
    assert rep.ui_language == "it"


def test_a_switched_language_persists_in_a_new_session(rep):
    _signed_in(rep).post("/language/", {"language": "it", "next": "/accounts/"})
    later = _signed_in(rep, HTTP_ACCEPT_LANGUAGE="en")
    assertContains(later.get("/accounts/"), "<h1>Account</h1>", html=False)


def test_switching_language_leaves_other_users_alone(rep, chinese_rep):
    _signed_in(rep).post("/language/", {"language": "id", "next": "/"})
    chinese_rep.refresh_from_db()
    assert chinese_rep.ui_language == "zh-hans"
    assertContains(_signed_in(chinese_rep).get("/accounts/"), "<h1>客户</h1>", html=False)


def test_switching_to_an_unknown_language_is_refused(rep):
    response = _signed_in(rep).post("/language/", {"language": "xx", "next": "/"})
    assert response.status_code == 400
    rep.refresh_from_db()
    assert rep.ui_language == ""


def test_switching_language_is_audited(rep):
    _signed_in(rep).post("/language/", {"language": "zh-hans", "next": "/"})
    event = AuditEvent.objects.filter(entity="user", object_id=rep.pk).latest("id")
    assert event.changes["ui_language"] == ["", "zh-hans"]


def test_switching_language_needs_post(rep):
    assert _signed_in(rep).get("/language/", {"language": "it"}).status_code == 405


def test_a_visitor_switching_language_gets_the_cookie(db):
    client = Client()
    response = client.post("/language/", {"language": "it", "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "it"
    assertContains(client.get("/login/"), "Accedi a Trellis")


def test_the_language_service_refuses_an_unknown_code(rep):
    with pytest.raises(InvalidInput):
        user_set_language(rep, language="klingon")


def test_the_language_service_clears_the_choice_with_an_empty_code(chinese_rep):
    user_set_language(chinese_rep, language="")
    chinese_rep.refresh_from_db()
    assert chinese_rep.ui_language == ""


# Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "March 5, 2026"),
        ("zh-hans", "2026年3月5日"),
        ("id", "5 Maret 2026"),
        ("it", "05 Marzo 2026"),
    ],
)
def test_dates_on_an_account_page_follow_the_language(org, language, shown):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language=language)
    account = factories.account(user, name="Garuda Logistics")
    created = timezone.make_aware(dt.datetime(2026, 3, 5, 14, 30), dt.UTC)
    Account.objects.filter(pk=account.pk).update(created_at=created)
    assertContains(_signed_in(user).get(f"/accounts/{account.pk}/"), shown)


# Numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1,234,567"), ("id", "1.234.567"), ("it", "1.234.567")],
)
def test_amounts_on_an_account_page_are_grouped_the_language_s_way(org, language, shown):
    user = factories.user(unit=org["jakarta"], roles=["Sales Representative"], ui_language=language)
    account = factories.account(user, name="Garuda Logistics", annual_revenue=1234567)
    assertContains(_signed_in(user).get(f"/accounts/{account.pk}/"), shown)


def test_a_language_parameter_on_the_api_is_not_taken_as_a_language_choice(db):
    response = Client().get("/api/v1/openapi.json", {"language": "it"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.parametrize(
    ("language", "shown"),
    [("en", "1,234,567.50"), ("id", "1.234.567,50"), ("it", "1.234.567,50")],
)
def test_dashboard_figures_are_grouped_the_language_s_way(language, shown):
    with translation.override(language):
        assert fmt(1234567.5) == shown
