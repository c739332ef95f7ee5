"""THE place that decides access. Ask it with `visible`, `can` and `explain` only.

The names are loaded lazily so that Django can import this package before its models.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Grant", "can", "explain", "scope_for", "visible"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from trellis.access import engine

        return getattr(engine, name)
    raise AttributeError(name)
