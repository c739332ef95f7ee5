"""Signals the access app sends, so other apps can react without access importing them.

`record_assigned` is sent after the transaction that gave records a new owner commits
(never for work that was rolled back), with keyword arguments:

- `actor`: who assigned (None for system work);
- `records`: the records that moved, all of the sender's model (one for a single
  assignment; a cascade moving many at once sends them together in one signal, so a
  receiver can tell the new owner once instead of once per record);
- `owner_user` / `owner_team`: the new owner (exactly one is set).

`sender` is the records' model class.
"""

from __future__ import annotations

from django.dispatch import Signal

record_assigned = Signal()
