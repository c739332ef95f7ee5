from django.db import migrations

TEMPLATES = [
    ("Account team", "account", ["read", "write"]),
    ("Contact team", "contact", ["read", "write"]),
    ("Lead team", "lead", ["read", "write"]),
    ("Opportunity deal team", "opportunity", ["read", "write"]),
    ("Case team", "case", ["read", "write"]),
    ("Campaign team", "campaign", ["read", "write"]),
]


def create_builtins(apps, schema_editor):
    from trellis.org.roles import BUILTIN_ROLES

    SecurityRole = apps.get_model("org", "SecurityRole")
    AccessTeamTemplate = apps.get_model("org", "AccessTeamTemplate")
    for name, (description, full_access, permissions, privileges) in BUILTIN_ROLES.items():
        SecurityRole.objects.update_or_create(
            name=name,
            defaults={
                "description": description,
                "is_builtin": True,
                "full_access": full_access,
                "permissions": permissions,
                "privileges": privileges,
            },
        )
    for name, entity, rights in TEMPLATES:
        AccessTeamTemplate.objects.get_or_create(
            name=name, defaults={"entity": entity, "rights": rights}
        )


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [migrations.RunPython(create_builtins, migrations.RunPython.noop)]
