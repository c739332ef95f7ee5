"""`trellis export <entity> FILE --as USERNAME`: what the user can see, as CSV or XLSX."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.core.errors import Forbidden, InvalidInput
from trellis.dataio.cli import EXIT_FORBIDDEN, EXIT_USAGE, find_user
from trellis.dataio.entities import ENTITIES, entity_spec
from trellis.dataio.files import csv_lines, format_of, write_xlsx
from trellis.dataio.selectors import export_rows


class Command(BaseCommand):
    help = (
        "Export the accounts or contacts a user can see (needs the export privilege) to a "
        ".csv or .xlsx file (- writes CSV to standard output). --filter KEY=VALUE narrows "
        "it like the list (e.g. country=ID, owner_user_id=7); --q searches. Exit status: "
        "0 done, 2 bad arguments, 3 unknown user or missing export privilege."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=sorted(ENTITIES))
        parser.add_argument("file", help="a .csv or .xlsx path, or - for CSV on stdout")
        parser.add_argument("--as", dest="actor", required=True, metavar="USERNAME")
        parser.add_argument("--q", default="", help="the list's search")
        parser.add_argument(
            "--filter", action="append", default=[], metavar="KEY=VALUE", help="repeatable"
        )

    def handle(self, *args, **options) -> None:
        spec = entity_spec(options["entity"])
        filters = {}
        for pair in options["filter"]:
            key, sep, value = pair.partition("=")
            if not sep or key not in spec.filters:
                raise CommandError(
                    f"--filter {pair!r}: use KEY=VALUE with KEY one of {', '.join(spec.filters)}",
                    returncode=EXIT_USAGE,
                )
            filters[key] = value
        if "is_active" in filters:
            filters["is_active"] = filters["is_active"].lower() in ("1", "true", "yes")
        target = options["file"]
        try:
            fmt = "csv" if target == "-" else format_of(target)
        except InvalidInput as exc:
            raise CommandError(exc.detail, returncode=EXIT_USAGE) from None
        actor = find_user(options["actor"], "--as")
        try:
            headers, rows = export_rows(actor, entity=spec.name, q=options["q"], **filters)
        except Forbidden as exc:
            raise CommandError(exc.detail, returncode=EXIT_FORBIDDEN) from None
        counted = _Counter(rows)
        if target == "-":
            for line in csv_lines(headers, counted):
                sys.stdout.write(line)
        elif fmt == "csv":
            with Path(target).open("w", encoding="utf-8", newline="") as out:
                out.writelines(csv_lines(headers, counted))
        else:
            with Path(target).open("wb") as out:
                write_xlsx(headers, counted, out)
        if target != "-" and options["verbosity"] > 0:
            self.stdout.write(f"{counted.count} {spec.name} written to {target}")


class _Counter:
    def __init__(self, rows) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row
