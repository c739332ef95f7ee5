"""Keeps a case's due times in step with its SLA policy without the service app knowing.

A case remembers the priority and type it was loaded with (`post_init`), so `post_save`
can tell for free whether they changed; only then, or when the case is new, is the policy
looked up and the due times written (in the saving transaction, with an UPDATE that fires
no further signals).
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver

from trellis.sales.models import Lead
from trellis.service.models import Case
from trellis.sla.models import BreachEntity, SlaEvent
from trellis.sla.timers import case_due_times

_LOADED = "_sla_loaded"


def _key(case: Case) -> tuple[str, str]:
    return (case.priority, case.type)


@receiver(post_init, sender=Case)
def _remember_priority(sender: Any, instance: Case, **_: Any) -> None:
    setattr(instance, _LOADED, _key(instance))


@receiver(post_save, sender=Case)
def _set_due_times(sender: Any, instance: Case, created: bool, raw: bool = False, **_: Any) -> None:
    if raw:
        return
    stored = (instance.first_response_due_at, instance.resolve_due_at)
    if created and stored != (None, None):
        return  # due times given by the creator (an import) stand
    if not created and getattr(instance, _LOADED, None) == _key(instance):
        return
    setattr(instance, _LOADED, _key(instance))
    due = case_due_times(instance)
    if stored == (due["first_response_due_at"], due["resolve_due_at"]):
        return
    Case.objects.filter(pk=instance.pk).update(**due)
    # The caller's object (returned by the API, shown by the page) shows them too.
    for name, value in due.items():
        setattr(instance, name, value)


def _forget(entity: str, pk: int | None) -> None:
    if pk is not None:
        SlaEvent.objects.filter(entity=entity, record_id=pk).delete()


@receiver(post_delete, sender=Case)
def _forget_case(sender: Any, instance: Case, **_: Any) -> None:
    _forget(BreachEntity.CASE, instance.pk)


@receiver(post_delete, sender=Lead)
def _forget_lead(sender: Any, instance: Lead, **_: Any) -> None:
    _forget(BreachEntity.LEAD, instance.pk)
