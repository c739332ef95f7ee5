"""`trellis demo`: build the demo organization and print one login per role."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trellis.demo.generator import (
    DEFAULT_ACCOUNTS,
    DEFAULT_SEED,
    DEFAULT_USERS,
    DemoError,
    database_is_empty,
    format_logins,
    generate,
)


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Build a realistic demo organization (units, teams, people in every role, accounts) "
        "in an empty database. The same --seed always builds the same organization."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default: %(default)s")
        parser.add_argument(
            "--users",
            type=_count,
            default=DEFAULT_USERS,
            help="head count (default: %(default)s; never fewer than the ~30 key people)",
        )
        parser.add_argument(
            "--accounts", type=_count, default=DEFAULT_ACCOUNTS, help="default: %(default)s"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) when the database already has users",
        )

    def handle(self, *args, **options) -> None:
        verbose = options["verbosity"] > 0
        if options["if_empty"] and not database_is_empty():
            if verbose:
                self.stdout.write("The database already has users; no demo data added.")
            return
        try:
            summary = generate(
                seed=options["seed"], users=options["users"], accounts=options["accounts"]
            )
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        if not verbose:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organization (seed {summary.seed}): {summary.units} units, "
                f"{summary.teams} teams, {summary.users} users, {summary.accounts} accounts, "
                f"{summary.shares} shares"
                + "".join(f", {count} {name}" for name, count in summary.records.items())
                + f" in {summary.seconds:.1f} s."
            )
        )
        self.stdout.write("")
        self.stdout.write(format_logins(summary.logins))
        self.stdout.write(
            "The demo password is public: never build the demo on an instance holding real data."
        )
