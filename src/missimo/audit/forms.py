from django import forms

from missimo.audit.labels import object_type_label
from missimo.audit.models import AuditAction
from missimo.core.widgets import DatePicker


def _text(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        help_text="TT.MM.JJJJ",
        error_messages={"invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an."},
        widget=DatePicker(attrs={"class": "kern-form-input__input", "inputmode": "numeric"}),
    )


class AuditFilterForm(forms.Form):
    """Search in the audit log: who, agency, action, object type, object, period, purpose."""

    wer = _text("Benutzername", "Teil des Benutzernamens")
    behoerde = _text("Behörde")
    vorgang = forms.ChoiceField(
        label="Vorgang",
        required=False,
        choices=[("", "alle Vorgänge"), *AuditAction.choices],
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    objektart = forms.ChoiceField(
        label="Objektart",
        required=False,
        choices=[("", "alle Objektarten")],
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
    )
    objekt = _text("Objekt-ID", "z. B. Hinweis-ID oder Datensatzschlüssel")
    zweck = _text("Zweck")
    von = _date("von")
    bis = _date("bis")

    def __init__(self, *args, object_types: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        choices = sorted(((t, object_type_label(t)) for t in object_types), key=lambda c: c[1].lower())
        self.fields["objektart"].choices = [("", "alle Objektarten"), *choices]

    def clean(self):
        data = super().clean()
        if data.get("von") and data.get("bis") and data["von"] > data["bis"]:
            self.add_error("bis", "Das Ende des Zeitraums liegt vor seinem Anfang.")
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "actor": data.get("wer", ""),
            "agency": data.get("behoerde", ""),
            "action": data.get("vorgang", ""),
            "object_type": data.get("objektart", ""),
            "object_id": data.get("objekt", ""),
            "purpose": data.get("zweck", ""),
            "date_from": data.get("von"),
            "date_to": data.get("bis"),
        }
