"""Two default letter templates; the coordination office edits them in MISSIMO (Schreiben → Vorlagen)."""

from django.db import migrations

TEMPLATES = [
    {
        "name": "Mitteilung an die Familienkasse",
        "recipient_kind": "familienkasse",
        "subject": "Mitteilung zum Prüffall {aktenzeichen}",
        "body": (
            "Sehr geehrte Damen und Herren,\n\n"
            "im Rahmen eines ämterübergreifenden Aktionszeitraums hat die Stadt das Objekt\n"
            "{adresse}\n"
            "überprüft (Aktenzeichen {aktenzeichen}). Dabei haben sich die folgenden Anhaltspunkte ergeben, "
            "die Ihre Zuständigkeit betreffen:\n\n"
            "{hinweise}\n\n"
            "Die Anhaltspunkte sind Prüfhinweise, keine Feststellungen. Wir bitten Sie, den Sachverhalt in "
            "eigener Zuständigkeit zu prüfen und uns das Ergebnis unter Angabe des Aktenzeichens mitzuteilen.\n\n"
            "Mit freundlichen Grüßen\n"
            "Im Auftrag"
        ),
    },
    {
        "name": "Mitteilung an die Wohnungsaufsicht",
        "recipient_kind": "bauaufsicht",
        "subject": "Mitteilung zum Objekt {adresse} ({aktenzeichen})",
        "body": (
            "Sehr geehrte Damen und Herren,\n\n"
            "bei einer ämterübergreifenden Kontrolle des Objekts\n"
            "{adresse}\n"
            "(Aktenzeichen {aktenzeichen}) haben sich Anhaltspunkte für wohnungsaufsichtsrechtliche Mängel "
            "ergeben:\n\n"
            "{hinweise}\n\n"
            "Wir bitten Sie, ein Verfahren nach dem Wohnraumstärkungsgesetz NRW in eigener Zuständigkeit "
            "zu prüfen und uns das Ergebnis unter Angabe des Aktenzeichens mitzuteilen.\n\n"
            "Mit freundlichen Grüßen\n"
            "Im Auftrag"
        ),
    },
]


def create_templates(apps, schema_editor):
    LetterTemplate = apps.get_model("outcomes", "LetterTemplate")
    for values in TEMPLATES:
        LetterTemplate.objects.get_or_create(
            name=values["name"], defaults={**values, "updated_by_name": "MISSIMO (Voreinstellung)"}
        )


def remove_templates(apps, schema_editor):
    LetterTemplate = apps.get_model("outcomes", "LetterTemplate")
    LetterTemplate.objects.filter(
        name__in=[t["name"] for t in TEMPLATES], letters__isnull=True, version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [migrations.RunPython(create_templates, remove_templates)]
