"""Signals of the import: created records are bulk-inserted and send no post_save."""

from django.dispatch import Signal

# Sent after each written batch, inside its transaction: sender is the model, with
# `actor` and `ids` (the primary keys of the records created in the batch). The import
# also passes `records`: the created instances themselves, in the order of `ids`, with
# every column set (foreign keys as `<name>_id`), so a listener need not read them back.
# Other senders may leave `records` out.
records_imported = Signal()
