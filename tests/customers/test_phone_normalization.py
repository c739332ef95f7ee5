"""Phone normalization as imports use it: a number typed in several ways is parsed once,
and reading it by its digits gives exactly what parsing the typed text gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from trellis.core.errors import InvalidInput
from trellis.customers import services

FORMATS = phonenumbers.PhoneNumberFormat


def _typings(number: phonenumbers.PhoneNumber) -> list[str]:
    international = phonenumbers.format_number(number, FORMATS.INTERNATIONAL)
    national = phonenumbers.format_number(number, FORMATS.NATIONAL)
    return [
        phonenumbers.format_number(number, FORMATS.E164),
        international,
        international.replace(" ", "."),
        national,
        national.replace(" ", "-").replace("(", "").replace(")", ""),
        f" {national} -",
    ]


def _numbers(regions: list[str], per_region: int) -> list[phonenumbers.PhoneNumber]:
    """Valid and invalid numbers near each region's example numbers."""
    rng = random.Random(3)
    out = []
    for region in regions:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            national = phonenumbers.national_significant_number(example)
            for index in range(per_region):
                digits = national[:2] + "".join(rng.choice("0123456789") for _ in national[2:])
                digits = digits[:-1] if index % 4 == 3 else digits  # some too short
                out.append(phonenumbers.parse(f"+{example.country_code}{digits}"))
    return out


def test_every_typing_reads_as_the_parser_reads_the_typed_text():
    checked = 0
    for number in _numbers(["ID", "IT", "CN", "US", "GB", "DE", "BR", "IN", "JP", "AU"], 8):
        for typed in _typings(number):
            for region in ("ID", "US", None):
                if region is None and not typed.lstrip().startswith("+"):
                    continue
                direct = services._e164.__wrapped__(typed, region)
                assert services._e164.__wrapped__(services._phone_key(typed), region) == direct
                checked += 1
    assert checked > 1000


def test_one_number_typed_four_ways_is_parsed_twice(monkeypatch):
    calls = []
    parse = phonenumbers.parse
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: calls.append(a) or parse(*a, **k))
    services._e164.cache_clear()
    results = {
        services.normalize_phone(typed, "ID", "phone")
        for typed in ["+62 21 5550 1234", "+622155501234", "(021) 5550 1234", "021-5550-1234"]
    }
    assert results == {"+622155501234"}
    assert len(calls) == 2  # once as "+622155501234", once as "02155501234" in ID


@pytest.mark.parametrize(
    "typed", ["021 5550 1234 ext. 5", "tel:+62-21-5550-1234", "1-800-FLOWERS", "(+62) 21 5550"]
)
def test_text_beyond_digits_and_separators_is_parsed_as_typed(typed):
    assert services._phone_key(typed) == typed


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1-2", "is not a phone number"),
        ("12", "is not a valid phone number in ID"),
        ("abc", "is not a phone number"),
        ("0812 345", "is not a valid phone number in ID"),
    ],
)
def test_short_or_wrong_numbers_keep_their_messages(typed, message):
    with pytest.raises(InvalidInput) as caught:
        services.normalize_phone(typed, "ID", "mobile")
    assert caught.value.errors[0][0] == "mobile"
    assert message in caught.value.errors[0][1]
