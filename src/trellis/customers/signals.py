"""Signals customers sends so other apps can follow what happens to accounts.

Sent inside the customers service's transaction; receivers run synchronously."""

from __future__ import annotations

from dataclasses import dataclass

from django.dispatch import Signal

# After a cascading account assign. kwargs: actor, account_ids (the accounts that moved),
# owner_user, owner_team. Receivers move their own open records of those accounts.
accounts_reassigned = Signal()

# After a cascading account share. kwargs: actor, account, user, team, rights, expires_at,
# tally (a CascadeTally). Receivers share their own open records of the account and count
# what they shared and what they skipped in `tally`.
account_shared = Signal()

# After a cascading account unshare. kwargs: actor, account, user, team, tally. Receivers
# remove that person's (or team's) shares from their records of the account.
account_unshared = Signal()


@dataclass
class CascadeTally:
    """How many of an account's related records a cascading share or unshare changed
    (`done`) and how many it left alone because the actor may not share them (`skipped`).
    Records the actor cannot see are neither changed nor counted, so no count reveals them."""

    done: int = 0
    skipped: int = 0

    def add(self, done: int, skipped: int) -> None:
        self.done += done
        self.skipped += skipped
