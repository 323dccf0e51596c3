from django import forms
from django.utils import timezone

from missimo.core.widgets import DatePicker


class StartRunForm(forms.Form):
    stichtag = forms.DateField(
        label="Stichtag",
        help_text="Format TT.MM.JJJJ. Alle Regeln werden zu diesem Tag ausgewertet.",
        error_messages={
            "required": "Bitte geben Sie einen Stichtag an.",
            "invalid": "Bitte geben Sie ein Datum im Format TT.MM.JJJJ an.",
        },
        widget=DatePicker(
            attrs={
                "class": "kern-form-input__input",
                "aria-describedby": "id_stichtag-hint",
                "inputmode": "numeric",
            },
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("stichtag", timezone.localdate())
