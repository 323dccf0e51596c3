"""The administration of accounts in the application (role Administration, capability
ADMINISTER_ACCOUNTS): list the accounts, create one with its agency and role, lift a lock-out, reset
the second factor, deactivate and reactivate. Every step is in the audit log; no page shows data of
citizens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo.accounts import policy
from missimo.accounts import services as accounts
from missimo.accounts.models import Agency
from missimo.accounts.policy import Capability
from missimo.administration.forms import NewAccountForm
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.core import lists

OBJECT_TYPE = "user"  # labelled "Benutzerkonto" in the audit log (audit.labels)


def _require(request) -> None:
    if not policy.can(request.user, Capability.ADMINISTER_ACCOUNTS):
        raise Http404


def _account(request, pk: int):
    _require(request)
    return get_object_or_404(get_user_model().objects.select_related("agency"), pk=pk)


COLUMNS = (
    lists.Column("benutzername", "Benutzername", ("username",)),
    lists.Column("name", "Name", ("last_name", "first_name", "username")),
    lists.Column("behoerde", "Behörde", ("agency__name", "username")),
    lists.Column("rollen", "Rollen"),
    lists.Column("status", "Status", ("is_active", "username")),
    lists.Column("anmeldung", "Letzte Anmeldung", ("last_login",)),
)


def _filters() -> list[lists.ListFilter]:
    return [
        lists.TextFilter(
            "q",
            "Suche",
            lists.token_search("username__icontains", "first_name__icontains", "last_name__icontains"),
            hint="Benutzername oder Name",
        ),
        lists.ChoiceFilter(
            "behoerde",
            "Behörde",
            lambda qs, v: qs.filter(agency_id=int(v)),
            choices=[
                (str(pk), name) for pk, name in Agency.objects.order_by("name").values_list("pk", "name")
            ],
        ),
        lists.ChoiceFilter(
            "rolle",
            "Rolle",
            lambda qs, v: qs.filter(pk__in=accounts.users_with_role(v).values("pk")),
            choices=accounts.role_choices(),
        ),
        lists.ChoiceFilter(
            "status",
            "Status",
            lambda qs, v: qs.filter(is_active=(v == "aktiv")),
            choices=[("aktiv", "aktiv"), ("deaktiviert", "deaktiviert")],
        ),
    ]


@require_GET
def user_list(request):
    _require(request)
    listing = lists.Listing(
        request,
        get_user_model().objects.select_related("agency").prefetch_related("groups"),
        columns=COLUMNS,
        default_sort="benutzername",
        filters=_filters(),
    )
    rows = [
        (user, accounts.role_label_list(user), accounts.is_locked_out(user))
        for user in listing.page.object_list
    ]
    return render(
        request, "administration/users.html", {"listing": listing, "page": listing.page, "rows": rows}
    )


@require_http_methods(["GET", "POST"])
def user_create(request):
    _require(request)
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, password = accounts.create_account(
                data["username"],
                agency=data["agency"],
                role_code=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                email=data["email"],
            )
        except ValidationError as invalid:
            for field, errors in invalid.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            record(
                request.user,
                AuditAction.CREATE,
                object_type=OBJECT_TYPE,
                object_id=user.username,
                purpose="Benutzerkonto angelegt",
                details={"agency": str(user.agency), "roles": accounts.role_label_list(user)},
                request=request,
            )
            messages.success(request, f"Das Konto „{user.username}“ ist angelegt.")
            return render(
                request,
                "administration/user_detail.html",
                {**_detail_context(user), "initial_password": password},
            )
    return render(request, "administration/user_new.html", {"form": form})


def _detail_context(user) -> dict:
    return {
        "account": user,
        "roles": accounts.role_label_list(user),
        "locked": accounts.is_locked_out(user),
        "failed_logins": accounts.failed_logins(user),
        "second_factor": accounts.has_second_factor(user),
    }


@require_GET
def user_detail(request, pk: int):
    user = _account(request, pk)
    return render(request, "administration/user_detail.html", _detail_context(user))


@require_POST
def user_unlock(request, pk: int):
    user = _account(request, pk)
    removed = accounts.unlock(user)
    record(
        request.user,
        AuditAction.CHANGE,
        object_type=OBJECT_TYPE,
        object_id=user.username,
        purpose="Kontosperre nach Fehlversuchen aufgehoben",
        details={"removed_failure_records": removed},
        request=request,
    )
    messages.success(request, f"Die Sperre des Kontos „{user.username}“ ist aufgehoben.")
    return redirect("administration:user_detail", pk=user.pk)


@require_POST
def user_reset_second_factor(request, pk: int):
    user = _account(request, pk)
    if request.POST.get("bestaetigt") != "ja":
        messages.error(request, "Bitte bestätigen Sie, dass der zweite Faktor zurückgesetzt werden soll.")
        return redirect("administration:user_detail", pk=user.pk)
    removed = accounts.reset_second_factor(user)
    record(
        request.user,
        AuditAction.CHANGE,
        object_type=OBJECT_TYPE,
        object_id=user.username,
        purpose="Zweiter Faktor zurückgesetzt (neue Einrichtung bei der nächsten Anmeldung)",
        details=removed,
        request=request,
    )
    messages.success(
        request,
        f"Der zweite Faktor von „{user.username}“ ist zurückgesetzt. Bei der nächsten Anmeldung richtet die Person "
        "die Authenticator-App neu ein und erhält neue Wiederherstellungscodes.",
    )
    return redirect("administration:user_detail", pk=user.pk)


@require_POST
def user_set_active(request, pk: int):
    user = _account(request, pk)
    active = request.POST.get("aktiv") == "ja"
    if not active and user.pk == request.user.pk:
        messages.error(request, "Sie können Ihr eigenes Konto nicht deaktivieren.")
        return redirect("administration:user_detail", pk=user.pk)
    if accounts.set_active(user, active):
        record(
            request.user,
            AuditAction.CHANGE,
            object_type=OBJECT_TYPE,
            object_id=user.username,
            purpose="Benutzerkonto reaktiviert" if active else "Benutzerkonto deaktiviert",
            details={"active": active},
            request=request,
        )
        messages.success(
            request, f"Das Konto „{user.username}“ ist {'wieder aktiv' if active else 'deaktiviert'}."
        )
    return redirect("administration:user_detail", pk=user.pk)
