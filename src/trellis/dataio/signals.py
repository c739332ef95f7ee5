"""Signals of the import: created records are bulk-inserted and send no post_save."""

from django.dispatch import Signal

# Sent after each written batch, inside its transaction: sender is the model, with
# `actor` and `ids` (the primary keys of the records created in the batch).
records_imported = Signal()
