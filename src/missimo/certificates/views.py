from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from missimo.accounts import policy
from missimo.accounts.policy import Capability
from missimo.audit.models import AuditAction
from missimo.audit.services import record
from missimo.certificates import schools, services
from missimo.certificates.forms import (
    KeyForm,
    ManualCertificateForm,
    PupilSearchForm,
    RevokeForm,
    SchoolForm,
    VerifyForm,
)
from missimo.certificates.models import School, SigningKey
from missimo.certificates.scan import ScanError
from missimo.core import tables


def _school_or_404(request):
    school = services.school_of(request.user)
    if school is None:
        raise Http404
    return school


CERTIFICATE_LIST_LIMIT = 200
CERTIFICATE_HEADER = ["Nummer", "Name", "Geburtsdatum", "ausgestellt", "gültig bis", "Status"]


def listed_certificates(user) -> list:
    """The issued certificates of the own school as the page lists them (the latest 200)."""
    return list(services.certificates_for(user)[:CERTIFICATE_LIST_LIMIT])


def certificate_table(certificates) -> tuple[list[str], list[list]]:
    rows = [
        [
            c.certificate_id,
            f"{c.nachname}, {c.vorname}",
            c.geburtsdatum,
            c.issued_on,
            c.valid_until,
            f"widerrufen ab {c.revoked_from:%d.%m.%Y}" if c.is_revoked else "gültig",
        ]
        for c in certificates
    ]
    return CERTIFICATE_HEADER, rows


@require_GET
def index(request):
    user = request.user
    if services.may_issue(user):
        certificates = listed_certificates(user)
        if certificates:
            services.record_list(user, len(certificates), request=request)
        return render(
            request,
            "certificates/index.html",
            {
                "certificates": certificates,
                "header": CERTIFICATE_HEADER,
                "school": (school := services.school_of(user)),
                "signing_key": services.active_key(school.schulnummer) if school else None,
            },
        )
    if policy.can(user, Capability.VERIFY_CERTIFICATES):
        return redirect("certificates:verify")
    if policy.can(user, Capability.MANAGE_SIGNING_KEYS):
        return redirect("certificates:keys")
    raise Http404


@require_GET
def export(request, fmt: str):
    """The issued certificates as listed (names and dates of birth: audited) as CSV or XLSX."""
    school = _school_or_404(request)
    tables.require_format(fmt)
    certificates = listed_certificates(request.user)
    header, rows = certificate_table(certificates)
    record(
        request.user,
        AuditAction.EXPORT,
        object_type="schulbescheinigung_liste",
        object_id=school.schulnummer,
        purpose="Export der Liste der ausgestellten Schulbescheinigungen",
        details={"format": fmt, "certificates": [c.certificate_id for c in certificates]},
        request=request,
    )
    return tables.export(header, rows, fmt, "schulbescheinigungen", "Schulbescheinigungen")


