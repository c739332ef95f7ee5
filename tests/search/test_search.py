from __future__ import annotations

import pytest
from django.core.management import call_command

from tests import factories
from tests.search.conftest import contact
from trellis.access.engine import scope_cache, scope_for
from trellis.core.errors import InvalidInput
from trellis.search.models import SearchEntry
from trellis.search.selectors import search


def found(user, q, **kw) -> list[tuple[str, str]]:
    return [(hit.entity, hit.title) for hit in search(user, q, **kw)]


def titles(user, q, **kw) -> set[str]:
    return {hit.title for hit in search(user, q, **kw)}


@pytest.fixture
def admin_user(admin):
    return admin


def test_part_of_a_name_finds_the_contact(admin_user, records):
    assert titles(admin_user, "ülle") == {"José Müller"}


def test_part_of_an_email_finds_the_contact(admin_user, records):
    assert titles(admin_user, "giulia@exa") == {"Giulia Bianchi"}


@pytest.mark.parametrize(
    "q", ["+62 21 555 0123", "021-555-0123", "0062 21 5550123", "555 0123", "(021) 5550123"]
)
def test_a_phone_number_in_any_format_finds_the_contact(admin_user, records, q):
    assert titles(admin_user, q) == {"José Müller"}


def test_a_mobile_in_national_form_finds_the_contact(admin_user, records):
    assert titles(admin_user, "347 123 4567") == {"Giulia Bianchi"}


def test_a_company_name_finds_the_accounts(admin_user, records):
    assert found(admin_user, "acme") == [
        ("account", "Acme Indonesia"),
        ("account", "Acme Italia"),
    ]


def test_a_city_finds_accounts_and_contacts(admin_user, records):
    assert titles(admin_user, "jakarta") == {"José Müller", "Budi Santoso", "Acme Indonesia"}


@pytest.mark.parametrize("q", ["jose", "JOSE", "MULLER", "müller", "José Müller", "JOSÉ mÜller"])
def test_case_and_accents_do_not_matter(admin_user, records, q):
    assert titles(admin_user, q) == {"José Müller"}


def test_accents_in_the_record_or_the_query_match_plain_letters(admin_user, org):
    contact(admin_user, first_name="Jose", last_name="Muller")
    assert titles(admin_user, "Müller") == {"Jose Muller"}


def test_words_may_come_in_any_order_and_each_must_match(admin_user, records):
    assert titles(admin_user, "muller jose") == {"José Müller"}
    assert titles(admin_user, "muller giulia") == set()


def test_exact_names_come_first_then_prefixes_then_other_matches(admin_user, org):
    factories.account(admin_user, name="Ann")
    contact(admin_user, first_name="Joanna", last_name="Lee")
    contact(admin_user, first_name="Bob", last_name="Annan")
    contact(admin_user, first_name="Anna", last_name="Smith")
    contact(admin_user, first_name="Carl", last_name="Ng", email="carl@annex.example")
    hits = search(admin_user, "ann")
    assert [(h.title, h.score) for h in hits] == [
        ("Ann", 3),
        ("Anna Smith", 2),
        ("Bob Annan", 2),
        ("Carl Ng", 1),
        ("Joanna Lee", 1),
    ]


def test_a_rep_in_jakarta_and_one_in_milan_find_different_records(people, records):
    assert titles(people["jakarta"], "acme") == {"Acme Indonesia"}
    assert titles(people["milan"], "acme") == {"Acme Italia"}
    assert titles(people["jakarta"], "example") == {"José Müller"}
    assert titles(people["milan"], "example") == {"Giulia Bianchi"}


def test_a_rep_never_finds_a_record_of_another_unit(people, records):
    assert search(people["milan"], "jose") == []
    assert search(people["milan"], "+62 21 555 0123") == []
    assert search(people["jakarta"], "giulia") == []


def test_a_manager_finds_the_records_of_the_units_below(people, records):
    seen = titles(people["manager"], "example") | titles(people["manager"], "wei")
    assert seen == {"José Müller", "Li Wei"}
    assert titles(people["manager"], "acme") == {"Acme Indonesia"}


def test_a_partner_never_finds_contacts_not_even_their_own(people, records):
    # The partner portal (web.portal) has accounts and leads only.
    assert titles(people["partner"], "jakarta") == set()
    assert titles(people["manager"], "budi") == {"Budi Santoso"}
    assert search(people["partner"], "jose") == []


