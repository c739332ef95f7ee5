"""One search over accounts, contacts and leads: `search(actor, q, entities=, limit=)`.

How it works
  * Every searchable record has one `SearchEntry` row (see `registry.py` for the fields):
    `names` (its name, normalized) and `text` (names, e-mails, company, city and phone
    digits, normalized). Normalizing is the same for the index and the query: lower case,
    accents stripped (NFKD), so "jose" finds "José" and "MULLER" finds "Müller".
  * A query is split into words; a record matches when every word is a substring of its
    text. A query that looks like a phone number ("+62 21-555", "021 555", "(555) 01")
    is compared as digits instead, with or without a leading 00/+ or trunk 0
    (`text.phone_variants`).
  * SQLite: the words of 3+ characters go to an FTS5 table with the trigram tokenizer
    (each word quoted as a phrase, so `"`, `*`, `NEAR`, `AND` are just text); shorter words
    are compared with LIKE. PostgreSQL: `LIKE '%word%'` on `text`, served by a pg_trgm GIN
    index (Django escapes `%` and `_`). Words shorter than 3 characters cannot use either
    index; they are still answered, only slower on big tables.
  * Access, in two steps, so that a search touches the matches the caller can reach
    rather than every match in the organization:
    1. Candidates. Each entry carries a copy of its record's owner, owning unit and unit
       path (kept in step by `receivers.py`). `reach.reach` turns the caller's access
       scope into "arms" (owned by them or their teams, in their unit, under their unit,
       shared with them, owned below them in the hierarchy), each served by an index; on
       PostgreSQL "under unit 4 and matching 'jakarta'" is a single GIN index scan. The
       arms are asked separately (UNION, so the planner cannot trade a selective arm for
       a misjudged text-only scan), over all entities, and the best `limit` are kept.
    2. Verification. The candidates are checked against `access.visible(actor, Model)`:
       `visible` alone decides. Should a copy be out of step and a candidate fail, the
       search is answered again the exact way (every match, EXISTS over `visible`), so the
       page is still complete and holds only records the caller may read.
    Two small SQL queries in the usual case. This is the PostgreSQL path; on SQLite the
    FTS5 match is the costly part and every arm would repeat it, so SQLite answers with
    the exact query alone (one query; measured faster there at 1M contacts).
  * Physical layout (PostgreSQL): each match the caller reaches costs a read of its row,
    so the table is kept in unit-path order (a subtree's entries on adjacent pages) by the
    worker's `search.layout` job, which rewrites it online when the order decays
    (`layout.py`).
  * Ranking (`score`): 3 when the name equals the query, 2 when the name or one of its
    words starts with the query, 1 for any other match (inside a name, an e-mail, a city,
    a phone number). Ties go by title, then id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse

from trellis.access import visible
from trellis.core.errors import InvalidInput
from trellis.search.models import SearchEntry
from trellis.search.reach import reach
from trellis.search.registry import installed, registered
from trellis.search.text import normalize, phone_variants

MIN_QUERY = 2
# Longer queries are cut here: no name, e-mail or city needs more, and it bounds the work.
MAX_QUERY = 200
MAX_WORDS = 8
MAX_LIMIT = 50
TRIGRAM = 3
PARTNER_ENTITIES = ("account", "lead")


@dataclass(frozen=True)
class Hit:
    entity: str
    id: int
    title: str
    subtitle: str
    url: str
    score: int


@dataclass(frozen=True)
class ParsedQuery:
    phrase: str  # the whole query, normalized (for ranking)
    words: tuple[str, ...]  # every one must match (text queries)
    phones: tuple[str, ...]  # any one must match (phone queries)


def parse_query(q: str) -> ParsedQuery | None:
    """The normalized query, or None when nothing searchable is left of it."""
    raw = str(q or "")[:MAX_QUERY]
    phones = tuple(phone_variants(raw.strip()))
    phrase = normalize(raw)
    if not phrase or (len(phrase) < MIN_QUERY and not phones):
        return None
    words = tuple(dict.fromkeys(phrase.split()))[:MAX_WORDS]
    return ParsedQuery(phrase, () if phones else words, phones)


def check_entities(entities: Iterable[str] | None) -> list[str]:
    """The entity names asked for (all registered when None); InvalidInput for unknown."""
    known = list(registered())
    if entities is None:
        return known
    wanted = [e.strip().lower() for e in entities if e and e.strip()]
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise InvalidInput.field(
            "entities", f"unknown {', '.join(unknown)}; use any of {', '.join(known)}"
        )
    return list(dict.fromkeys(wanted)) or known


def _fts(expression: str) -> Q:
    table = connection.ops.quote_name(SearchEntry._meta.db_table + "_fts")
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [expression]))


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _matches(query: ParsedQuery) -> Q:
    """The SQL condition for entries matching `query` on this database."""
    sqlite = connection.vendor == "sqlite"
    if query.phones:
        if sqlite:
            return _fts(" OR ".join(_phrase(v) for v in query.phones))
        condition = Q()
        for variant in query.phones:
            condition |= Q(text__contains=variant)
        return condition
    condition = Q()
    indexed = [w for w in query.words if len(w) >= TRIGRAM] if sqlite else []
    if indexed:
        condition &= _fts(" AND ".join(_phrase(w) for w in indexed))
    for word in query.words:
        if word not in indexed:
            condition &= Q(text__contains=word)
    return condition


def _score(query: ParsedQuery) -> Case:
    phrase = query.phrase
    return Case(
        When(names=phrase, then=Value(3)),
        When(Q(names__startswith=phrase) | Q(names__contains=" " + phrase), then=Value(2)),
        default=Value(1),
        output_field=IntegerField(),
    )


def _columns(qs: QuerySet, score: Case) -> QuerySet:
    return qs.annotate(score=score).values("entity", "record_id", "title", "subtitle", "score")


# The candidates' columns, by position: entity, record_id, title, subtitle, score.
COLUMNS = ("entity", "record_id", "title", "subtitle", "score")
ORDER = "5 DESC, 3, 2"


def candidates_sql(
    actor: Any,
    query: ParsedQuery,
    entities: Iterable[str],
    limit: int,
    *,
    visible_only: bool = True,
) -> tuple[str, list[Any]] | None:
    """The SQL (and parameters) of the best `limit` candidate entries of `entities` for
    `actor`, rows of `COLUMNS`; None when nothing can match. Candidates still need
    `verify`: the copies of the access columns only narrow. `visible_only=False` is the
    unfiltered baseline the benchmark compares with: never show its rows to anyone.

    The text match and the score are compiled once by the ORM; each way the actor reaches
    records (`reach.reach`) adds its condition to a copy, and the copies are combined with
    UNION (a record reached two ways is listed once)."""
    models_ = installed()
    present = [entity for entity in entities if entity in models_]
    if not present:
        return None
    base = _columns(SearchEntry.objects.filter(_matches(query)), _score(query)).order_by()
    base_sql, base_params = base.query.sql_with_params()
    # The compiled query ends with its WHERE clause (no order, no limit): conditions can
    # be appended to it.
    if " WHERE " not in base_sql:
        base_sql += " WHERE 1 = 1"
    table = connection.ops.quote_name(SearchEntry._meta.db_table)
    parts: list[str] = []
    params: list[Any] = []
    for entity in present:
        arms = reach(actor, models_[entity][1]) if visible_only else None
        for arm_sql, arm_params in [("1 = 1", [])] if arms is None else arms:
            parts.append(f"{base_sql} AND {table}.entity = %s AND ({arm_sql})")
            params += [*base_params, entity, *arm_params]
    if not parts:
        return None
    return f"{' UNION '.join(parts)} ORDER BY {ORDER} LIMIT %s", [*params, limit]


def candidates(
    actor: Any, query: ParsedQuery, entities: Iterable[str], limit: int, **kwargs: Any
) -> list[dict]:
    """The rows of `candidates_sql`, as dicts."""
    built = candidates_sql(actor, query, entities, limit, **kwargs)
    if built is None:
        return []
    with connection.cursor() as cursor:
        cursor.execute(*built)
        return [dict(zip(COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def exact_queryset(actor: Any, query: ParsedQuery, entities: Iterable[str]) -> QuerySet | None:
    """The matching entries of `entities` whose record is in `access.visible(actor, ...)`,
    as one query of dicts like `candidates`, without the copies: slower on big
    indexes, and exact whatever state the copies are in."""
    models_ = installed()
    match, score = _matches(query), _score(query)
    branches = []
    for entity in entities:
        if entity not in models_:
            continue
        _searchable, model = models_[entity]
        # A correlated EXISTS: each match is checked against the record's access by its
        # primary key, instead of gathering the user's whole visible set first.
        readable = visible(actor, model, "read").order_by().filter(pk=OuterRef("record_id"))
        qs = SearchEntry.objects.filter(match, Exists(readable), entity=entity)
        branches.append(_columns(qs, score))
    if not branches:
        return None
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


def verify(actor: Any, rows: list[dict]) -> set[tuple[str, int]]:
    """The (entity, record id) pairs of `rows` that `actor` may read, by `access.visible`,
    in one query."""
    models_ = installed()
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row["entity"], []).append(row["record_id"])
    checks = [
        visible(actor, models_[entity][1], "read")
        .order_by()
        .filter(pk__in=ids)
        .annotate(entity=Value(entity, output_field=CharField()))
        .values_list("entity", "pk")
        for entity, ids in wanted.items()
        if entity in models_
    ]
    if not checks:
        return set()
    combined = checks[0].union(*checks[1:], all=True) if len(checks) > 1 else checks[0]
    return set(combined)


def _url(url_name: str, pk: int) -> str:
    try:
        return reverse(url_name, args=[pk]) if url_name else ""
    except NoReverseMatch:
        return ""


def search(
    actor: Any, q: str, *, entities: Iterable[str] | None = None, limit: int = 20
) -> list[Hit]:
    """Accounts, contacts and leads `actor` may read that match `q`, best first (partners:
    accounts and leads only).

    InvalidInput (naming the field) when `q` is shorter than 2 characters, `limit` is out
    of 1..50 or an entity is unknown. Usually two SQL queries (see the module notes)."""
    if len(str(q or "").strip()) < MIN_QUERY:
        raise InvalidInput.field("q", f"must be at least {MIN_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", f"must be between 1 and {MAX_LIMIT}")
    wanted = check_entities(entities)
    if getattr(actor, "is_partner", False):
        # The partner portal (web.portal) has no contacts: partners find accounts and leads.
        wanted = [entity for entity in wanted if entity in PARTNER_ENTITIES]
    query = parse_query(q)
    if query is None or not wanted:
        return []
    if connection.vendor == "sqlite":
        # Measured at 1M contacts: SQLite's FTS5 match is the costly part and each arm
        # would repeat it, so there the exact query (one match, EXISTS per match) is faster.
        exact = exact_queryset(actor, query, wanted)
        rows = [] if exact is None else list(exact.order_by("-score", "title", "record_id")[:limit])
        return _hits(rows)
    rows = candidates(actor, query, wanted, limit)
    readable = verify(actor, rows) if rows else set()
    if len(readable) < len(rows):
        # A copy of the access columns is out of step: answer the exact way instead.
        exact = exact_queryset(actor, query, wanted)
        rows = [] if exact is None else list(exact.order_by("-score", "title", "record_id")[:limit])
    return _hits(rows)


def _hits(rows: list[dict]) -> list[Hit]:
    urls = {entity: s.url_name for entity, s in registered().items()}
    return [
        Hit(
            entity=row["entity"],
            id=row["record_id"],
            title=row["title"],
            subtitle=row["subtitle"],
            url=_url(urls.get(row["entity"], ""), row["record_id"]),
            score=row["score"],
        )
        for row in rows
    ]
