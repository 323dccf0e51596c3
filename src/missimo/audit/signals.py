"""Log-ins, log-outs, failed log-ins, lockouts and the security events of accounts (second factor,
recovery codes, roles from an identity provider) go to the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from missimo.accounts import signals as accounts
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


@receiver(accounts.second_factor_enrolled)
def _second_factor_enrolled(sender, user, device, request=None, **kwargs):
    record(
        user,
        AuditAction.CREATE,
        object_type="totp_device",
        object_id=device.pk,
        purpose="Zweiter Faktor eingerichtet",
        request=request,
    )


@receiver(accounts.second_factor_passed)
def _second_factor_passed(sender, user, request=None, recovery_code=False, remaining=None, **kwargs):
    details = {"recovery_code": True, "remaining": remaining} if recovery_code else {}
    record(user, AuditAction.LOGIN, object_type="zweiter_faktor", details=details, request=request)


@receiver(accounts.second_factor_failed)
def _second_factor_failed(sender, user, request=None, recovery_code=False, **kwargs):
    record(
        None,
        AuditAction.LOGIN_FAILED,
        object_type="zweiter_faktor",
        details={"username": user.get_username(), **({"recovery_code": True} if recovery_code else {})},
        request=request,
    )


@receiver(accounts.recovery_codes_renewed)
def _recovery_codes_renewed(sender, user, count, request=None, **kwargs):
    record(
        user,
        AuditAction.CHANGE,
        object_type="recovery_codes",
        object_id=user.pk,
        purpose="Wiederherstellungscodes des zweiten Faktors neu erzeugt",
        details={"count": count},
        request=request,
    )


@receiver(accounts.roles_changed_by_provider)
def _roles_changed_by_provider(sender, user, roles, agency, request=None, **kwargs):
    record(
        None,
        AuditAction.CHANGE,
        object_type="user",
        object_id=user.pk,
        purpose="Rollen aus dem Identitätsanbieter übernommen",
        details={"roles": roles, "agency": agency},
        request=request,
    )


@receiver(accounts.roles_changed_by_administrator)
def _roles_changed_by_administrator(sender, user, before, after, request=None, **kwargs):
    record(
        request.user if request is not None else None,
        AuditAction.CHANGE,
        object_type="user",
        object_id=user.pk,
        purpose="Rollen eines Kontos in der Benutzerverwaltung geändert",
        details={"before": sorted(before), "after": sorted(after)},
        request=request,
    )