def test_a_shared_record_is_found_by_the_user_it_is_shared_with(people, records):
    from django.contrib.contenttypes.models import ContentType

    from trellis.access.models import Share

    Share.objects.create(
        record_type=ContentType.objects.get_for_model(records["giulia"]),
        record_id=records["giulia"].pk,
        user=people["jakarta"],
    )
    assert titles(people["jakarta"], "giulia") == {"Giulia Bianchi"}


def test_entities_narrow_the_search(admin_user, records):
    assert titles(admin_user, "jakarta", entities=["account"]) == {"Acme Indonesia"}
    assert titles(admin_user, "jakarta", entities=["contact"]) == {"José Müller", "Budi Santoso"}


def test_limit_caps_the_results(admin_user, records):
    assert len(search(admin_user, "ja", limit=2)) == 2


def test_unknown_entities_and_bad_limits_name_the_field(admin_user, records):
    with pytest.raises(InvalidInput) as exc:
        search(admin_user, "acme", entities=["planet"])
    assert exc.value.errors[0][0] == "entities"
    with pytest.raises(InvalidInput) as exc:
        search(admin_user, "acme", limit=0)
    assert exc.value.errors[0][0] == "limit"


def test_a_query_shorter_than_two_characters_is_refused(admin_user, records):
    with pytest.raises(InvalidInput) as exc:
        search(admin_user, " j ")
    assert exc.value.errors[0][0] == "q"


def test_the_index_follows_create_update_and_delete(admin_user, org):
    person = contact(admin_user, first_name="Ravi", last_name="Kumar")
    assert titles(admin_user, "ravi") == {"Ravi Kumar"}
    person.first_name = "Ravindra"
    person.city = "Bengaluru"
    person.save()
    assert titles(admin_user, "bengal") == {"Ravindra Kumar"}
    assert titles(admin_user, "ravindra") == {"Ravindra Kumar"}
    person.delete()
    assert search(admin_user, "ravi") == []
    assert not SearchEntry.objects.filter(entity="contact", record_id=person.pk).exists()


def test_the_reindex_command_rebuilds_the_index(admin_user, records):
    SearchEntry.objects.all().delete()
    assert search(admin_user, "jose") == []
    call_command("search_reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert titles(admin_user, "jose") == {"José Müller"}
    assert SearchEntry.objects.count() == 6


def test_a_clustered_rebuild_keeps_every_record_findable(admin_user, people, records):
    call_command("search_reindex", "--cluster", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert titles(admin_user, "jakarta") == {"José Müller", "Budi Santoso", "Acme Indonesia"}
    assert titles(people["milan"], "acme") == {"Acme Italia"}


def test_a_search_is_at_most_two_queries_candidates_and_their_check(
    admin_user, people, records, django_assert_max_num_queries
):
    with scope_cache():
        scope_for(people["manager"])
        with django_assert_max_num_queries(2):
            search(people["manager"], "jakarta")


ODD = [
    '"',
    '""',
    "'",
    "*",
    "jo*",
    "NEAR",
    "NEAR(a b)",
    "a AND b OR NOT c",
    '"jose',
    "%",
    "%%",
    "_",
    "__",
    "ja%",
    "\\",
    "^jose",
    "jose:muller",
    "{text}: jose",
    "-jose",
    "+",
    "++",
    "\x00\x00",
    "jo\x00se",
    "x" * 10_000,
    "jose " * 500,
    "😀😀",
    "ǅ\u0301\u0301",
    "()",
    "0000",
    "+",
]


@pytest.mark.parametrize("q", ODD)
def test_odd_input_never_fails(admin_user, records, q):
    if len(q.strip()) < 2:
        with pytest.raises(InvalidInput):
            search(admin_user, q)
    else:
        assert isinstance(search(admin_user, q), list)


def test_percent_and_underscore_are_literal(admin_user, org):
    contact(admin_user, first_name="Fifty", last_name="Percent", email="fifty_50%@example.com")
    contact(admin_user, first_name="Other", last_name="Person", email="other@example.com")
    assert titles(admin_user, "_50%") == {"Fifty Percent"}
    assert titles(admin_user, "%%") == set()


def test_a_quoted_fts_operator_is_searched_as_text(admin_user, org):
    contact(admin_user, first_name="Near", last_name="Field")
    assert titles(admin_user, "NEAR") == {"Near Field"}
    assert titles(admin_user, '"near"') == set()
