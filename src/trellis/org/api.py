"""/api/v1 units, users, teams, roles (needs manage_org / manage_roles)."""

from ninja import Router

router = Router(tags=["organization"])
