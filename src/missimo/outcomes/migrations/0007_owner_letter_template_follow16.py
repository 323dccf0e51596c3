"""The default template for a letter to a property's owner (Anhörung zur Mängelbeseitigung); the
coordination office edits it in MISSIMO (Schreiben → Vorlagen). Only this template is created, so a
city that removed one of the earlier defaults does not get it back."""

from django.db import migrations, models

from missimo.outcomes.defaults import OWNER_KIND, TEMPLATES, ensure_default_templates

OWNER_TEMPLATES = [t["name"] for t in TEMPLATES if t["recipient_kind"] == OWNER_KIND]


def create_owner_templates(apps, schema_editor):
    ensure_default_templates(apps.get_model("outcomes", "LetterTemplate"), names=OWNER_TEMPLATES)


def remove_owner_templates(apps, schema_editor):
    LetterTemplate = apps.get_model("outcomes", "LetterTemplate")
    LetterTemplate.objects.filter(name__in=OWNER_TEMPLATES, letters__isnull=True, version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0006_owner_letters_net17"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lettertemplate",
            name="recipient_kind",
            field=models.CharField(
                blank=True,
                max_length=30,
                verbose_name="übliche Empfängerin (Art der Behörde oder Eigentümer)",
            ),
        ),
        migrations.RunPython(create_owner_templates, remove_owner_templates),
    ]
