"""`trellis import <entity> FILE`: accounts, contacts, leads, opportunities or cases from a
CSV or XLSX file."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.core.errors import Forbidden, InvalidInput, NotFound
from trellis.dataio.cli import EXIT_FORBIDDEN, EXIT_ROWS_FAILED, EXIT_USAGE, find_user
from trellis.dataio.entities import ENTITIES
from trellis.dataio.services import ImportReport, import_file

PROGRESS_EVERY = 10_000


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip():
            raise CommandError(
                f"--map {pair!r}: write COLUMN=FIELD (FIELD empty or - ignores the column)",
                returncode=EXIT_USAGE,
            )
        out[column.strip()] = field.strip()
    return out


class Command(BaseCommand):
    help = (
        "Import accounts, contacts, leads, opportunities or cases from a .csv or .xlsx file "
        '(header row first). Columns are matched to fields by name or a usual alias ("E-mail" -> '
        "email); --map overrides. A row with an external_id (or, except for opportunities "
        "and cases, an email) matching a record you can see updates it instead of creating a "
        "duplicate. Parents (account, contact_email, campaign) are found by name or "
        "external id among those you can read. Columns owner (a user or an owner team), "
        "created_at and modified_at keep history moved in from another CRM, as do a "
        "lead's status, first_contacted_at and qualified_at and an opportunity's "
        "closed_at and stage dates (prospecting_at ... negotiation_at), which become its "
        "stage history, and a case's status, first_response_at, resolved_at, closed_at, "
        "resolution and satisfaction (imported cases are not routed: rows without an "
        "owner belong to the importer). By default the good rows are "
        "written and the bad ones reported; --atomic writes nothing unless every row is "
        "good; --dry-run writes nothing. Exit status: 0 every row good, 1 some rows failed "
        "(listed), 2 bad arguments, file or mapping (nothing imported), 3 unknown user or "
        "missing import privilege (nothing imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("entity", choices=sorted(ENTITIES), help="what the rows are")
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--as",
            dest="actor",
            required=True,
            metavar="USERNAME",
            help="the user who imports: their roles decide what may be written",
        )
        parser.add_argument(
            "--owner",
            metavar="USERNAME",
            help="owner of rows without an owner column value (default: the --as user)",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="fill FIELD from COLUMN (repeatable); COLUMN= ignores the column",
        )
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--atomic", action="store_true", help="write nothing unless every row is good"
        )
        parser.add_argument(
            "--progress",
            type=int,
            default=PROGRESS_EVERY,
            metavar="N",
            help="a progress line on stderr every N rows (0: none; default %(default)s)",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=EXIT_USAGE)
        mapping = _mapping(options["map"])
        actor = find_user(options["actor"], "--as")
        owner = find_user(options["owner"], "--owner") if options["owner"] else None
        every = max(0, options["progress"])
        shown = [0]

        def progress(report: ImportReport) -> None:
            if every and options["verbosity"] > 0 and report.rows // every > shown[0]:
                shown[0] = report.rows // every
                sys.stderr.write(
                    f"{report.rows} rows read, {report.error_rows} bad\n",
                )

        try:
            with path.open("rb") as stream:
                report = import_file(
                    actor,
                    entity=options["entity"],
                    stream=stream,
                    filename=path.name,
                    mapping=mapping,
                    dry_run=options["dry_run"],
                    atomic=options["atomic"],
                    owner=owner,
                    progress=progress,
                )
        except (Forbidden, NotFound) as exc:
            raise CommandError(exc.detail, returncode=EXIT_FORBIDDEN) from None
        except InvalidInput as exc:
            raise CommandError(exc.detail, returncode=EXIT_USAGE) from None
        self._print(report, options["verbosity"])
        if not report.ok:
            raise CommandError(f"{report.error_rows} row(s) failed", returncode=EXIT_ROWS_FAILED)

    def _print(self, report: ImportReport, verbosity: int) -> None:
        if verbosity == 0 and report.ok:
            return
        for error in report.errors:
            where = f"row {error.row}" + (f", {error.field}" if error.field else "")
            self.stdout.write(f"{where}: {error.message}")
        if report.error_rows > len(report.errors):
            self.stdout.write(f"... and {report.error_rows - len(report.errors)} more bad rows")
        if report.ignored_columns and verbosity > 0:
            self.stdout.write(f"Columns ignored: {', '.join(report.ignored_columns)}")
        if report.dry_run:
            verb = "would be created", "would be updated"
        else:
            verb = "created", "updated"
        if report.atomic and not report.ok:
            summary = f"Nothing written (--atomic): {report.error_rows} of {report.rows} rows bad."
        else:
            summary = (
                f"{report.entity}: {report.created} {verb[0]}, {report.updated} {verb[1]}, "
                f"{report.skipped} skipped, {report.error_rows} bad of {report.rows} rows "
                f"in {report.seconds:.1f} s"
                + (" (dry run: nothing written)." if report.dry_run else ".")
            )
        style = self.style.SUCCESS if report.ok else self.style.WARNING
        self.stdout.write(style(summary))
