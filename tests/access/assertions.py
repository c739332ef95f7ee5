"""The three questions asked together, so every access test checks that they agree."""

from __future__ import annotations

from typing import Any

from trellis.access import can, explain, visible
from trellis.access.models import SecurableModel


def grant_sources(user: Any, action: str, record: SecurableModel) -> list[str]:
    return sorted(grant.source for grant in explain(user, action, record))


def assert_allowed(user: Any, action: str, record: SecurableModel, sources: list[str]) -> None:
    """`visible` lists the record, `can` says yes and `explain` gives exactly `sources`."""
    assert record in visible(user, type(record), action)
    assert can(user, action, record) is True
    assert grant_sources(user, action, record) == sorted(sources)


def assert_denied(user: Any, action: str, record: SecurableModel) -> None:
    """`visible` leaves the record out, `can` says no and `explain` has no reason."""
    assert record not in visible(user, type(record), action)
    assert can(user, action, record) is False
    assert explain(user, action, record) == []
