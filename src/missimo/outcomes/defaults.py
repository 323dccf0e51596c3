"""The default letter templates a city starts with; the coordination office edits them in MISSIMO
(Schreiben → Vorlagen). Used by migrations 0002 and 0007 and by `missimo demo`, which puts back any
that a test database flush or an administrator removed, so the demo's letters always have a template.

`recipient_kind` is the agency kind a template is meant for, or OWNER_KIND for a letter to the owner
of a case's property: the draft form offers owner templates only for the owner and agency templates
only for agencies (a template without a kind for both)."""

from __future__ import annotations

# Not an agency kind: the recipient_kind of templates for letters to a property's owner.
OWNER_KIND = "eigentuemer"

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
    {
        "name": "Anhörung des Eigentümers zur Mängelbeseitigung",
        "recipient_kind": OWNER_KIND,
        "subject": "Anhörung zur Beseitigung von Mängeln am Objekt {adresse} (Aktenzeichen {aktenzeichen})",
        "body": (
            "Sehr geehrte Damen und Herren,\n\n"
            "nach unseren Unterlagen sind Sie ({empfaenger}) Eigentümerin oder Eigentümer des Objekts\n"
            "{adresse}.\n\n"
            "Bei einer Kontrolle des Objekts durch die Stadt (Aktenzeichen {aktenzeichen}) wurden bis zum "
            "{datum} die folgenden Mängel festgestellt:\n\n"
            "- [Bitte die festgestellten Mängel einzeln mit Ort und Datum der Feststellung aufführen.]\n\n"
            "Wir fordern Sie auf, diese Mängel zu beseitigen. Kommen Sie dem nicht nach, beabsichtigen wir, "
            "die Beseitigung nach dem Wohnraumstärkungsgesetz NRW anzuordnen. Vor einer solchen Anordnung "
            "geben wir Ihnen nach § 28 des Verwaltungsverfahrensgesetzes NRW Gelegenheit, sich zu äußern.\n\n"
            "Bitte teilen Sie uns bis zum {frist} unter Angabe des Aktenzeichens {aktenzeichen} mit, ob und "
            "bis wann Sie die Mängel beseitigen, oder äußern Sie sich zum Sachverhalt. Äußern Sie sich bis "
            "dahin nicht, entscheiden wir nach Aktenlage.\n\n"
            "Mit freundlichen Grüßen\n"
            "Im Auftrag"
        ),
    },
]


def ensure_default_templates(template_model, names: list[str] | None = None) -> int:
    """Create the default templates that are missing (by name), only those in `names` if given;
    returns how many were created.

    `template_model` is the LetterTemplate model (the historical one inside a migration)."""

    created = 0
    for values in TEMPLATES:
        if names is not None and values["name"] not in names:
            continue
        _, new = template_model.objects.get_or_create(
            name=values["name"], defaults={**values, "updated_by_name": "MISSIMO (Voreinstellung)"}
        )
        created += new
    return created
