"""Runs on a schedule (MISSIMO_RUN_SCHEDULE): monthly on a given day, or as soon as every source has
a new delivery; the scheduler hands a due run to the worker, never two at once, and the Abgleich page
says when the next run comes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from missimo import config
from missimo.imports.models import SourceSnapshot
from missimo.runs.models import Run, RunStatus
from missimo.runs.schedule import Schedule, next_run, tick

pytestmark = pytest.mark.django_db(databases="__all__")

MONTHLY = Schedule("monatlich", 15)
DELIVERIES = Schedule("lieferungen")


def _at(year: int, month: int, day: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, 10, 0))


def _backdate(run: Run, when: dt.datetime) -> None:
    Run.objects.filter(pk=run.pk).update(created_at=when)


def test_the_schedule_setting_accepts_off_monthly_and_deliveries_and_refuses_anything_else():
    assert config.parse_run_schedule("aus") == ""
    assert config.parse_run_schedule(" Monatlich:05 ") == "monatlich:5"
    assert config.parse_run_schedule("lieferungen") == "lieferungen"
    for wrong in ("monatlich:31", "monatlich", "woechentlich", "monatlich:0"):
        with pytest.raises(ValueError):
            config.parse_run_schedule(wrong)
    with pytest.raises(config.ConfigError, match="MISSIMO_RUN_SCHEDULE"):
        config.get("MISSIMO_RUN_SCHEDULE", {"MISSIMO_RUN_SCHEDULE": "jeden Tag"})


def test_a_monthly_schedule_starts_one_run_on_its_day_and_none_before_or_again_that_month(imported_city):
    assert tick(_at(2027, 1, 14), MONTHLY) is None
    assert next_run(_at(2027, 1, 14), MONTHLY).on == dt.date(2027, 1, 15)

    run = tick(_at(2027, 1, 15), MONTHLY)
    assert run is not None and run.channel == "zeitplan" and run.stichtag == dt.date(2027, 1, 15)
    assert run.status == RunStatus.PENDING
    _backdate(run, _at(2027, 1, 15))
    assert tick(_at(2027, 1, 15), MONTHLY) is None  # never two at once

    Run.objects.filter(pk=run.pk).update(status=RunStatus.FINISHED)
    assert tick(_at(2027, 1, 20), MONTHLY) is None  # this month's run was started
    assert next_run(_at(2027, 1, 20), MONTHLY).on == dt.date(2027, 2, 15)
    assert tick(_at(2027, 2, 16), MONTHLY) is not None  # a day late (server down) still runs


def test_a_run_started_by_hand_after_the_day_counts_for_the_month(imported_city):
    by_hand = Run.objects.create(stichtag=dt.date(2027, 3, 16), status=RunStatus.FINISHED, channel="web")
    _backdate(by_hand, _at(2027, 3, 16))
    assert tick(_at(2027, 3, 17), MONTHLY) is None


def test_the_delivery_schedule_waits_until_every_source_has_a_delivery_newer_than_the_last_run(imported_city):
    assert next_run(schedule=DELIVERIES).due  # no run yet: the first one is due

    last = Run.objects.create(stichtag=dt.date(2027, 1, 1), status=RunStatus.FINISHED)
    waiting = next_run(schedule=DELIVERIES)
    assert not waiting.due and len(waiting.waiting_for) == 6
    assert "Melderegister" in waiting.text()

    later = last.created_at + dt.timedelta(hours=1)
    SourceSnapshot.objects.exclude(source="kindergeld").update(activated_at=later)
    waiting = next_run(schedule=DELIVERIES)
    assert not waiting.due and len(waiting.waiting_for) == 1
    assert tick(schedule=DELIVERIES) is None

    SourceSnapshot.objects.filter(source="kindergeld").update(activated_at=later)
    run = tick(schedule=DELIVERIES)
    assert run is not None and run.channel == "zeitplan"


def test_without_deliveries_a_due_run_is_not_started_and_nothing_breaks(kim):
    assert tick(_at(2027, 1, 15), MONTHLY) is None
    assert not Run.objects.exists()


def test_the_abgleich_page_says_when_the_next_run_comes(kim, client, monkeypatch):
    client.force_login(kim)
    assert "kein Zeitplan eingestellt" in client.get("/abgleich/").content.decode()
    monkeypatch.setenv("MISSIMO_RUN_SCHEDULE", "monatlich:15")
    page = client.get("/abgleich/").content.decode()
    assert "Zeitplan monatlich am 15." in page
