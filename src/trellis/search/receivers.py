"""Signal receivers that keep the index in step with saves and deletes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from trellis.dataio.signals import records_imported
from trellis.org.models import BusinessUnit
from trellis.org.signals import team_unit_changed, user_unit_changed
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
    """Imported records are bulk-inserted (no post_save): index them in the same batch,
    from the instances as written when the sender passes them."""
    services.index_records(sender, ids, records=kwargs.get("records"))


# The access app moves an owner's records to their new unit with one UPDATE (no
# post_save); the entries' copies follow the same way, in the same transaction.
@receiver(user_unit_changed)
def _user_moved(sender: Any, *, user: Any, new_unit_id: int, **kwargs: Any) -> None:
    services.follow_owner_unit(new_unit_id, owner_user_id=user.pk)


@receiver(team_unit_changed)
def _team_moved(sender: Any, *, team: Any, new_unit_id: int, **kwargs: Any) -> None:
    services.follow_owner_unit(new_unit_id, owner_team_id=team.pk)


# A moved unit takes its subtree's paths with it in one UPDATE (no signals), then saves
# itself: that save is when the copied paths follow.
@receiver(post_save, sender=BusinessUnit, dispatch_uid="search-unit-saved")
def _unit_saved(
    sender: Any, instance: Any, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    fields = kwargs.get("update_fields")
    if created or raw or (fields is not None and "path" not in fields):
        return
    services.follow_unit_paths(instance)
