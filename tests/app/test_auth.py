"""Log-in: lockout after repeated failures, the second factor for personal-data roles, sessions."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from missimo.audit.models import AuditAction, AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def two_factor(settings):
    settings.MISSIMO_REQUIRE_2FA = True
    return settings


@pytest.fixture
def alex(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    return make_user("alex", Role.ADMINISTRATION, "IT der Stadt", AgencyKind.IT)


def code_of(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/anmelden/", {"username": username, "password": password})


# --- lockout -------------------------------------------------------------------------------


def test_an_account_is_locked_after_the_configured_number_of_failed_logins(client, kim, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        assert log_in(client, "kim", "falsch").status_code == 200
    locked = log_in(client, "kim", "falsch")
    assert locked.status_code == 429
    assert "vorübergehend gesperrt" in locked.text
    assert "nach 3 fehlgeschlagenen Anmeldeversuchen" in locked.text


def test_a_locked_account_cannot_log_in_even_with_the_right_password(client, kim, settings):
    settings.AXES_FAILURE_LIMIT = 2
    log_in(client, "kim", "falsch")
    log_in(client, "kim", "falsch")
    response = log_in(client, "kim")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_recorded_in_the_audit_log(client, kim, settings):
    settings.AXES_FAILURE_LIMIT = 2
    log_in(client, "kim", "falsch")
    log_in(client, "kim", "falsch")
    lockouts = AuditEvent.objects.filter(action=AuditAction.LOCKOUT)
    assert lockouts.count() == 1
    assert lockouts.get().details == {"username": "kim"}


def test_a_successful_login_resets_the_failure_count(client, kim, settings):
    settings.AXES_FAILURE_LIMIT = 3
    log_in(client, "kim", "falsch")
    log_in(client, "kim", "falsch")
    assert log_in(client, "kim").status_code == 302
    client.post("/abmelden/")
    log_in(client, "kim", "falsch")
    assert log_in(client, "kim").status_code == 302


def test_the_lock_of_one_user_does_not_lock_a_colleague_behind_the_same_proxy(client, kim, fabian, settings):
    settings.AXES_FAILURE_LIMIT = 2
    log_in(client, "kim", "falsch")
    log_in(client, "kim", "falsch")
    assert log_in(client, "fabian").status_code == 302


# --- second factor -------------------------------------------------------------------------


def test_a_personal_data_role_without_a_device_is_sent_to_enrolment_before_any_page(client, kim, two_factor):
    assert log_in(client, "kim").status_code == 302
    for path in ("/", "/hinweise/", "/lieferungen/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/anmelden/zwei-faktor/einrichten/")


def test_the_enrolment_page_shows_a_qr_code_and_the_key_to_type(client, kim, two_factor):
    client.force_login(kim)
    page = client.get("/anmelden/zwei-faktor/einrichten/")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "QR-Code für die Authenticator-App" in page.text
    assert "Schlüssel zum Eintippen" in page.text
    assert "<script" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]


def test_enrolment_is_finished_by_one_valid_code_and_opens_the_pages(client, kim, two_factor):
    client.force_login(kim)
    client.get("/anmelden/zwei-faktor/einrichten/")
    device = TOTPDevice.objects.get(user=kim)
    assert not device.confirmed
    done = client.post("/anmelden/zwei-faktor/einrichten/", {"token": code_of(device), "next": "/hinweise/"})
    assert done.status_code == 302
    assert done["Location"] == "/anmelden/zwei-faktor/wiederherstellung/?next=%2Fhinweise%2F"  # codes first
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="totp_device").exists()


def test_enrolment_refuses_a_wrong_code(client, kim, two_factor):
    client.force_login(kim)
    client.get("/anmelden/zwei-faktor/einrichten/")
    device = TOTPDevice.objects.get(user=kim)
    wrong = "000000" if code_of(device) != "000000" else "111111"
    response = client.post("/anmelden/zwei-faktor/einrichten/", {"token": wrong})
    assert "Der Code stimmt nicht" in response.text
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/")["Location"].startswith("/anmelden/zwei-faktor/einrichten/")


def test_after_the_password_a_user_with_a_device_must_enter_the_code(client, kim, two_factor):
    device = TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    log_in(client, "kim")
    response = client.get("/")
    assert response["Location"].startswith("/anmelden/zwei-faktor/code/")
    assert client.post("/anmelden/zwei-faktor/code/", {"token": "12345x"}).status_code == 200
    assert client.get("/").status_code == 302
    verified = client.post("/anmelden/zwei-faktor/code/", {"token": code_of(device), "next": "/"})
    assert verified["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused_and_audited(client, kim, two_factor):
    device = TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    log_in(client, "kim")
    wrong = "000000" if code_of(device) != "000000" else "111111"
    response = client.post("/anmelden/zwei-faktor/code/", {"token": wrong})
    assert "Der Code stimmt nicht" in response.text
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED, object_type="zweiter_faktor").exists()


def test_a_user_with_a_device_cannot_skip_the_code_by_enrolling_again(client, kim, two_factor):
    TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    log_in(client, "kim")
    response = client.get("/anmelden/zwei-faktor/einrichten/")
    assert response["Location"].startswith("/anmelden/zwei-faktor/code/")
    assert TOTPDevice.objects.filter(user=kim).count() == 1


def test_administration_needs_no_second_factor(client, alex, two_factor):
    assert log_in(client, "alex").status_code == 302
    assert client.get("/").status_code == 200


def test_the_data_protection_officer_needs_no_second_factor(client, dana, two_factor):
    assert log_in(client, "dana").status_code == 302
    assert client.get("/").status_code == 200


def test_the_demo_switch_turns_the_second_factor_off(client, kim, settings):
    settings.MISSIMO_REQUIRE_2FA = False
    log_in(client, "kim")
    assert client.get("/").status_code == 200


def test_the_second_factor_is_required_by_default():
    from missimo import config

    assert config.get("MISSIMO_REQUIRE_2FA", {}) is True


def test_the_code_step_is_only_for_logged_in_users(client, two_factor):
    response = client.get("/anmelden/zwei-faktor/code/")
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/?next=")


def test_the_next_page_after_the_code_step_stays_on_this_site(client, kim, two_factor):
    device = TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    log_in(client, "kim")
    response = client.post(
        "/anmelden/zwei-faktor/code/", {"token": code_of(device), "next": "https://boese.example/"}
    )
    assert response["Location"] == "/"


# --- sessions and passwords ----------------------------------------------------------------


def test_the_session_ends_after_the_configured_inactivity(settings):
    from missimo import config

    assert config.get("MISSIMO_SESSION_TIMEOUT_MINUTES") * 60 == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_passwords_are_hashed_with_argon2(kim):
    assert kim.password.startswith("argon2")


def test_the_local_demo_switches_the_second_factor_off(monkeypatch):
    import os

    from missimo import cli

    environ = {key: value for key, value in os.environ.items() if key != "MISSIMO_REQUIRE_2FA"}
    monkeypatch.setattr(os, "environ", environ)

    class Stop(Exception):
        pass

    def stop():
        raise Stop

    monkeypatch.setattr(cli, "ensure_database", stop)
    with pytest.raises(Stop):
        cli._cmd_demo(None)
    assert environ["MISSIMO_REQUIRE_2FA"] == "false"
