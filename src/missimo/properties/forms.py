from django import forms
from django.utils import timezone

from missimo.core.widgets import DatePicker
from missimo.properties.models import CATEGORY_FIELDS, Category, Level, Measure

_INPUT = {"class": "kern-form-input__input"}
_SELECT = {"class": "kern-form-input__select"}


class CaseworkForm(forms.Form):
    kategorien = forms.MultipleChoiceField(
        label="Problemkategorien",
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
    )
    problemdruck = forms.ChoiceField(
        label="Problemdruck", choices=[("", "nicht bewertet"), *Level.choices], required=False
    )
    handlungsmoeglichkeit = forms.ChoiceField(
        label="Handlungsmöglichkeit", choices=[("", "nicht bewertet"), *Level.choices], required=False
    )
    negative_entwicklung = forms.BooleanField(label="Negative Entwicklung droht", required=False)
    ziel = forms.CharField(
        label="Strategisches Ziel (ämterübergreifend abgestimmt)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    beschwerdelage = forms.CharField(
        label="Beschwerdelage", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    beschwerden_anzahl = forms.IntegerField(
        label="Anzahl Beschwerden",
        min_value=0,
        max_value=100000,
        required=False,
        error_messages={"invalid": "Bitte geben Sie eine ganze Zahl ein."},
    )
    aktenzeichen = forms.CharField(label="Aktenzeichen", required=False, max_length=100)
    arbeitgeber = forms.CharField(
        label="Arbeitgeber (Unterkunft für Beschäftigte)",
        required=False,
        max_length=300,
        help_text="Nur bei „Unterkunft für Beschäftigte“: das Unternehmen, das die Beschäftigten unterbringt.",
    )
    eigentuemer_notiz = forms.CharField(
        label="Notiz zum Eigentümer",
        required=False,
        max_length=5000,
        help_text="Der Eigentümer selbst kommt aus dem Datenstand Objekte; hier ergänzen Sie, was bekannt ist.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.Select):
                field.widget.attrs.update(_SELECT)
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs.update({"class": "kern-form-input__input"})
            elif isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.update({"class": "kern-form-check__checkbox"})
            elif not isinstance(field.widget, forms.HiddenInput | forms.CheckboxSelectMultiple):
                field.widget.attrs.update(_INPUT)
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    @classmethod
    def for_property(cls, prop, data=None):
        initial = {
            "kategorien": prop.categories,
            "problemdruck": prop.problemdruck,
            "handlungsmoeglichkeit": prop.handlungsmoeglichkeit,
            "negative_entwicklung": prop.negative_entwicklung,
            "ziel": prop.ziel,
            "beschwerdelage": prop.beschwerdelage,
            "beschwerden_anzahl": prop.beschwerden_anzahl,
            "aktenzeichen": prop.aktenzeichen,
            "arbeitgeber": prop.arbeitgeber,
            "eigentuemer_notiz": prop.eigentuemer_notiz,
            "version": prop.version,
        }
        return cls(data, initial=initial)

    def clean(self):
        data = super().clean()
        worker_housing = Category.BESCHAEFTIGTE in (data.get("kategorien") or [])
        if worker_housing and not (data.get("arbeitgeber") or "").strip():
            self.add_error(
                "arbeitgeber", "Bitte geben Sie bei einer Unterkunft für Beschäftigte den Arbeitgeber an."
            )
        if not worker_housing:
            data["arbeitgeber"] = ""
        return data

    def casework(self) -> dict:
        data = self.cleaned_data
        values = {field: code in data["kategorien"] for code, field in CATEGORY_FIELDS.items()}
        values.update(
            {
                key: data[key]
                for key in (
                    "problemdruck",
                    "handlungsmoeglichkeit",
                    "negative_entwicklung",
                    "ziel",
                    "beschwerdelage",
                    "aktenzeichen",
                    "arbeitgeber",
                    "eigentuemer_notiz",
                )
            }
        )
        values["beschwerden_anzahl"] = data["beschwerden_anzahl"] or 0
        return values


class MeasureForm(forms.ModelForm):
    class Meta:
        model = Measure
        fields = ["date", "agency", "kind", "text", "deadline"]
        widgets = {
            "date": DatePicker(attrs={**_INPUT, "inputmode": "numeric"}),
            "deadline": DatePicker(attrs={**_INPUT, "inputmode": "numeric"}),
            "agency": forms.TextInput(attrs=_INPUT),
            "kind": forms.Select(attrs=_SELECT),
            "text": forms.Textarea(attrs={**_INPUT, "rows": 3}),
        }
        help_texts = {
            "date": "Format TT.MM.JJJJ.",
            "deadline": "Optional, Format TT.MM.JJJJ (z. B. bei Anhörung, Anordnung, Frist).",
        }
        error_messages = {
            "deadline": {"invalid": "Bitte geben Sie die Frist im Format TT.MM.JJJJ an."},
            "date": {
                "required": "Bitte geben Sie ein Datum an.",
                "invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an.",
            },
            "agency": {"required": "Bitte nennen Sie die Stelle."},
            "kind": {"required": "Bitte wählen Sie die Art."},
            "text": {"required": "Bitte beschreiben Sie die Maßnahme."},
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["aria-describedby"] = "id_date-hint"
        self.initial.setdefault("date", timezone.localdate())
        if user is not None and user.agency_id:
            self.initial.setdefault("agency", str(user.agency))
