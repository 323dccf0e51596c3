from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from missimo.accounts import services as accounts
from missimo.accounts.models import Agency


class NewAccountForm(forms.Form):
    username = forms.CharField(
        label="Benutzername",
        max_length=150,
        help_text="Buchstaben, Ziffern und @ . + - _; zum Beispiel m.muster.",
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", "autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label="Vorname",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    last_name = forms.CharField(
        label="Nachname",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "kern-form-input__input"}),
    )
    email = forms.EmailField(
        label="E-Mail-Adresse",
        required=False,
        widget=forms.EmailInput(attrs={"class": "kern-form-input__input"}),
        error_messages={"invalid": "Bitte geben Sie eine gültige E-Mail-Adresse an."},
    )
    agency = forms.ModelChoiceField(
        label="Behörde",
        queryset=Agency.objects.order_by("name"),
        empty_label="Bitte wählen",
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
        error_messages={"required": "Bitte wählen Sie die Behörde des Kontos."},
    )
    role = forms.ChoiceField(
        label="Rolle",
        choices=[],
        widget=forms.Select(attrs={"class": "kern-form-input__select"}),
        help_text="Die Rolle bestimmt, was das Konto sehen und tun darf (siehe Zugriffsmatrix).",
        error_messages={"required": "Bitte wählen Sie eine Rolle."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Bitte wählen"), *accounts.role_choices()]
        for name, field in self.fields.items():
            ids = [f"id_{name}-hint"] if field.help_text else []
            if self.is_bound and name in self.errors:
                ids.append(f"id_{name}-error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
                ids = [f"id_{name}-hint"] if self.fields[name].help_text else []
                self.fields[name].widget.attrs["aria-describedby"] = " ".join([*ids, f"id_{name}-error"])

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Diesen Benutzernamen gibt es schon. Bitte wählen Sie einen anderen.")
        return username
