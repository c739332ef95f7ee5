"""Copies of each record's owner, owning unit and unit path on its entry (filled from the
records), and the indexes that let a search walk only what the caller can reach.

PostgreSQL: the trigram index becomes one GIN index over the unit path's list of unit ids
and the text, so "under unit 4 and matching 'jakarta'" is one index scan. SQLite: a B-tree
on the unit path (a subtree is a range of paths)."""

import importlib

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# The old trigram index goes before the backfill, which would otherwise rewrite it for
# every entry it updates.
POSTGRES_DROP_OLD = ["DROP INDEX IF EXISTS search_entry_text_trgm"]
POSTGRES_UP = [
    "CREATE INDEX IF NOT EXISTS search_entry_reach_trgm ON search_searchentry"
    " USING gin ((string_to_array(unit_path, '/')), text gin_trgm_ops)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS search_entry_reach_trgm",
    "CREATE INDEX IF NOT EXISTS search_entry_text_trgm ON search_searchentry"
    " USING gin (text gin_trgm_ops)",
]
# Adding a NOT NULL column makes Django rebuild the SQLite table, which drops the triggers
# that keep the FTS5 mirror in step (0001): create them again and rebuild the mirror.
INITIAL = importlib.import_module("trellis.search.migrations.0001_initial")
SQLITE_TRIGGERS = [
    *(
        sql.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1)
        for sql in INITIAL.SQLITE_UP
        if sql.startswith("CREATE TRIGGER")
    ),
    f"INSERT INTO {INITIAL.FTS}({INITIAL.FTS}) VALUES ('rebuild')",
]
SQLITE_UP = [
    "CREATE INDEX IF NOT EXISTS search_entry_unit_path ON search_searchentry (unit_path)",
    *SQLITE_TRIGGERS,
]
SQLITE_DOWN = ["DROP INDEX IF EXISTS search_entry_unit_path"]
ACCESS = ("owner_user_id", "owner_team_id", "owning_unit_id")


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


def backfill(apps, schema_editor):
    from trellis.search.registry import registered

    SearchEntry = apps.get_model("search", "SearchEntry")
    BusinessUnit = apps.get_model("org", "BusinessUnit")
    for searchable in registered().values():
        model = searchable.model(apps)
        if model is None:
            continue
        record = model._default_manager.filter(pk=OuterRef("record_id"))
        SearchEntry.objects.filter(entity=searchable.entity).update(
            **{name: Subquery(record.values(name)[:1]) for name in ACCESS}
        )
    path = BusinessUnit.objects.filter(pk=OuterRef("owning_unit_id")).values("path")[:1]
    SearchEntry.objects.filter(owning_unit_id__isnull=False).update(unit_path=Subquery(path))


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("org", "0001_initial"),
    ]

    operations = [
        # Undone last: the table rebuilt by removing the columns has lost its triggers.
        migrations.RunPython(migrations.RunPython.noop, _run({"sqlite": SQLITE_TRIGGERS})),
        migrations.AddField(
            model_name="searchentry",
            name="owner_team_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="owner_user_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="owning_unit_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchentry",
            name="unit_path",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["owner_user_id"], name="search_entry_owner_user"),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["owner_team_id"], name="search_entry_owner_team"),
        ),
        migrations.AddIndex(
            model_name="searchentry",
            index=models.Index(fields=["owning_unit_id"], name="search_entry_owning_unit"),
        ),
        migrations.RunPython(_run({"postgresql": POSTGRES_DROP_OLD}), migrations.RunPython.noop),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
