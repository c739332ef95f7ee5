"""The manager-hierarchy closure table, kept in step with `User.reports_to`."""

from __future__ import annotations

from trellis.org.models import ManagerClosure, User


def rebuild_for(user: User) -> None:
    """Recompute the closure rows of `user` and everyone below them.

    Called inside the transaction that changed `user.reports_to`. Rows linking the moved
    subtree to its old ancestors go; rows to the new manager's chain come in.
    """
    below = {user.pk: 0}
    below.update(
        ManagerClosure.objects.filter(ancestor_id=user.pk).values_list("descendant_id", "depth")
    )
    ManagerClosure.objects.filter(descendant_id__in=below).exclude(ancestor_id__in=below).delete()
    if user.reports_to_id is None:
        return
    above = {user.reports_to_id: 1}
    above.update(
        (ancestor, depth + 1)
        for ancestor, depth in ManagerClosure.objects.filter(
            descendant_id=user.reports_to_id
        ).values_list("ancestor_id", "depth")
    )
    ManagerClosure.objects.bulk_create(
        [
            ManagerClosure(ancestor_id=a, descendant_id=d, depth=da + dd)
            for a, da in above.items()
            for d, dd in below.items()
        ]
    )


def would_cycle(user: User, new_manager_id: int | None) -> bool:
    if new_manager_id is None:
        return False
    if new_manager_id == user.pk:
        return True
    return ManagerClosure.objects.filter(ancestor_id=user.pk, descendant_id=new_manager_id).exists()


def rebuild_all() -> None:
    """Recompute the whole table from reports_to (used by bulk loaders)."""
    ManagerClosure.objects.all().delete()
    parent = dict(User.objects.values_list("pk", "reports_to_id"))
    rows = []
    for person in parent:
        depth, manager, seen = 1, parent.get(person), {person}
        while manager is not None and manager not in seen:
            rows.append(ManagerClosure(ancestor_id=manager, descendant_id=person, depth=depth))
            seen.add(manager)
            manager, depth = parent.get(manager), depth + 1
    ManagerClosure.objects.bulk_create(rows, batch_size=5000)
