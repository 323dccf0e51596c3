"""Recovery codes of the second factor: ten at enrolment, shown once, stored hashed, each usable
once at the code step, regenerated (audited) from the own account's page."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from missimo.accounts import twofactor
from missimo.accounts.models import RecoveryCode
from missimo.audit.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases="__all__")

CODE = re.compile(r"<code>([A-Z2-9]{5}-[A-Z2-9]{5})</code>")


@pytest.fixture
def two_factor(settings):
    settings.MISSIMO_REQUIRE_2FA = True
    return settings


def _code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _enrol(client, user) -> list[str]:
    client.force_login(user)
    client.get("/anmelden/zwei-faktor/einrichten/")
    device = TOTPDevice.objects.get(user=user)
    done = client.post("/anmelden/zwei-faktor/einrichten/", {"token": _code_of(device), "next": "/"})
    page = client.get(done["Location"])
    return CODE.findall(page.text)


def _password_only(client, user):
    client.logout()
    client.post("/anmelden/", {"username": user.username, "password": PASSWORD})


def test_enrolment_shows_ten_recovery_codes_once(client, kim, two_factor):
    codes = _enrol(client, kim)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get("/anmelden/zwei-faktor/wiederherstellung/")
    assert CODE.findall(again.text) == []
    assert "noch 10 unbenutzte" in again.text
    assert "no-store" in again["Cache-Control"]  # the codes must not stay in a browser cache


def test_recovery_codes_are_stored_only_as_hashes(client, kim, two_factor):
    codes = _enrol(client, kim)
    stored = list(RecoveryCode.objects.filter(user=kim).values_list("code_hash", "salt"))
    assert len(stored) == 10
    plain = {twofactor.normalise_recovery_code(code) for code in codes}
    for code_hash, salt in stored:
        assert code_hash not in plain and len(code_hash) == 64
        assert not any(code in code_hash or code in salt for code in plain)


def test_a_recovery_code_passes_the_code_step_once(client, kim, two_factor):
    codes = _enrol(client, kim)
    _password_only(client, kim)
    assert client.get("/")["Location"].startswith("/anmelden/zwei-faktor/code/")
    passed = client.post("/anmelden/zwei-faktor/code/", {"recovery_code": codes[0].lower(), "next": "/"})
    assert passed.status_code == 302 and passed["Location"] == "/"
    assert client.get("/").status_code == 200
    assert twofactor.remaining_recovery_codes(kim) == 9
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN, object_type="zweiter_faktor").latest(
        "sequence"
    )
    assert event.details == {"recovery_code": True, "remaining": 9}
    _password_only(client, kim)
    refused = client.post("/anmelden/zwei-faktor/code/", {"recovery_code": codes[0]})
    assert refused.status_code == 200
    assert "schon verwendet" in refused.text
    assert client.get("/").status_code == 302


def test_a_made_up_recovery_code_is_refused_audited_and_throttled(client, kim, two_factor):
    _enrol(client, kim)
    _password_only(client, kim)
    response = client.post("/anmelden/zwei-faktor/code/", {"recovery_code": "AAAAA-BBBBB"})
    assert "falsch oder wurde schon verwendet" in response.text
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, object_type="zweiter_faktor", details__recovery_code=True
    ).exists()
    device = TOTPDevice.objects.get(user=kim)
    assert device.throttling_failure_count == 1
    assert twofactor.remaining_recovery_codes(kim) == 10


def test_regenerating_replaces_every_code_and_is_audited_without_the_codes(client, kim, two_factor):
    old = _enrol(client, kim)
    response = client.post("/anmelden/zwei-faktor/wiederherstellung/")
    assert response.status_code == 302
    new = CODE.findall(client.get(response["Location"]).text)
    assert len(new) == 10 and not set(new) & set(old)
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="recovery_codes").get()
    assert not any(code in str(event.details) for code in new)
    assert not twofactor.use_recovery_code(kim, old[1])
    assert twofactor.use_recovery_code(kim, new[1])


def test_without_a_device_there_are_no_codes_to_regenerate(client, dana, two_factor):
    client.force_login(dana)
    page = client.get("/anmelden/zwei-faktor/wiederherstellung/")
    assert page.status_code == 200
    assert "keinen zweiten Faktor eingerichtet" in page.text
    client.post("/anmelden/zwei-faktor/wiederherstellung/")
    assert not RecoveryCode.objects.filter(user=dana).exists()


def test_the_recovery_page_needs_the_second_factor_first(client, kim, two_factor):
    _enrol(client, kim)
    _password_only(client, kim)
    response = client.post("/anmelden/zwei-faktor/wiederherstellung/")
    assert response["Location"].startswith("/anmelden/zwei-faktor/code/")
    assert twofactor.remaining_recovery_codes(kim) == 10


def test_a_recovery_code_of_another_user_does_not_work(kim, fabian):
    codes = twofactor.new_recovery_codes(kim)
    twofactor.new_recovery_codes(fabian)
    assert not twofactor.use_recovery_code(fabian, codes[0])
    assert twofactor.use_recovery_code(kim, codes[0])


def test_the_start_page_links_to_the_recovery_codes_once_a_second_factor_is_set_up(client, kim, two_factor):
    client.force_login(kim)
    link = 'href="/anmelden/zwei-faktor/wiederherstellung/"'
    _enrol(client, kim)
    assert link in client.get("/").text


def test_the_start_page_has_no_recovery_link_without_a_second_factor(client, dana, settings):
    settings.MISSIMO_REQUIRE_2FA = False
    client.force_login(dana)
    assert "wiederherstellung" not in client.get("/").text
