"""The search index: one row per searchable record, in normalized text.

Each row also carries a copy of its record's owner and owning unit. The copy only narrows
the candidates through the indexes (so a search touches the matches the caller can reach,
not every match in the organization); the decision stays with `access.visible(...)`, which
every result is still checked against, so a stale copy can hide a record but never show
one the caller may not read."""

from __future__ import annotations

from django.db import models

# The expression the PostgreSQL GIN index is built on (migration 0002); a query must
# repeat it exactly for the index to apply.
UNIT_IDS_SQL = "string_to_array({}, '/')"


class SearchEntry(models.Model):
    """A record's searchable text. `names` (its name(s), normalized) ranks exact and prefix
    matches first; `text` (names, e-mails, company, city, phone digits) is what matches.
    SQLite mirrors `text` in an FTS5 trigram table (migration 0001); PostgreSQL indexes
    the unit path's unit ids and the trigrams of `text` in one GIN index (0002)."""

    entity = models.CharField(max_length=20)
    record_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    subtitle = models.CharField(max_length=300, blank=True, default="")
    names = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")
    # Copies of the record's access columns (plain integers: the record owns the truth).
    owner_user_id = models.BigIntegerField(null=True, blank=True)
    owner_team_id = models.BigIntegerField(null=True, blank=True)
    owning_unit_id = models.BigIntegerField(null=True, blank=True)
    # The owning unit's path ("/1/4/17/"): "owned under unit 4" is one indexed test.
    unit_path = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "record_id"], name="search_entry_record")
        ]
        # The owner arms of the narrowing, and keeping the copies in step; the unit paths
        # are indexed per database in migration 0002.
        indexes = [
            models.Index(fields=["owner_user_id"], name="search_entry_owner_user"),
            models.Index(fields=["owner_team_id"], name="search_entry_owner_team"),
            models.Index(fields=["owning_unit_id"], name="search_entry_owning_unit"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.entity} {self.record_id}: {self.title}"
