from django import forms

from missimo.core.widgets import DatePicker


def _text(label: str, help_text: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=200,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )


class Art15Form(forms.Form):
    """Who is asking about whom, and why: Ordnungsmerkmal, or family name and birth date."""

    zweck = _text(
        "Zweck und Aktenzeichen",
        "z. B. „Auskunftsersuchen nach Art. 15 DSGVO, Az. DS-2026-014“ – wird protokolliert.",
        required=True,
    )
    ordnungsmerkmal = _text("Ordnungsmerkmal (Melderegister)")
    familienname = _text("Familienname")
    vornamen = _text("Vornamen", "optional, schränkt die Suche ein")
    geburtsdatum = forms.DateField(
        label="Geburtsdatum",
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        help_text="TT.MM.JJJJ",
        error_messages={"invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an."},
        widget=DatePicker(attrs={"class": "kern-form-input__input", "inputmode": "numeric"}),
    )

    def clean(self):
        data = super().clean()
        by_key = bool(data.get("ordnungsmerkmal", "").strip())
        by_name = bool(data.get("familienname", "").strip() and data.get("geburtsdatum"))
        if not by_key and not by_name:
            raise forms.ValidationError(
                "Bitte geben Sie das Ordnungsmerkmal an oder den Familiennamen zusammen mit dem Geburtsdatum."
            )
        return data
