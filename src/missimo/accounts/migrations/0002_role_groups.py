"""Create one group per role. Groups are data: an administrator may adjust their permissions."""

from django.db import migrations

ROLE_GROUPS = [
    "Koordinierungsstelle (Ordnungsamt)",
    "Familienkasse",
    "Jobcenter",
    "Schulamt",
    "Jugendamt",
    "Gesundheitsamt",
    "Polizei",
    "Bauaufsicht/Wohnungsaufsicht",
    "Schule",
    "Datenschutzbeauftragte",
    "Administration",
]


def create_groups(apps, schema_editor):
    group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
