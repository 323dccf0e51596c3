from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Benutzername oder Passwort ist nicht korrekt. Bitte achten Sie auf Groß- und Kleinschreibung."
        ),
        "inactive": _("Dieses Konto ist gesperrt. Bitte wenden Sie sich an die Administration."),
    }
