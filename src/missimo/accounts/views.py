"""Second factor (enrolment and code step) and the page shown while an account is locked."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from missimo.accounts import twofactor
from missimo.accounts.forms import LoginForm, TokenForm
from missimo.audit.models import AuditAction
from missimo.audit.services import record


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, request) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': _next_url(request)})}"


@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """First log-in of a personal-data role: pair an authenticator app by QR code, confirm one code."""
    user = request.user
    if twofactor.confirmed_device(user) is not None:
        if user.is_verified():
            return redirect(_next_url(request))
        return redirect(_with_next("two_factor_verify", request))
    device = twofactor.pending_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            record(
                user,
                AuditAction.CREATE,
                object_type="totp_device",
                object_id=device.pk,
                purpose="Zweiter Faktor eingerichtet",
                request=request,
            )
            return redirect(_next_url(request))
        form.add_error("token", "Der Code stimmt nicht. Bitte geben Sie den aktuellen Code Ihrer App ein.")
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": twofactor.qr_svg(device),
            "manual_key": twofactor.manual_key(device),
            "next": _next_url(request),
        },
    )


@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    """The code step after the password log-in."""
    user = request.user
    device = twofactor.confirmed_device(user)
    if device is None:
        return redirect(_with_next("two_factor_enrol", request))
    if user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            record(user, AuditAction.LOGIN, object_type="zweiter_faktor", request=request)
            return redirect(_next_url(request))
        record(
            None,
            AuditAction.LOGIN_FAILED,
            object_type="zweiter_faktor",
            details={"username": user.get_username()},
            request=request,
        )
        if allowed:
            form.add_error(
                "token", "Der Code stimmt nicht. Bitte geben Sie den aktuellen Code Ihrer App ein."
            )
        else:
            form.add_error(
                "token",
                "Zu viele falsche Codes hintereinander. Bitte warten Sie kurz und versuchen es erneut.",
            )
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)})


def locked_out(request, original_response=None, credentials=None):
    """django-axes: the log-in page with a German message while the account is locked (HTTP 429)."""
    if request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Ihr Konto ist nach {settings.AXES_FAILURE_LIMIT} fehlgeschlagenen Anmeldeversuchen vorübergehend "
        f"gesperrt. Bitte versuchen Sie es in {minutes} Minuten erneut oder wenden Sie sich an die "
        "Administration."
    )
    return render(
        request,
        "registration/login.html",
        {"form": LoginForm(request), "lockout_message": message, "next": _next_url(request)},
        status=429,
    )
