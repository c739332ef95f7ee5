"""`trellis createuser`: add a person to a unit with one or more security roles."""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from trellis.audit.services import audit_record
from trellis.core.fields import snapshot
from trellis.org import closure
from trellis.org.models import BusinessUnit, JobClass, SecurityRole, User, UserType

LISTED = 25  # how many choices an error message lists


def _choices(names: list[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f", … ({len(names) - LISTED} more)" if len(names) > LISTED else "")


def find_unit(value: str) -> BusinessUnit:
    """A unit by id or by (case-insensitive) name; a clear CommandError otherwise."""
    value = value.strip()
    if value.isdigit():
        unit = BusinessUnit.objects.filter(pk=int(value)).first()
        if unit is None:
            raise CommandError(f"unknown unit id {value}")
        return unit
    units = list(BusinessUnit.objects.filter(name__iexact=value).order_by("path"))
    if len(units) == 1:
        return units[0]
    if len(units) > 1:
        ids = ", ".join(f"{unit.pk}" for unit in units)
        raise CommandError(f"several units are named {value!r} (ids {ids}); give the id")
    names = [f"{u.name} ({u.pk})" for u in BusinessUnit.objects.order_by("path")]
    raise CommandError(
        f"unknown unit {value!r}; units are: {_choices(names) or 'none (run trellis init)'}"
    )


def find_role(value: str) -> SecurityRole:
    role = SecurityRole.objects.filter(name__iexact=value.strip()).first()
    if role is None:
        names = list(SecurityRole.objects.order_by("name").values_list("name", flat=True))
        raise CommandError(f"unknown role {value!r}; roles are: {_choices(names)}")
    return role


class Command(BaseCommand):
    help = (
        "Create a user in a business unit with one or more security roles. The password is "
        "asked for in a terminal, or given with --password / --password-stdin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--unit", required=True, help="unit name or id")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            dest="roles",
            help='security role name, e.g. "Sales Representative" (repeat for more)',
        )
        secret = parser.add_mutually_exclusive_group()
        secret.add_argument("--password", help="the password (visible in the process list)")
        secret.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--reports-to", help="the manager's username")
        parser.add_argument("--job-class", choices=JobClass.values, default=JobClass.FRONT_OFFICE)
        parser.add_argument(
            "--partner", action="store_true", help="an external partner (distributor, agent)"
        )

    def handle(self, *args, **options) -> None:
        username = options["username"].strip()
        if not username:
            raise CommandError("the username must not be empty")
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"username {username!r} is taken")
        unit = find_unit(options["unit"])
        roles = [find_role(name) for name in options["roles"]]
        manager = None
        if options["reports_to"]:
            manager = User.objects.filter(username__iexact=options["reports_to"].strip()).first()
            if manager is None:
                raise CommandError(f"unknown user {options['reports_to']!r} for --reports-to")
        user = User(
            username=username,
            unit=unit,
            reports_to=manager,
            email=options["email"],
            first_name=options["first_name"],
            last_name=options["last_name"],
            title=options["title"],
            job_class=options["job_class"],
            user_type=UserType.PARTNER if options["partner"] else UserType.INTERNAL,
        )
        password = self._password(options)
        if password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("password refused: " + " ".join(exc.messages)) from None
            user.set_password(password)
        else:
            user.set_unusable_password()
        with transaction.atomic():
            user.save()
            user.roles.set(roles)
            closure.rebuild_for(user)
            # The command line acts as the system: whoever runs it controls the database.
            audit_record(None, "create", user, entity="user", changes=snapshot(user))
        if options["verbosity"]:
            role_names = ", ".join(role.name for role in roles)
            self.stdout.write(
                self.style.SUCCESS(f"Created {username} in {unit.name} as {role_names}.")
            )
            if not password:
                self.stdout.write(
                    "No password given: they cannot sign in until an administrator sets one."
                )

    def _password(self, options) -> str:
        if options["password"] is not None:
            return options["password"]
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\r\n")
        if not sys.stdin.isatty():
            return ""
        for _ in range(3):
            first = getpass.getpass("Password: ")
            if first and first == getpass.getpass("Password (again): "):
                return first
            self.stderr.write("The passwords do not match (or are empty); try again.")
        raise CommandError("no password set")
