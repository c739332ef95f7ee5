"""How text is normalized, on both sides of a search: the index and the query."""

from __future__ import annotations

import re
import unicodedata

# Fewer digits than this in a query are not taken for (part of) a phone number.
MIN_PHONE_DIGITS = 3
_PHONE_CHARS = re.compile(r"^[\d\s()+.\-/]+$")


def normalize(value: object) -> str:
    """Lower-cased, accents stripped (NFKD, combining marks dropped, casefold so "ß" is
    "ss"), control characters (NUL among them) turned into spaces, whitespace collapsed:
    "  José MÜLLER " -> "jose muller"."""
    text = str(value or "")
    if text.isascii():
        # The common case, many times faster: nothing to decompose, and for ASCII
        # casefold() is lower().
        if not text.isprintable():
            text = "".join(ch if ch.isprintable() else " " for ch in text)
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def phone_variants(query: str) -> list[str]:
    """Digit strings to look for when `query` looks like (part of) a phone number, else [].

    The index holds each number's E.164 digits ("+62 21 5550123" -> "62215550123") and
    the digits as typed. A query in international form ("+62 21 555", "0062 21 555") is
    looked up without its prefix; a national one ("021 555") both as typed and without the
    trunk 0 ("21555", which E.164 digits contain after the country code)."""
    if not _PHONE_CHARS.match(query):
        return []
    number = digits(query)
    if len(number) < MIN_PHONE_DIGITS:
        return []
    variants = [number]
    if number.startswith("00") and len(number) - 2 >= MIN_PHONE_DIGITS:
        variants = [number[2:]]
    elif number.startswith("0") and len(number.lstrip("0")) >= MIN_PHONE_DIGITS:
        variants.append(number.lstrip("0"))
    return variants
