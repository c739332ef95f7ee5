"""Saved reports became a securable entity (`report`): give every existing role its row.

Built-in roles get the row they now start with; a custom role gets `own` create, read,
write, delete and share when it holds view_reports, and nothing otherwise. The rows are
written out here rather than imported so this migration keeps meaning what it meant.
"""

from django.db import migrations

ACTIONS = ("create", "read", "write", "delete", "assign", "share")
OWN = {"create": "own", "read": "own", "write": "own", "delete": "own", "share": "own"}
BUILTIN = {
    "System Administrator": dict.fromkeys(ACTIONS, "org"),
    "Executive": OWN | {"read": "org"},
    "Sales Manager": OWN | {"read": "subtree"},
    "Sales Representative": OWN,
    "Customer Service Representative": OWN,
    "Service Manager": OWN | {"read": "subtree"},
    "Team Leader": OWN | {"read": "unit"},
    "Marketing Specialist": OWN,
    "Product Manager": OWN | {"read": "org"},
    "Data Analyst": OWN | {"read": "org"},
    "Back Office": OWN,
    "Partner": OWN,
}


def add_report_rows(apps, schema_editor):
    SecurityRole = apps.get_model("org", "SecurityRole")
    for role in SecurityRole.objects.all():
        permissions = dict(role.permissions or {})
        if role.is_builtin and role.name in BUILTIN:
            row = BUILTIN[role.name]
        elif (role.privileges or {}).get("view_reports", "none") != "none":
            row = OWN
        else:
            row = {}
        permissions["report"] = {action: row.get(action, "none") for action in ACTIONS}
        role.permissions = permissions
        role.save(update_fields=["permissions"])


def remove_report_rows(apps, schema_editor):
    SecurityRole = apps.get_model("org", "SecurityRole")
    for role in SecurityRole.objects.all():
        permissions = dict(role.permissions or {})
        if permissions.pop("report", None) is not None:
            role.permissions = permissions
            role.save(update_fields=["permissions"])


class Migration(migrations.Migration):
    dependencies = [("org", "0003_team_leader")]

    operations = [migrations.RunPython(add_report_rows, remove_report_rows)]
