"""Signal receivers that keep the index in step with saves and deletes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from trellis.dataio.signals import records_imported
from trellis.search import services
from trellis.search.registry import installed


def _saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures load raw rows; `search_reindex` covers them
        services.index_record(instance)


def _deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    services.remove_record(instance)


def connect() -> None:
    """Connect the receivers for every registered model that is installed."""
    for entity, (_searchable, model) in installed().items():
        post_save.connect(_saved, sender=model, dispatch_uid=f"search-save-{entity}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"search-delete-{entity}")


@receiver(records_imported)
def _imported(sender: Any, ids: list[int], **kwargs: Any) -> None:
    """Imported records are bulk-inserted (no post_save): index them in the same batch."""
    services.index_records(sender, ids)
