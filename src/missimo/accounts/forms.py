from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort ist nicht korrekt. Bitte achten Sie auf Groß- und Kleinschreibung."
        ),
        "inactive": _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Administration."),
    }


class TokenForm(forms.Form):
    """The six-digit code of the authenticator app."""

    token = forms.CharField(
        label=_("Code aus der Authenticator-App"),
        min_length=6,
        max_length=8,
        help_text=_("Sechs Ziffern, die Ihre App gerade anzeigt."),
        widget=forms.TextInput(
            attrs={
                "class": "kern-form-input__input",
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
            }
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit():
            raise forms.ValidationError(_("Der Code besteht nur aus Ziffern."))
        return token


class RecoveryCodeForm(forms.Form):
    """One of the ten recovery codes shown at enrolment (when the app is not at hand)."""

    recovery_code = forms.CharField(
        label=_("Wiederherstellungscode"),
        max_length=20,
        help_text=_("Zehn Zeichen, zum Beispiel ABCDE-23456. Jeder Code gilt nur einmal."),
        widget=forms.TextInput(attrs={"class": "kern-form-input__input", "autocomplete": "off"}),
    )
