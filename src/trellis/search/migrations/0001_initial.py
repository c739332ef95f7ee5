"""The search index table; on SQLite its FTS5 trigram mirror (kept by triggers), on
PostgreSQL pg_trgm and a trigram GIN index; then the entries of the records already
stored."""

from django.db import migrations, models

FTS = "search_searchentry_fts"
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(text, content='search_searchentry',"
    " content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER search_searchentry_ai AFTER INSERT ON search_searchentry BEGIN"
    f" INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER search_searchentry_ad AFTER DELETE ON search_searchentry BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER search_searchentry_au AFTER UPDATE OF text ON search_searchentry BEGIN"
    f" INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text);"
    f" INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_searchentry_au",
    "DROP TRIGGER IF EXISTS search_searchentry_ad",
    "DROP TRIGGER IF EXISTS search_searchentry_ai",
    f"DROP TABLE IF EXISTS {FTS}",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS search_entry_text_trgm ON search_searchentry"
    " USING gin (text gin_trgm_ops)",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS search_entry_text_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


def backfill(apps, schema_editor):
    from trellis.search.registry import registered

    SearchEntry = apps.get_model("search", "SearchEntry")
    for searchable in registered().values():
        model = searchable.model(apps)
        if model is None:
            continue
        qs = model._default_manager.order_by().values("pk", *searchable.columns(model))
        batch = []
        for values in qs.iterator(chunk_size=2000):
            doc = searchable.document(values)
            batch.append(
                SearchEntry(
                    entity=searchable.entity,
                    record_id=values["pk"],
                    title=doc.title,
                    subtitle=doc.subtitle,
                    names=doc.names,
                    text=doc.text,
                )
            )
            if len(batch) == 2000:
                SearchEntry.objects.bulk_create(batch)
                batch = []
        SearchEntry.objects.bulk_create(batch)


class Migration(migrations.Migration):
    initial = True

    dependencies = [("customers", "0003_contact")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("entity", models.CharField(max_length=20)),
                ("record_id", models.BigIntegerField()),
                ("title", models.CharField(max_length=300)),
                ("subtitle", models.CharField(blank=True, default="", max_length=300)),
                ("names", models.TextField(blank=True, default="")),
                ("text", models.TextField(blank=True, default="")),
            ],
            options={"verbose_name_plural": "search entries"},
        ),
        migrations.AddConstraint(
            model_name="searchentry",
            constraint=models.UniqueConstraint(fields=("entity", "record_id"), name="search_entry_record"),
        ),
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
