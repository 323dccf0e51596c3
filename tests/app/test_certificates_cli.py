"""`missimo certificate verify FILE --keys KEYLIST.json` checks a Schulbescheinigung offline: no
database, only the file and the downloaded key list; exit 0 when valid, 1 when not, German reasons."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from missimo.certificates import signing
from missimo.cli import main

TODAY = date.today()
KEY = Ed25519PrivateKey.generate()


def _payload(**changes):
    payload = signing.make_payload(
        certificate_id="ABCD-EFGH-IJKL-MNOP",
        key_id="SB-123456-1",
        schulnummer="123456",
        nachname="Yılmaz",
        vorname="Elif",
        geburtsdatum=date(2015, 3, 14),
        schuljahr="2026/27",
        issued_on=TODAY,
        valid_until=date(TODAY.year + 1, 7, 31),
    )
    payload.update(changes)
    return payload


def _keylist(revoked=()):
    return {
        "format": signing.KEYLIST_FORMAT,
        "version": 1,
        "keys": [
            {
                "kid": "SB-123456-1",
                "schulnummer": "123456",
                "school_name": "Gesamtschule Nord",
                "algorithm": "Ed25519",
                "public_key": signing.public_key_text(KEY),
                "valid_from": "2020-08-01",
                "valid_until": None,
            }
        ],
        "revoked": [{"id": r, "from": "2020-08-01"} for r in revoked],
    }


@pytest.fixture
def files(tmp_path):
    def write(token: str, keylist: dict):
        qr = tmp_path / "qr.txt"
        qr.write_text(token + "\n", encoding="utf-8")
        keys = tmp_path / "schluessel.json"
        keys.write_text(json.dumps(keylist), encoding="utf-8")
        return str(qr), str(keys)

    return write


def test_a_valid_certificate_is_confirmed_offline_with_exit_0(files, capsys):
    qr, keys = files(signing.sign(_payload(), KEY), _keylist())
    assert main(["certificate", "verify", qr, "--keys", keys]) == 0
    out = capsys.readouterr().out
    assert "GÜLTIG: Die Schulbescheinigung ist gültig." in out
    assert (
        "Nachname: Yılmaz" in out and "Geburtsdatum: 14.03.2015" in out and "Schule: Gesamtschule Nord" in out
    )


def test_a_changed_certificate_fails_offline_with_exit_1(files, capsys):
    signature, _ = signing.split_token(signing.sign(_payload(), KEY))
    forged = signing.PREFIX + signing.b64url(signature + signing.canonical(_payload(nn="Müller")))
    qr, keys = files(forged, _keylist())
    assert main(["certificate", "verify", qr, "--keys", keys]) == 1
    assert "UNGÜLTIG: Die Signatur ist ungültig" in capsys.readouterr().out


def test_a_revoked_certificate_fails_offline(files, capsys):
    qr, keys = files(signing.sign(_payload(), KEY), _keylist(revoked=["ABCD-EFGH-IJKL-MNOP"]))
    assert main(["certificate", "verify", qr, "--keys", keys]) == 1
    assert "widerrufen" in capsys.readouterr().out


def test_an_expired_certificate_fails_offline(files, capsys):
    qr, keys = files(signing.sign(_payload(bis="2021-07-31", ad="2020-09-01"), KEY), _keylist())
    assert main(["certificate", "verify", qr, "--keys", keys]) == 1
    assert "abgelaufen" in capsys.readouterr().out


def test_a_certificate_of_another_key_fails_offline(files, capsys):
    qr, keys = files(signing.sign(_payload(kid="SB-999999-1"), KEY), _keylist())
    assert main(["certificate", "verify", qr, "--keys", keys]) == 1
    assert "unbekannten Schlüssel" in capsys.readouterr().out


def test_the_check_date_can_be_given(files, capsys):
    qr, keys = files(signing.sign(_payload(), KEY), _keylist())
    later = date(TODAY.year + 2, 1, 1).isoformat()
    assert main(["certificate", "verify", qr, "--keys", keys, "--stichtag", later]) == 1
    assert "abgelaufen" in capsys.readouterr().out


def test_a_file_that_is_no_key_list_is_an_error_in_german(files, tmp_path, capsys):
    qr, _ = files(signing.sign(_payload(), KEY), _keylist())
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}", encoding="utf-8")
    assert main(["certificate", "verify", qr, "--keys", str(bogus)]) == 2
    assert "keine Schlüsselliste" in capsys.readouterr().err


@pytest.mark.django_db(databases="__all__")
def test_the_pdf_of_the_web_application_is_verified_offline_without_the_database(
    tmp_path, capsys, make_user, django_db_blocker
):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.policy import Role
    from missimo.certificates import services
    from missimo.certificates.pdf import render_pdf
    from tests.app.test_certificates import PUPILS, SCHOOL, deliver_schools

    Agency.objects.create(name="Gesamtschule Nord", kind=AgencyKind.SCHULE, schulnummer=SCHOOL)
    school = make_user("sabine", Role.SCHULE, "Gesamtschule Nord", AgencyKind.SCHULE)
    deliver_schools(PUPILS)
    services.create_key(SCHOOL)
    certificate = services.issue_from_snapshot(school, "S-1")
    pdf = tmp_path / "bescheinigung.pdf"
    pdf.write_bytes(render_pdf(certificate))
    keys = tmp_path / "schluessel.json"
    keys.write_text(json.dumps(services.published_key_list()), encoding="utf-8")
    with django_db_blocker.block():
        assert main(["certificate", "verify", str(pdf), "--keys", str(keys)]) == 0
    assert "GÜLTIG" in capsys.readouterr().out
    from tests.app.test_certificates import _paper

    scan = tmp_path / "scan.jpg"  # the paper, scanned: only the picture of the QR code is left
    _paper(certificate).save(scan, quality=80)
    with django_db_blocker.block():
        assert main(["certificate", "verify", str(scan), "--keys", str(keys)]) == 0
    assert "GÜLTIG" in capsys.readouterr().out
    services.revoke(school, certificate, "Schulwechsel")
    keys.write_text(json.dumps(services.published_key_list()), encoding="utf-8")
    with django_db_blocker.block():
        assert main(["certificate", "verify", str(pdf), "--keys", str(keys)]) == 1
    assert "UNGÜLTIG: Die Bescheinigung wurde widerrufen" in capsys.readouterr().out
