"""Signals customers sends so other apps can follow what happens to accounts.

Sent inside the customers service's transaction; receivers run synchronously."""

from django.dispatch import Signal

# After a cascading account assign. kwargs: actor, account_ids (the accounts that moved),
# owner_user, owner_team. Receivers move their own open records of those accounts.
accounts_reassigned = Signal()
