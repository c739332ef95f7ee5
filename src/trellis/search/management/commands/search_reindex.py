"""`trellis search_reindex [entity ...]`: rebuild the search index from the records."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from trellis.search.registry import registered
from trellis.search.services import reindex


class Command(BaseCommand):
    help = "Rebuild the search index (after bulk loads, or for records stored before it)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("entities", nargs="*", help="account, contact, lead (default: all)")
        parser.add_argument(
            "--cluster",
            action="store_true",
            help=(
                "PostgreSQL: then rewrite the table in unit-path order, online (the worker's "
                "search.layout job also does it when the order has decayed)"
            ),
        )

    def handle(self, *args, **options) -> None:
        unknown = set(options["entities"]) - set(registered())
        if unknown:
            raise CommandError(f"unknown entity: {', '.join(sorted(unknown))}")
        counts = reindex(
            options["entities"] or None, out=self.stdout.write, cluster=options["cluster"]
        )
        self.stdout.write(f"indexed {sum(counts.values())} records")
