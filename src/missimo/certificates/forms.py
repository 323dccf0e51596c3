from django import forms

from missimo.certificates.models import School
from missimo.core.widgets import DatePicker

_INPUT = {"class": "kern-form-input__input"}
_DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d"]


def _date(label: str, required: bool = True, help_text: str = "Format TT.MM.JJJJ") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=_DATE_FORMATS,
        help_text=help_text,
        error_messages={
            "required": f"Bitte geben Sie das {label} an.",
            "invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an.",
        },
        widget=DatePicker(attrs={**_INPUT, "inputmode": "numeric"}),
    )


class _KernForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("class", _INPUT["class"])
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"


class PupilSearchForm(_KernForm):
    q = forms.CharField(
        label="Name oder Schüler-ID",
        max_length=200,
        help_text="Nachname, Vorname oder beides; die Suche umfasst nur Ihre Schule.",
        error_messages={"required": "Bitte geben Sie einen Namen oder eine Schüler-ID ein."},
    )


class ManualCertificateForm(_KernForm):
    nachname = forms.CharField(label="Nachname", max_length=200)
    vorname = forms.CharField(label="Vorname", max_length=200)
    geburtsdatum = _date("Geburtsdatum")
    aufnahmedatum = _date("Aufnahmedatum")
    entlassdatum = _date("Entlassdatum", required=False, help_text="Nur falls bereits bekannt; TT.MM.JJJJ")
    klasse = forms.CharField(label="Klasse", max_length=50, required=False)
    schueler_id = forms.CharField(label="Schüler-ID", max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("nachname", "vorname"):
            self.fields[name].error_messages["required"] = (
                f"Bitte geben Sie den {self.fields[name].label} an."
            )


class RevokeForm(_KernForm):
    reason = forms.CharField(
        label="Grund des Widerrufs",
        max_length=300,
        help_text="Zum Beispiel: Schulwechsel zum 01.02.",
        error_messages={"required": "Bitte geben Sie einen Grund an."},
    )


class VerifyForm(_KernForm):
    file = forms.FileField(
        label="Schulbescheinigung (PDF, Scan oder Foto)",
        required=False,
        help_text="Die PDF-Datei der Schule oder ein Scan bzw. Foto der Papierbescheinigung "
        "(PDF, JPEG, PNG); der QR-Code wird aus dem Bild gelesen.",
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.txt,.jpg,.jpeg,.png,.tif,.tiff,.webp,application/pdf,image/*"}
        ),
    )
    text = forms.CharField(
        label="oder: Inhalt des QR-Codes",
        required=False,
        max_length=4000,
        help_text="Mit einem Scanner gelesen; beginnt mit MISSIMO-SB1:",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(
                "Bitte laden Sie die PDF-Datei, einen Scan oder ein Foto hoch oder fügen Sie den "
                "QR-Inhalt ein."
            )
        upload = cleaned.get("file")
        if upload is not None and upload.size > 10 * 1024 * 1024:
            self.add_error("file", "Die Datei ist größer als 10 MiB.")
        return cleaned


class KeyForm(_KernForm):
    schulnummer = forms.RegexField(
        label="Schulnummer",
        regex=r"^\d{6}$",
        help_text="Sechs Ziffern",
        error_messages={
            "required": "Bitte geben Sie die Schulnummer an.",
            "invalid": "Die Schulnummer hat sechs Ziffern.",
        },
    )


class SchoolForm(forms.ModelForm):
    """Add a school to the register or change its form and contact (by Schulnummer)."""

    class Meta:
        model = School
        fields = [
            "schulnummer",
            "name",
            "schulform",
            "contact_person",
            "phone",
            "email",
            "strasse",
            "plz",
            "ort",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "kern-form-input__select" if isinstance(field.widget, forms.Select) else _INPUT["class"]
            field.widget.attrs.setdefault("class", css)
