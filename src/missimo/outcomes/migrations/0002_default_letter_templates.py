"""Two default letter templates; the coordination office edits them in MISSIMO (Schreiben → Vorlagen)."""

from django.db import migrations

from missimo.outcomes.defaults import TEMPLATES, ensure_default_templates


def create_templates(apps, schema_editor):
    ensure_default_templates(apps.get_model("outcomes", "LetterTemplate"))


def remove_templates(apps, schema_editor):
    LetterTemplate = apps.get_model("outcomes", "LetterTemplate")
    LetterTemplate.objects.filter(
        name__in=[t["name"] for t in TEMPLATES], letters__isnull=True, version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
