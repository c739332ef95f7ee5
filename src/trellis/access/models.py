"""Securable records' common fields, and record shares."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RIGHTS: tuple[str, ...] = ("read", "write", "delete", "assign", "share")


class SecurableModel(models.Model):
    """Fields every securable record has (DESIGN.md, the access model).

    Subclasses set `access_entity` (the name roles use) and may turn
    `hierarchy_visibility` off. `created_at` is a plain default, not auto_now_add, so records
    moved in from another CRM keep their dates.
    """

    access_entity: ClassVar[str] = ""
    hierarchy_visibility: ClassVar[bool] = True

    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    owner_team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner team"),
    )
    owning_unit = models.ForeignKey(
        "org.BusinessUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("business unit"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("last changed by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    modified_at = models.DateTimeField(_("last changed"), default=timezone.now)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(owner_user__isnull=False, owner_team__isnull=True)
                    | Q(owner_user__isnull=True, owner_team__isnull=False)
                ),
                name="%(app_label)s_%(class)s_one_owner",
            )
        ]
        indexes = [
            models.Index(fields=["owning_unit", "-modified_at"], name="%(class)s_unit_mod_idx"),
            models.Index(fields=["owner_user", "-modified_at"], name="%(class)s_owner_mod_idx"),
            models.Index(fields=["owner_team"], name="%(class)s_team_idx"),
            models.Index(fields=["-modified_at", "-id"], name="%(class)s_modified_idx"),
        ]

    @property
    def owner(self):
        return self.owner_user if self.owner_user_id else self.owner_team


class Share(models.Model):
    """Rights on one record for one user or team, optionally until `expires_at`.

    A record's access team is shared with this way too: membership of the team is then
    the share (DESIGN.md rule 3).
    """

    record_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    record_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shares",
    )
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    can_read = models.BooleanField(default=True)
    can_write = models.BooleanField(default=False)
    can_delete = models.BooleanField(default=False)
    can_assign = models.BooleanField(default=False)
    can_share = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(user__isnull=False, team__isnull=True)
                    | Q(user__isnull=True, team__isnull=False)
                ),
                name="access_share_one_principal",
            ),
            models.UniqueConstraint(
                fields=["record_type", "record_id", "user"],
                condition=Q(user__isnull=False),
                name="access_share_unique_user",
            ),
            models.UniqueConstraint(
                fields=["record_type", "record_id", "team"],
                condition=Q(team__isnull=False),
                name="access_share_unique_team",
            ),
        ]
        indexes = [
            models.Index(fields=["record_type", "record_id"], name="access_share_record_idx"),
            models.Index(fields=["user", "record_type"], name="access_share_user_idx"),
            models.Index(fields=["team", "record_type"], name="access_share_team_idx"),
        ]

    @property
    def rights(self) -> list[str]:
        return [right for right in RIGHTS if getattr(self, f"can_{right}")]

    @property
    def is_active(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.now()
