"""Security-role vocabulary: depths, entities, actions, privileges and the built-in roles.

Roles are data (stored in `SecurityRole`); this module only names the words they use and
the matrices the built-in roles start with.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

NONE, OWN, UNIT, SUBTREE, ORG = 0, 1, 2, 3, 4
DEPTHS: dict[str, int] = {"none": NONE, "own": OWN, "unit": UNIT, "subtree": SUBTREE, "org": ORG}
DEPTH_NAMES: dict[int, str] = {value: key for key, value in DEPTHS.items()}

ACTIONS: tuple[str, ...] = ("create", "read", "write", "delete", "assign", "share")
# Securable entities. Entities added by later apps are appended here so roles can name them.
ENTITIES: tuple[str, ...] = (
    "account",
    "contact",
    "lead",
    "opportunity",
    "case",
    "campaign",
    "product",
    "activity",
    "report",
)
PRIVILEGES: tuple[str, ...] = (
    "manage_org",
    "manage_roles",
    "manage_routing",
    "manage_settings",
    "import",
    "export",
    "view_reports",
)

# What the interface shows for each word (the stored words stay English codes).
DEPTH_LABELS = {
    "none": _("None"),
    "own": _("Own"),
    "unit": _("Unit"),
    "subtree": _("Unit and below"),
    "org": _("Organization"),
}
ACTION_LABELS = {
    "create": _("Create"),
    "read": _("Read"),
    "write": _("Write"),
    "delete": _("Delete"),
    "assign": _("Assign"),
    "share": _("Share"),
}
ENTITY_LABELS = {
    "account": _("Account"),
    "contact": _("Contact"),
    "lead": _("Lead"),
    "opportunity": _("Opportunity"),
    "case": _("Case"),
    "campaign": _("Campaign"),
    "product": _("Product"),
    "activity": _("Activity"),
    "report": _("Report"),
}
PRIVILEGE_LABELS = {
    "manage_org": _("Manage the organization"),
    "manage_roles": _("Manage security roles"),
    "manage_routing": _("Manage routing and service levels"),
    "manage_settings": _("Manage settings"),
    "import": _("Import"),
    "export": _("Export"),
    "view_reports": _("View reports"),
}


def depth_value(name: str) -> int:
    """Return the integer for a depth name, raising ValueError for unknown names."""
    try:
        return DEPTHS[name]
    except KeyError:
        raise ValueError(f"unknown depth {name!r}; use one of {', '.join(DEPTHS)}") from None


def validate_matrix(permissions: Mapping, privileges: Mapping) -> list[tuple[str, str]]:
    """Return (field, message) pairs for everything wrong in a role's matrix."""
    errors: list[tuple[str, str]] = []
    if not isinstance(permissions, Mapping):
        return [("permissions", "must be an object of entity -> {action: depth}")]
    if not isinstance(privileges, Mapping):
        return [("privileges", "must be an object of privilege -> depth")]
    for entity, actions in permissions.items():
        if entity not in ENTITIES:
            errors.append(("permissions", f"unknown entity {entity!r}"))
            continue
        if not isinstance(actions, Mapping):
            errors.append(("permissions", f"{entity}: must be an object of action -> depth"))
            continue
        for action, depth in actions.items():
            if action not in ACTIONS:
                errors.append(("permissions", f"{entity}: unknown action {action!r}"))
            elif depth not in DEPTHS:
                errors.append(("permissions", f"{entity}.{action}: unknown depth {depth!r}"))
    for privilege, depth in privileges.items():
        if privilege not in PRIVILEGES:
            errors.append(("privileges", f"unknown privilege {privilege!r}"))
        elif depth not in DEPTHS:
            errors.append(("privileges", f"{privilege}: unknown depth {depth!r}"))
    return errors


def _matrix(default: Mapping[str, str], **per_entity: Mapping[str, str]) -> dict:
    """Build a permissions matrix: `default` for every entity not named; a named entity
    gets exactly its own row (actions it leaves out are "none")."""
    out = {}
    for entity in ENTITIES:
        row = per_entity.get(entity, default)
        out[entity] = {action: row.get(action, "none") for action in ACTIONS}
    return out


def _all(depth: str) -> dict[str, str]:
    return dict.fromkeys(ACTIONS, depth)


_REP = {
    "create": "own",
    "read": "unit",
    "write": "own",
    "delete": "own",
    "assign": "own",
    "share": "own",
}
_MANAGER = {
    "create": "subtree",
    "read": "subtree",
    "write": "subtree",
    "delete": "unit",
    "assign": "subtree",
    "share": "subtree",
}
_READ_ORG = {"read": "org"}
_CATALOG_READ = {"read": "org"}

