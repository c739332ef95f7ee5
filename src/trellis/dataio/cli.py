"""Pieces the `trellis import` and `trellis export` commands share."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db.models import Q

from trellis.org.models import User

# Exit codes of `trellis import` and `trellis export`.
EXIT_ROWS_FAILED = 1  # the file was read; some rows were bad (reported)
EXIT_USAGE = 2  # nothing imported: bad arguments, unreadable file, bad mapping
EXIT_FORBIDDEN = 3  # nothing imported: unknown user or missing privilege


def find_user(value: str, option: str) -> User:
    """An active user by username or (unique) e-mail address; CommandError otherwise."""
    users = list(
        User.objects.select_related("unit").filter(Q(username=value) | Q(email__iexact=value))
    )
    exact = [user for user in users if user.username == value]
    if exact:
        users = exact
    if len(users) != 1:
        problem = "several users have" if users else "no user has"
        raise CommandError(f"{option}: {problem} the name {value!r}", returncode=EXIT_FORBIDDEN)
    if not users[0].is_active:
        raise CommandError(f"{option}: {value} is deactivated", returncode=EXIT_FORBIDDEN)
    return users[0]
