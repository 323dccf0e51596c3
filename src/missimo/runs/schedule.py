"""Runs on a schedule (MISSIMO_RUN_SCHEDULE): monthly on a given day, or as soon as every source
has a delivery newer than the last run. `missimo serve` starts the scheduler (`missimo schedule`)
beside the task worker; it checks every few minutes and hands a due run to the worker, exactly as
the "Abgleich starten" button does. A run started by hand in the meantime counts: the schedule
never starts a second run for the same month or the same deliveries.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from missimo import config, engine
from missimo.imports.models import SourceSnapshot
from missimo.runs.models import Run, RunStatus
from missimo.runs.services import RunRefused, start_run
from missimo.runs.tasks import run_abgleich_task

log = logging.getLogger(__name__)

CHANNEL = "zeitplan"
#: How often the scheduler looks whether a run is due (seconds).
CHECK_EVERY = 300


@dataclass(frozen=True)
class Schedule:
    kind: str  # "" (off), "monatlich" or "lieferungen"
    day: int = 0

    @classmethod
    def from_setting(cls, value: str | None = None) -> Schedule:
        value = config.get("MISSIMO_RUN_SCHEDULE") if value is None else value
        if value.startswith("monatlich:"):
            return cls("monatlich", int(value.split(":", 1)[1]))
        return cls(value)

    @property
    def active(self) -> bool:
        return bool(self.kind)

    def describe(self) -> str:
        if self.kind == "monatlich":
            return f"monatlich am {self.day}."
        if self.kind == "lieferungen":
            return "sobald jede Quelle neu geliefert hat"
        return "kein Zeitplan: ein Abgleich startet nur von Hand"


@dataclass(frozen=True)
class NextRun:
    """What the Abgleich page says about the next scheduled run."""

    schedule: Schedule
    on: dt.date | None = None  # monthly: the day of the next run
    waiting_for: tuple[str, ...] = ()  # deliveries: the sources without a newer delivery
    due: bool = False

    def text(self) -> str:
        if not self.schedule.active:
            return "Es ist kein Zeitplan eingestellt; ein Abgleich startet nur von Hand."
        if self.due:
            return (
                f"Zeitplan {self.schedule.describe()}: der nächste Abgleich ist fällig und startet in Kürze."
            )
        if self.on is not None:
            return f"Zeitplan {self.schedule.describe()}: nächster Abgleich am {de_date(self.on)}."
        names = ", ".join(self.waiting_for)
        return f"Zeitplan {self.schedule.describe()}: es fehlt noch eine neue Lieferung von {names}."


def de_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _last_run() -> Run | None:
    return Run.objects.order_by("-created_at", "-id").first()


def _month_day(day: dt.date, wanted: int) -> dt.date:
    return day.replace(day=wanted)


def next_run(now: dt.datetime | None = None, schedule: Schedule | None = None) -> NextRun:
    schedule = schedule or Schedule.from_setting()
    if not schedule.active:
        return NextRun(schedule)
    now = now or timezone.now()
    today = timezone.localdate(now)
    last = _last_run()
    if schedule.kind == "monatlich":
        this_month = _month_day(today, schedule.day)
        started_since = last is not None and timezone.localdate(last.created_at) >= this_month
        if today >= this_month and not started_since:
            return NextRun(schedule, on=today, due=True)
        if today < this_month:
            return NextRun(schedule, on=this_month)
        following = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=schedule.day)
        return NextRun(schedule, on=following)
    delivered = {snap.source: snap.activated_at for snap in SourceSnapshot.objects.all()}
    since = last.created_at if last is not None else None
    waiting = tuple(
        layout.label
        for name, layout in engine.SOURCES.items()
        if name not in delivered or (since is not None and delivered[name] <= since)
    )
    return NextRun(schedule, waiting_for=waiting, due=not waiting)


def tick(now: dt.datetime | None = None, schedule: Schedule | None = None) -> Run | None:
    """Start the run that is due (if any) and hand it to the task worker; None when nothing is due
    or a run is still going (never two at once)."""
    upcoming = next_run(now, schedule)
    if not upcoming.due:
        return None
    if Run.objects.filter(status__in=[RunStatus.PENDING, RunStatus.RUNNING]).exists():
        return None
    today = timezone.localdate(now or timezone.now())
    try:
        with transaction.atomic():
            run = start_run(today, channel=CHANNEL)
            transaction.on_commit(lambda: run_abgleich_task.enqueue(run.pk))
    except RunRefused as refused:
        log.warning("Geplanter Abgleich nicht gestartet: %s", refused.message)
        return None
    log.info("Geplanter Abgleich %s zum Stichtag %s gestartet", run.pk, de_date(today))
    return run


def run_forever(*, stop=lambda: False, sleep=time.sleep) -> None:
    """The scheduler's loop (`missimo schedule`): look every CHECK_EVERY seconds until `stop()`."""
    from django.db import connections

    schedule = Schedule.from_setting()
    log.info("Zeitplan der Abgleiche: %s", schedule.describe())
    while not stop():
        if schedule.active:
            try:
                tick(schedule=schedule)
            except Exception:  # the scheduler must outlive one failed look (logged, tried again)
                log.exception("Zeitplan der Abgleiche: Prüfung fehlgeschlagen")
            finally:
                connections.close_all()
        wait = float(CHECK_EVERY)
        while wait > 0 and not stop():
            step = min(wait, 1.0)  # short steps: a stop request (SIGTERM) is honoured at once
            sleep(step)
            wait -= step
