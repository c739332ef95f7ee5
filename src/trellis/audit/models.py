"""Append-only audit events: who did what to which record, with before/after values."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_repr = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=40)
    entity = models.CharField(max_length=40)
    object_id = models.BigIntegerField(null=True)
    object_repr = models.CharField(max_length=200, blank=True, default="")
    # {"field": [before, after]} for updates; the full snapshot for create/delete.
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entity", "object_id", "at"], name="audit_object_idx")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit events are append-only")
