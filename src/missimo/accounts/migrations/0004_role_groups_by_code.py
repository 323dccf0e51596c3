"""Role groups are keyed by the role's stable code, no longer by its German label, so that a label can
change without losing its members; agency kinds come from missimo.accounts.policy (a callable, so
that a new kind needs no migration). The four Django permissions that were declared and never checked
(casework.manage_cases, imports.deliver_any_source, properties.edit_casework, runs.start_run) are
removed: who may do what is decided by the policy alone."""

from django.db import migrations, models

import missimo.accounts.policy

# The German labels the groups were named by (0002_role_groups), by role code.
LABEL_OF_CODE = {
    "koordinierung": "Koordinierungsstelle (Ordnungsamt)",
    "familienkasse": "Familienkasse",
    "jobcenter": "Jobcenter",
    "schulamt": "Schulamt",
    "jugendamt": "Jugendamt",
    "gesundheitsamt": "Gesundheitsamt",
    "polizei": "Polizei",
    "bauaufsicht": "Bauaufsicht/Wohnungsaufsicht",
    "schule": "Schule",
    "datenschutz": "Datenschutzbeauftragte",
    "administration": "Administration",
}


def _rename(apps, names: dict[str, str]) -> None:
    group = apps.get_model("auth", "Group")
    for old, new in names.items():
        found = group.objects.filter(name=old).first()
        if found is None or old == new:
            continue
        if group.objects.filter(name=new).exists():  # both exist: members move to the new one
            target = group.objects.get(name=new)
            for user in found.user_set.all():
                user.groups.add(target)
            found.delete()
        else:
            found.name = new
            found.save(update_fields=["name"])


UNCHECKED_PERMISSIONS = {
    "casework": "manage_cases",
    "imports": "deliver_any_source",
    "properties": "edit_casework",
    "runs": "start_run",
}


def drop_unchecked_permissions(apps, schema_editor):
    permission = apps.get_model("auth", "Permission")
    for app_label, codename in UNCHECKED_PERMISSIONS.items():
        permission.objects.filter(content_type__app_label=app_label, codename=codename).delete()


def groups_by_code(apps, schema_editor):
    _rename(apps, {label: code for code, label in LABEL_OF_CODE.items()})


def groups_by_label(apps, schema_editor):
    _rename(apps, dict(LABEL_OF_CODE.items()))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_recoverycode"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agency",
            name="kind",
            field=models.CharField(
                choices=missimo.accounts.policy.agency_kind_choices, max_length=30, verbose_name="Art"
            ),
        ),
        migrations.RunPython(groups_by_code, groups_by_label),
        migrations.RunPython(drop_unchecked_permissions, migrations.RunPython.noop),
    ]
