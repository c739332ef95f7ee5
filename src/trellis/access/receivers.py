"""Keeps securable records in step with the organization, in the same transaction."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete
from django.dispatch import receiver

from trellis.access.models import SecurableModel, Share
from trellis.org.models import Team, TeamKind
from trellis.org.signals import team_unit_changed, user_unit_changed


def securable_models() -> list[type[SecurableModel]]:
    return [model for model in apps.get_models() if issubclass(model, SecurableModel)]


@receiver(user_unit_changed)
def _follow_user_unit(sender: Any, *, user: Any, new_unit_id: int, **kwargs: Any) -> None:
    for model in securable_models():
        model._default_manager.filter(owner_user_id=user.pk).update(owning_unit_id=new_unit_id)


@receiver(team_unit_changed)
def _follow_team_unit(sender: Any, *, team: Any, new_unit_id: int, **kwargs: Any) -> None:
    for model in securable_models():
        model._default_manager.filter(owner_team_id=team.pk).update(owning_unit_id=new_unit_id)


@receiver(post_delete)
def _forget_deleted_record(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted record takes its shares and access teams with it."""
    if not isinstance(instance, SecurableModel):
        return
    ct = ContentType.objects.get_for_model(instance)
    Share.objects.filter(record_type=ct, record_id=instance.pk).delete()
    Team.objects.filter(kind=TeamKind.ACCESS, record_type=ct, record_id=instance.pk).delete()
