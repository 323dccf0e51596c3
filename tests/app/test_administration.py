"""The administration of accounts in the application: the role Administration lists accounts, creates
one with agency and role, lifts a lock-out, resets the second factor and deactivates; every step is
audited; other roles do not reach these pages."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from missimo.accounts import twofactor
from missimo.accounts.models import AgencyKind, RecoveryCode
from missimo.accounts.policy import Role
from missimo.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def alex(make_user):
    user = make_user("alex", Role.ADMINISTRATION, "IT-Dienstleister", AgencyKind.IT)
    user.is_staff = True  # as the demo sets up its administrator (Django's administration needs it)
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def admin_client(client, alex):
    client.force_login(alex)
    return client


def _events(purpose_start: str):
    return AuditEvent.objects.filter(object_type="user", purpose__startswith=purpose_start)


def test_the_administration_lists_accounts_sorted_and_filtered_by_role(admin_client, kim, fabian):
    page = admin_client.get("/verwaltung/benutzer/", {"sortierung": "-benutzername"})
    assert page.status_code == 200
    names = [user.username for user, _roles, _locked in page.context["rows"]]
    assert names == sorted(names, reverse=True) and {"kim", "fabian", "alex"} <= set(names)
    assert 'aria-sort="descending"' in page.text
    only = admin_client.get("/verwaltung/benutzer/", {"rolle": "familienkasse"}).context["rows"]
    assert [user.username for user, _roles, _locked in only] == ["fabian"]
    assert "Familienkasse" in only[0][1]


def test_other_roles_do_not_reach_the_administration_of_accounts(client, kim, alex):
    client.force_login(kim)
    assert client.get("/verwaltung/benutzer/").status_code == 404
    assert client.post(f"/verwaltung/benutzer/{alex.pk}/aktiv/", {"aktiv": "nein"}).status_code == 404
    alex.refresh_from_db()
    assert alex.is_active


def test_an_account_is_created_with_agency_role_and_a_one_time_password_and_audited(admin_client, kim):
    form = admin_client.get("/verwaltung/benutzer/neu/")
    assert '<label class="kern-label" for="id_role">Rolle' in form.text
    response = admin_client.post(
        "/verwaltung/benutzer/neu/",
        {
            "username": "j.jung",
            "first_name": "Jana",
            "last_name": "Jung",
            "agency": kim.agency.pk,
            "role": "jobcenter",
        },
    )
    assert response.status_code == 200
    password = response.context["initial_password"]
    assert password in response.text
    created = get_user_model().objects.get(username="j.jung")
    assert created.agency == kim.agency and created.roles == frozenset({Role.JOBCENTER})
    assert created.check_password(password) and password not in created.password
    event = _events("Benutzerkonto angelegt").get()
    assert (
        event.action == AuditAction.CREATE and event.object_id == "j.jung" and event.actor_username == "alex"
    )
    assert password not in str(event.details)


def test_a_new_account_without_role_or_with_a_taken_name_is_refused_with_a_summary(admin_client, kim):
    response = admin_client.post("/verwaltung/benutzer/neu/", {"username": "KIM", "agency": kim.agency.pk})
    assert response.status_code == 200
    assert 'id="fehlerliste"' in response.text and 'href="#id_role"' in response.text
    assert "Diesen Benutzernamen gibt es schon" in response.text
    assert "Bitte wählen Sie eine Rolle." in response.text
    assert not _events("Benutzerkonto angelegt").exists()


def test_a_locked_out_account_is_unlocked_and_that_is_audited(admin_client, kim, settings):
    AccessAttempt.objects.create(
        username="kim",
        ip_address="10.0.0.1",
        user_agent="x",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    detail = admin_client.get(f"/verwaltung/benutzer/{kim.pk}/")
    assert "das Konto ist gesperrt" in detail.text
    assert admin_client.get(f"/verwaltung/benutzer/{kim.pk}/entsperren/").status_code == 405
    admin_client.post(f"/verwaltung/benutzer/{kim.pk}/entsperren/")
    assert not AccessAttempt.objects.filter(username="kim").exists()
    assert _events("Kontosperre").get().details == {"removed_failure_records": 1}


def test_the_second_factor_is_reset_only_when_confirmed_and_that_is_audited(admin_client, kim):
    TOTPDevice.objects.create(user=kim, name="Authenticator-App", confirmed=True)
    twofactor.new_recovery_codes(kim)
    admin_client.post(f"/verwaltung/benutzer/{kim.pk}/zweiter-faktor/")
    assert TOTPDevice.objects.filter(user=kim).exists()
    admin_client.post(f"/verwaltung/benutzer/{kim.pk}/zweiter-faktor/", {"bestaetigt": "ja"})
    assert (
        not TOTPDevice.objects.filter(user=kim).exists()
        and not RecoveryCode.objects.filter(user=kim).exists()
    )
    event = _events("Zweiter Faktor").get()
    assert event.details["devices"] == 1 and event.details["recovery_codes"] == twofactor.RECOVERY_CODE_COUNT


def test_an_account_is_deactivated_and_reactivated_but_not_ones_own(admin_client, kim, alex):
    admin_client.post(f"/verwaltung/benutzer/{kim.pk}/aktiv/", {"aktiv": "nein"})
    kim.refresh_from_db()
    assert not kim.is_active
    admin_client.post(f"/verwaltung/benutzer/{kim.pk}/aktiv/", {"aktiv": "ja"})
    kim.refresh_from_db()
    assert kim.is_active
    assert [e.purpose for e in _events("Benutzerkonto").order_by("sequence")] == [
        "Benutzerkonto deaktiviert",
        "Benutzerkonto reaktiviert",
    ]
    own = admin_client.post(f"/verwaltung/benutzer/{alex.pk}/aktiv/", {"aktiv": "nein"}, follow=True)
    assert "Sie können Ihr eigenes Konto nicht deaktivieren." in own.text
    alex.refresh_from_db()
    assert alex.is_active


def test_the_django_administration_opens_for_the_administration_role_without_granted_permissions(
    admin_client,
):
    index = admin_client.get("/verwaltung/")
    assert index.status_code == 200 and "/verwaltung/accounts/user/" in index.text
    assert admin_client.get("/verwaltung/accounts/user/").status_code == 200


def _change_form(user, groups) -> dict:
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "agency": user.agency_id,
        "groups": [g.pk for g in groups],
    }


def test_an_administrator_cannot_give_their_own_account_a_role_that_reads_personal_data(
    admin_client, alex, kim
):
    from django.contrib.auth.models import Group

    coordination = Group.objects.get(name=Role.KOORDINIERUNG)
    form = admin_client.get(f"/verwaltung/accounts/user/{alex.pk}/change/")
    assert form.status_code == 200 and 'name="groups"' not in form.text
    admin_client.post(f"/verwaltung/accounts/user/{alex.pk}/change/", _change_form(alex, [coordination]))
    alex.refresh_from_db()
    assert list(alex.groups.values_list("name", flat=True)) == [Role.ADMINISTRATION]


def test_a_role_changed_in_the_django_administration_is_audited_with_the_roles_before_and_after(
    admin_client, alex, kim
):
    from django.contrib.auth.models import Group

    before = sorted(kim.groups.values_list("name", flat=True))
    jobcenter = Group.objects.get(name=Role.JOBCENTER)
    response = admin_client.post(
        f"/verwaltung/accounts/user/{kim.pk}/change/", _change_form(kim, [jobcenter])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    kim.refresh_from_db()
    assert list(kim.groups.values_list("name", flat=True)) == [Role.JOBCENTER]
    event = _events("Rollen eines Kontos").get()
    assert event.actor_id == alex.pk and event.object_id == str(kim.pk)
    assert event.details == {"before": before, "after": [Role.JOBCENTER.value]}
