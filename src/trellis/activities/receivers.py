"""Keeps notes and activities in step with the records they are about."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete
from django.dispatch import receiver

from trellis.access.models import SecurableModel
from trellis.activities.models import Activity, Note


@receiver(post_delete)
def _forget_deleted_record(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A deleted record takes its notes with it; activities about it stay (they happened)
    but no longer point at it, so a new record with a reused id is never "regarded"."""
    if not isinstance(instance, SecurableModel) or isinstance(instance, Activity):
        return
    ct = ContentType.objects.get_for_model(instance)
    Note.objects.filter(regarding_type=ct, regarding_id=instance.pk).delete()
    Activity.objects.filter(regarding_type=ct, regarding_id=instance.pk).update(
        regarding_type=None, regarding_id=None
    )