@require_http_methods(["GET", "POST"])
def issue(request):
    school = _school_or_404(request)
    form = PupilSearchForm(request.GET or None)
    pupils = services.search_pupils(request.user, form.cleaned_data["q"]) if form.is_valid() else []
    error = ""
    if request.method == "POST":
        try:
            certificate = services.issue_from_snapshot(
                request.user, request.POST.get("schueler_id", ""), request=request
            )
        except services.PupilNotFound:
            raise Http404 from None
        except services.CertificateRefused as refused:
            error = refused.message
        else:
            messages.success(request, "Die Schulbescheinigung wurde ausgestellt.")
            return redirect("certificates:detail", certificate_id=certificate.certificate_id)
    return render(
        request,
        "certificates/issue.html",
        {
            "form": form,
            "pupils": pupils,
            "searched": form.is_bound,
            "error": error,
            "school": school,
            "signing_key": services.active_key(school.schulnummer),
            "today": timezone.localdate(),
        },
        status=422 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def issue_manual(request):
    school = _school_or_404(request)
    form = ManualCertificateForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.issue_manual(request.user, **form.cleaned_data, request=request)
        except services.CertificateRefused as refused:
            error = refused.message
        else:
            messages.success(request, "Die Schulbescheinigung wurde ausgestellt.")
            return redirect("certificates:detail", certificate_id=certificate.certificate_id)
    return render(
        request,
        "certificates/manual.html",
        {
            "form": form,
            "error": error,
            "school": school,
            "signing_key": services.active_key(school.schulnummer),
        },
        status=422 if error else 200,
    )


def _visible(request, certificate_id: str):
    return get_object_or_404(services.certificates_for(request.user), certificate_id=certificate_id)


@require_GET
def detail(request, certificate_id: str):
    certificate = _visible(request, certificate_id)
    services.record_read(request.user, certificate, request=request)
    return render(
        request, "certificates/detail.html", {"certificate": certificate, "revoke_form": RevokeForm()}
    )


@require_GET
def download(request, certificate_id: str):
    from missimo.certificates.pdf import render_pdf

    certificate = _visible(request, certificate_id)
    services.record_download(request.user, certificate, request=request)
    response = HttpResponse(render_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="schulbescheinigung-{certificate.certificate_id}.pdf"'
    )
    return response


@require_POST
def revoke(request, certificate_id: str):
    certificate = _visible(request, certificate_id)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return render(
            request, "certificates/detail.html", {"certificate": certificate, "revoke_form": form}, status=422
        )
    try:
        services.revoke(request.user, certificate, form.cleaned_data["reason"], request=request)
    except services.CertificateRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "Die Schulbescheinigung wurde widerrufen.")
    return redirect("certificates:detail", certificate_id=certificate.certificate_id)


@require_http_methods(["GET", "POST"])
def verify(request):
    if not policy.can(request.user, Capability.VERIFY_CERTIFICATES):
        raise Http404
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload is not None:
                result = services.verify_online(request.user, pdf=upload.read(), request=request)
            else:
                result = services.verify_online(request.user, text=form.cleaned_data["text"], request=request)
        except ScanError as error:
            form.add_error("file", str(error))
    return render(
        request,
        "certificates/verify.html",
        {"form": form, "result": result},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def keys(request):
    if not policy.can(request.user, Capability.MANAGE_SIGNING_KEYS):
        raise Http404
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        action = services.rotate_key if request.POST.get("action") == "rotate" else services.create_key
        try:
            key = action(form.cleaned_data["schulnummer"], user=request.user, request=request)
        except services.CertificateRefused as refused:
            form.add_error("schulnummer", refused.message)
        else:
            messages.success(request, f"Der Schlüssel {key.kid} für {key.school_name} ist angelegt.")
            return redirect("certificates:keys")
    return render(request, "certificates/keys.html", {"form": form, "signing_keys": SigningKey.objects.all()})


@login_not_required
@require_GET
def key_list_json(request):
    response = JsonResponse(
        services.published_key_list(), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_http_methods(["GET", "POST"])
def school_register(request):
    """The register of the city's schools: Schulnummer, name, school form, contact, delivery yes/no
    and last delivery; a form adds a school or changes one (found by its Schulnummer)."""
    if not policy.can(request.user, Capability.KEEP_SCHOOL_REGISTER):
        raise Http404
    form = SchoolForm()
    if request.method == "POST":
        existing = School.objects.filter(schulnummer=(request.POST.get("schulnummer") or "").strip()).first()
        form = SchoolForm(request.POST, instance=existing)
        if form.is_valid():
            school = form.save()
            record(
                request.user,
                AuditAction.CHANGE if existing else AuditAction.CREATE,
                object_type="school",
                object_id=school.schulnummer,
                details={"schulform": school.schulform},
                request=request,
            )
            messages.success(request, f"Die Schule {school} ist im Schulregister gespeichert.")
            return redirect("certificates:schools")
    register = schools.register()
    return render(
        request,
        "certificates/schools.html",
        {
            "form": form,
            "schools": register,
            "delivering": sum(1 for school in register if school.in_current_delivery),
        },
    )