# name -> (description, full access?, permissions, privileges)
BUILTIN_ROLES: dict[str, tuple[str, bool, dict, dict]] = {
    "System Administrator": (
        gettext_noop("Every right on every record and every setting."),
        True,
        _matrix(_all("org")),
        dict.fromkeys(PRIVILEGES, "org"),
    ),
    "Executive": (
        gettext_noop(
            "Reads everything in the organization and all reports; changes only own records."
        ),
        False,
        _matrix(
            {
                "create": "own",
                "read": "org",
                "write": "own",
                "delete": "own",
                "assign": "own",
                "share": "own",
            }
        ),
        {"view_reports": "org", "export": "org"},
    ),
    "Sales Manager": (
        gettext_noop(
            "Runs a sales unit: reads, writes and assigns sales records across the unit subtree."
        ),
        False,
        _matrix(
            _MANAGER,
            case={"read": "subtree"},
            product=_CATALOG_READ,
            campaign={"create": "subtree", "read": "subtree", "write": "subtree"},
        ),
        {
            "view_reports": "subtree",
            "export": "subtree",
            "import": "subtree",
            "manage_routing": "subtree",
        },
    ),
    "Sales Representative": (
        gettext_noop(
            "Works own accounts, contacts, leads and opportunities; reads the unit's customers."
        ),
        False,
        _matrix(
            _REP,
            case={"create": "own", "read": "unit"},
            product=_CATALOG_READ,
            campaign={"read": "unit"},
        ),
        {"view_reports": "own"},
    ),
    "Customer Service Representative": (
        gettext_noop("Handles own cases and activities; reads the unit's customers."),
        False,
        _matrix(
            {"read": "unit"},
            case=_REP,
            activity=_REP,
            contact={"create": "own", "read": "unit", "write": "own"},
            product=_CATALOG_READ,
        ),
        {"view_reports": "own"},
    ),
    "Service Manager": (
        gettext_noop("Runs a service unit: cases and activities across the unit subtree."),
        False,
        _matrix(
            {"read": "subtree"},
            case=_MANAGER,
            activity=_MANAGER,
            contact={"create": "subtree", "read": "subtree", "write": "subtree"},
            product=_CATALOG_READ,
        ),
        {"view_reports": "subtree", "export": "subtree", "manage_routing": "subtree"},
    ),
    "Team Leader": (
        gettext_noop("Leads a team inside one unit: reads, writes and assigns the unit's records."),
        False,
        _matrix(
            {
                "create": "own",
                "read": "unit",
                "write": "unit",
                "delete": "own",
                "assign": "unit",
                "share": "unit",
            },
            product=_CATALOG_READ,
        ),
        {"view_reports": "unit", "export": "unit"},
    ),
    "Marketing Specialist": (
        gettext_noop("Runs campaigns and works leads in the unit; reads accounts and contacts."),
        False,
        _matrix(
            {"read": "unit"},
            campaign={
                "create": "own",
                "read": "subtree",
                "write": "own",
                "delete": "own",
                "assign": "own",
                "share": "own",
            },
            lead={"create": "own", "read": "unit", "write": "own", "assign": "own", "share": "own"},
            activity=_REP,
            product=_CATALOG_READ,
        ),
        {"view_reports": "unit", "export": "unit", "import": "unit"},
    ),
    "Product Manager": (
        gettext_noop(
            "Owns the product catalog; reads cases and opportunities across the organization."
        ),
        False,
        _matrix(
            {"read": "org"},
            product={"create": "org", "read": "org", "write": "org", "delete": "org"},
            activity=_REP,
        ),
        {"view_reports": "org", "export": "org"},
    ),
    "Data Analyst": (
        gettext_noop("Reads the whole organization and runs reports; writes nothing."),
        False,
        _matrix(_READ_ORG),
        {"view_reports": "org", "export": "org"},
    ),
    "Back Office": (
        gettext_noop(
            "Supports the front office: reads the unit's customers, works own cases and tasks."
        ),
        False,
        _matrix(
            {"read": "unit"},
            case={"create": "own", "read": "unit", "write": "own"},
            activity=_REP,
            account={"read": "unit", "write": "own"},
            product=_CATALOG_READ,
        ),
        {},
    ),
    "Partner": (
        gettext_noop(
            "External distributor or agent: only what they own or what is shared with them."
        ),
        False,
        _matrix(
            {},
            account={"create": "own", "read": "own", "write": "own"},
            contact={"create": "own", "read": "own", "write": "own"},
            lead={"create": "own", "read": "own", "write": "own"},
            opportunity={"create": "own", "read": "own", "write": "own"},
            activity={"create": "own", "read": "own", "write": "own"},
        ),
        {},
    ),
}


# Saved reports (analytics): everyone may keep and share their own; managers read the
# reports of their unit or subtree, roles that read the whole organization read them all.
# Running or creating one still needs the view_reports privilege.
_REPORT_OWN = {"create": "own", "read": "own", "write": "own", "delete": "own", "share": "own"}
REPORT_ROWS: dict[str, dict[str, str]] = {
    "System Administrator": _all("org"),
    "Executive": _REPORT_OWN | {"read": "org"},
    "Sales Manager": _REPORT_OWN | {"read": "subtree"},
    "Sales Representative": _REPORT_OWN,
    "Customer Service Representative": _REPORT_OWN,
    "Service Manager": _REPORT_OWN | {"read": "subtree"},
    "Team Leader": _REPORT_OWN | {"read": "unit"},
    "Marketing Specialist": _REPORT_OWN,
    "Product Manager": _REPORT_OWN | {"read": "org"},
    "Data Analyst": _REPORT_OWN | {"read": "org"},
    "Back Office": _REPORT_OWN,
    "Partner": _REPORT_OWN,
}
# `_matrix` fills unnamed entities with each role's default row, which fits the domain
# records but not reports, so the report row is set here for every built-in role.
for _name, (_desc, _full, _permissions, _privileges) in BUILTIN_ROLES.items():
    _permissions["report"] = {action: REPORT_ROWS[_name].get(action, "none") for action in ACTIONS}


def max_depths(matrices: Iterable[Mapping]) -> dict[tuple[str, str], int]:
    """Combine permission matrices into (entity, action) -> the deepest depth granted."""
    out: dict[tuple[str, str], int] = {}
    for matrix in matrices:
        for entity, actions in matrix.items():
            for action, depth in actions.items():
                value = DEPTHS.get(depth, NONE)
                if value > out.get((entity, action), NONE):
                    out[(entity, action)] = value
    return out
