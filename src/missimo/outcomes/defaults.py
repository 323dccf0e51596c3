"""The default letter templates a city starts with; the coordination office edits them in MISSIMO
(Schreiben → Vorlagen). Used by migration 0002 and by `missimo demo`, which puts back any that a
test database flush or an administrator removed, so the demo's letters always have a template."""

from __future__ import annotations

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


def ensure_default_templates(template_model) -> int:
    """Create the default templates that are missing (by name); returns how many were created.

    `template_model` is the LetterTemplate model (the historical one inside a migration)."""

    created = 0
    for values in TEMPLATES:
        _, new = template_model.objects.get_or_create(
            name=values["name"], defaults={**values, "updated_by_name": "MISSIMO (Voreinstellung)"}
        )
        created += new
    return created
