"""The search index: one row per searchable record, in normalized text.

It holds no access information: every search joins it to `access.visible(...)` of the
record's model, so what a person finds is exactly what they may read."""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    """A record's searchable text. `names` (its name(s), normalized) ranks exact and prefix
    matches first; `text` (names, e-mails, company, city, phone digits) is what matches.
    SQLite mirrors `text` in an FTS5 trigram table, PostgreSQL indexes it with pg_trgm
    (both created in migration 0001)."""

    entity = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    subtitle = models.CharField(max_length=300, blank=True, default="")
    names = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "record_id"], name="search_entry_record")
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.entity} {self.record_id}: {self.title}"
