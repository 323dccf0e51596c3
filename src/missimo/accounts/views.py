"""Second factor (enrolment and code step) and the page shown while an account is locked."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from missimo.accounts import signals, twofactor
from missimo.accounts.forms import LoginForm, RecoveryCodeForm, TokenForm
from missimo.accounts.models import User


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
            request.session.cycle_key()  # a new session id once the second factor is passed
            signals.second_factor_enrolled.send(User, user=user, device=device, request=request)
            _show_new_recovery_codes(request, user)
            return redirect(_with_next("two_factor_recovery_codes", request))
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
    """The code step after the password log-in (the app's code, or one recovery code)."""
    user = request.user
    device = twofactor.confirmed_device(user)
    if device is None:
        return redirect(_with_next("two_factor_enrol", request))
    if user.is_verified():
        return redirect(_next_url(request))
    with_recovery = request.method == "POST" and "recovery_code" in request.POST
    form = TokenForm(request.POST if request.method == "POST" and not with_recovery else None)
    recovery_form = RecoveryCodeForm(request.POST if with_recovery else None)
    active = recovery_form if with_recovery else form
    if request.method == "POST" and active.is_valid():
        allowed, _ = device.verify_is_allowed()
        if with_recovery:
            ok = allowed and twofactor.use_recovery_code(user, recovery_form.cleaned_data["recovery_code"])
            if allowed and not ok:
                device.throttle_increment()  # guessing recovery codes is throttled like app codes
        else:
            ok = allowed and device.verify_token(form.cleaned_data["token"])
        if ok:
            otp_login(request, device)
            request.session.cycle_key()  # a new session id once the second factor is passed
            remaining = None
            if with_recovery:
                remaining = twofactor.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    f"Sie haben sich mit einem Wiederherstellungscode angemeldet. Es bleiben {remaining} Codes. "
                    "Bitte erzeugen Sie neue Codes, wenn Ihre App verloren ist, und lassen Sie den zweiten "
                    "Faktor von der Administration zurücksetzen.",
                )
            signals.second_factor_passed.send(
                User, user=user, request=request, recovery_code=with_recovery, remaining=remaining
            )
            return redirect(_next_url(request))
        signals.second_factor_failed.send(User, user=user, request=request, recovery_code=with_recovery)
        field = "recovery_code" if with_recovery else "token"
        if not allowed:
            active.add_error(
                field, "Zu viele falsche Codes hintereinander. Bitte warten Sie kurz und versuchen es erneut."
            )
        elif with_recovery:
            active.add_error(field, "Dieser Wiederherstellungscode ist falsch oder wurde schon verwendet.")
        else:
            active.add_error(
                field, "Der Code stimmt nicht. Bitte geben Sie den aktuellen Code Ihrer App ein."
            )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "recovery_form": recovery_form, "next": _next_url(request)},
    )


_SESSION_CODES = "missimo_new_recovery_codes"


def _show_new_recovery_codes(request, user) -> None:
    """Create new recovery codes and keep them in the session for the one page that shows them."""
    request.session[_SESSION_CODES] = twofactor.new_recovery_codes(user)


@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes(request):
    """The recovery codes of the own account: new codes are shown once; regenerating replaces all
    (audited, without the codes)."""
    user = request.user
    device = twofactor.confirmed_device(user)
    if request.method == "POST":
        if device is None:
            messages.error(request, "Sie haben noch keinen zweiten Faktor eingerichtet.")
            return redirect("two_factor_recovery_codes")
        _show_new_recovery_codes(request, user)
        signals.recovery_codes_renewed.send(
            User, user=user, count=twofactor.RECOVERY_CODE_COUNT, request=request
        )
        return redirect("two_factor_recovery_codes")
    codes = request.session.pop(_SESSION_CODES, None)
    response = render(
        request,
        "accounts/recovery_codes.html",
        {
            "codes": codes,
            "has_device": device is not None,
            "remaining": twofactor.remaining_recovery_codes(user),
            "next": _next_url(request),
        },
    )
    response["Cache-Control"] = "no-store"  # the codes must not stay in a browser cache
    return response


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
