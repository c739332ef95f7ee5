"""Signals org sends so that `access` can keep securable records in step.

They are sent inside the org service's transaction; receivers run synchronously.
"""

from django.dispatch import Signal

# kwargs: user, old_unit_id, new_unit_id
user_unit_changed = Signal()
# kwargs: team, old_unit_id, new_unit_id
team_unit_changed = Signal()
