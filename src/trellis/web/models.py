"""The web app's own data: saved views of the record lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedView(models.Model):
    """A list's filters and sort saved under a name (the list's query string). Private to
    its owner unless shared with their teams: then every member of an owner team the
    owner belongs to may pick it (only the owner may delete it)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    list_name = models.CharField(_("list"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    query_string = models.TextField(_("filters and sort"), blank=True, default="")
    shared_with_team = models.BooleanField(_("shared with my team"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ("name", "pk")
        indexes = [models.Index(fields=["list_name", "owner"], name="web_savedview_list_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_name", "name"], name="web_savedview_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name
