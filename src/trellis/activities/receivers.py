"""Keeps notes and activities in step with the records they are about."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete
from django.dispatch import receiver

from trellis.access import visible
from trellis.access.models import SecurableModel
from trellis.access.services import assign_all
from trellis.activities.models import Activity, ActivityStatus, Note
from trellis.customers.models import Account
from trellis.customers.services import share_args as _share_args
from trellis.customers.services import share_related, unshare_related
from trellis.customers.signals import account_shared, account_unshared, accounts_reassigned


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


@receiver(accounts_reassigned)
def _carry_open_activities(
    sender: Any, *, actor: Any, account_ids: list[int], owner_user: Any, owner_team: Any, **_: Any
) -> None:
    """A cascading account assign carries the open activities about those accounts that
    the actor may assign."""
    activities = (
        visible(actor, Activity, "assign")
        .filter(
            regarding_type=ContentType.objects.get_for_model(Account),
            regarding_id__in=account_ids,
            status=ActivityStatus.OPEN,
        )
        .order_by("pk")
    )
    assign_all(actor, activities, owner_user=owner_user, owner_team=owner_team)


def _about(account: Any) -> Any:
    return Activity.objects.filter(
        regarding_type=ContentType.objects.get_for_model(Account), regarding_id=account.pk
    )


@receiver(account_shared)
def _share_open_activities(
    sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any
) -> None:
    """A cascading account share shares the open activities about the account as well."""
    share_related(
        actor,
        _about(account).filter(status=ActivityStatus.OPEN),
        **_share_args(kwargs),
        tally=tally,
    )


@receiver(account_unshared)
def _unshare_activities(
    sender: Any, *, actor: Any, account: Any, tally: Any, **kwargs: Any
) -> None:
    """A cascading account unshare clears the same share from the activities about it."""
    unshare_related(actor, _about(account), user=kwargs["user"], team=kwargs["team"], tally=tally)
