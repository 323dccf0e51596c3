from django import forms

from missimo.casework import services
from missimo.casework.models import Campaign, CaseOrigin, ReviewReason
from missimo.core.widgets import DatePicker

_INPUT = {"class": "kern-form-input__input"}
_SELECT = {"class": "kern-form-input__select"}
_DATE = {**_INPUT, "inputmode": "numeric"}


def _describe(form: forms.Form) -> None:
    """Tie help texts and errors to their fields (aria-describedby), as web/_field.html renders them."""
    for name, field in form.fields.items():
        ids = []
        if field.help_text:
            ids.append(f"id_{name}-hint")
        if form.is_bound and name in form.errors:
            ids.append(f"id_{name}-error")
            field.widget.attrs["aria-invalid"] = "true"
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = ["name", "start", "end", "description", "agencies"]
        widgets = {
            "name": forms.TextInput(attrs=_INPUT),
            "start": DatePicker(attrs=_DATE),
            "end": DatePicker(attrs=_DATE),
            "description": forms.Textarea(attrs={**_INPUT, "rows": 3}),
            "agencies": forms.CheckboxSelectMultiple(attrs={"class": "kern-form-check__checkbox"}),
        }
        help_texts = {"start": "Format TT.MM.JJJJ.", "end": "Format TT.MM.JJJJ."}
        error_messages = {
            "name": {"required": "Bitte geben Sie eine Bezeichnung an."},
            "start": {
                "required": "Bitte geben Sie den Beginn an.",
                "invalid": "Bitte geben Sie den Beginn im Format TT.MM.JJJJ an.",
            },
            "end": {
                "required": "Bitte geben Sie das Ende an.",
                "invalid": "Bitte geben Sie das Ende im Format TT.MM.JJJJ an.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = services.agencies_for_campaigns()
        self.fields["agencies"].required = True
        self.fields["agencies"].error_messages["required"] = "Bitte wählen Sie mindestens eine Behörde."

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "Das Ende darf nicht vor dem Beginn liegen.")
        return data

    def full_clean(self):
        super().full_clean()
        _describe(self)


class CaseForm(forms.Form):
    origin = forms.ChoiceField(
        label="Anlass", choices=services.HAND_ORIGINS, widget=forms.Select(attrs=_SELECT)
    )
    title = forms.CharField(
        label="Kurzbezeichnung", max_length=200, required=False, widget=forms.TextInput(attrs=_INPUT)
    )
    description = forms.CharField(
        label="Sachverhalt",
        max_length=10000,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 4}),
        error_messages={"required": "Bitte beschreiben Sie den Anlass."},
    )
    property = forms.ChoiceField(
        label="Objekt",
        required=False,
        widget=forms.RadioSelect(attrs={"class": "kern-form-check__radio"}),
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        self.fields["property"].choices = [("", "ohne Objekt")] + [
            (str(p.pk), f"{p.address} (Objekt-ID {p.objekt_id})") for p in candidates
        ]

    def clean_property(self):
        value = self.cleaned_data.get("property")
        return self.candidates.get(value) if value else None

    def full_clean(self):
        super().full_clean()
        _describe(self)


class CaseEditForm(forms.Form):
    title = forms.CharField(
        label="Kurzbezeichnung", max_length=200, required=False, widget=forms.TextInput(attrs=_INPUT)
    )
    description = forms.CharField(
        label="Sachverhalt",
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={**_INPUT, "rows": 4}),
    )
    assigned_to = forms.ModelChoiceField(
        label="zuständig",
        queryset=None,
        required=False,
        empty_label="niemand",
        widget=forms.Select(attrs=_SELECT),
    )
    due_date = forms.DateField(
        label="Frist",
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        help_text="TT.MM.JJJJ – bis wann der Fall bearbeitet sein muss",
        widget=DatePicker(attrs=_DATE),
    )
    follow_up_date = forms.DateField(
        label="Wiedervorlage",
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        help_text="TT.MM.JJJJ – wann Sie den Fall wieder ansehen wollen",
        widget=DatePicker(attrs=_DATE),
    )
    follow_up_note = forms.CharField(
        label="Notiz zur Wiedervorlage",
        max_length=500,
        required=False,
        widget=forms.TextInput(attrs=_INPUT),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
    property = forms.ChoiceField(
        label="Objekt zuordnen",
        required=False,
        widget=forms.RadioSelect(attrs={"class": "kern-form-check__radio"}),
    )

    def __init__(self, *args, case, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        if case.property_id is None:
            self.fields["property"].choices = [("", "noch ohne Objekt")] + [
                (str(p.pk), f"{p.address} (Objekt-ID {p.objekt_id})") for p in candidates
            ]
        else:
            del self.fields["property"]
        self.fields["assigned_to"].queryset = services.assignable_users(case)
        self.fields["assigned_to"].label_from_instance = lambda u: (
            f"{u.display_name} ({u.agency})" if u.agency_id else u.display_name
        )

    @classmethod
    def for_case(cls, case, data=None, candidates=()):
        initial = {
            "title": case.title,
            "description": case.description,
            "assigned_to": case.assigned_to_id,
            "due_date": case.due_date,
            "follow_up_date": case.follow_up_date,
            "follow_up_note": case.follow_up_note,
            "version": case.version,
        }
        return cls(data, initial=initial, case=case, candidates=candidates)

    def clean_property(self):
        value = self.cleaned_data.get("property")
        return self.candidates.get(value) if value else None

    def full_clean(self):
        super().full_clean()
        _describe(self)


REASON_CHOICES = [("", "bitte wählen"), *ReviewReason.choices]
ORIGIN_CHOICES = CaseOrigin.choices
