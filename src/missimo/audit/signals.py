"""Log-ins, log-outs, failed log-ins and lockouts go to the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from missimo.audit.models import AuditAction
from missimo.audit.services import record


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    record(user, AuditAction.LOGIN, object_type="session", request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        record(user, AuditAction.LOGOUT, object_type="session", request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record(
        None, AuditAction.LOGIN_FAILED, object_type="session", details={"username": username}, request=request
    )


@receiver(user_locked_out)
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    record(
        None,
        AuditAction.LOCKOUT,
        object_type="session",
        purpose="Konto nach wiederholten Fehlversuchen gesperrt",
        details={"username": str(username or "")[:150]},
        request=request,
    )
