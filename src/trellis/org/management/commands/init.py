"""`trellis init`: make the database ready (migrate, root unit) and collect static files."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor

from trellis.org.bootstrap import ensure_root_unit
from trellis.org.models import User


def pending_migrations(database: str = DEFAULT_DB_ALIAS) -> int:
    """How many migrations the database still needs."""
    connection = connections[database]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


class Command(BaseCommand):
    help = (
        "Prepare this Trellis instance: apply database migrations, create the root unit "
        '"Head Office" if there is none, and collect static files. Safe to run again.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-static", action="store_true", help="skip collecting static files")

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        try:
            pending = pending_migrations()
        except OperationalError as exc:
            raise CommandError(f"cannot reach the database (check DATABASE_URL): {exc}") from None
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        root = ensure_root_unit()
        if not options["no_static"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        if verbosity == 0:
            return
        db = settings.DATABASES["default"]
        where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db['HOST']}/{db['NAME']}"
        self.stdout.write(
            self.style.SUCCESS(f"Trellis is ready: database {connections['default'].vendor} at ")
            + str(where)
        )
        self.stdout.write(f"  migrations applied now: {pending}")
        self.stdout.write(f"  root unit: {root.name} (id {root.pk})")
        if not options["no_static"]:
            self.stdout.write(f"  static files: {settings.STATIC_ROOT}")
        if not User.objects.exists():
            self.stdout.write(
                "No users yet. Create one with `trellis createsuperuser` or "
                "`trellis createuser`, or try the demo with `trellis demo`."
            )
