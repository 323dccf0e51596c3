"""Shared fixtures. Test users have stories (like healthchecks' alice/bob/charlie):

- kim works in the coordination office (Ordnungsamt) and runs the campaigns;
- fabian works at the Familienkasse, another agency with its own need-to-know;
- dana is the data-protection officer: audit and fairness data only;
- alex administers accounts and reads no personal data.
"""

from __future__ import annotations

import pytest

PASSWORD = "ein-sehr-langes-Testpasswort-2026"


@pytest.fixture
def make_user(db):
    from missimo.accounts.models import Agency, AgencyKind
    from missimo.accounts.services import create_user

    def make(username, role, agency_name, kind=AgencyKind.ORDNUNGSAMT, **extra):
        agency, _ = Agency.objects.get_or_create(name=agency_name, defaults={"kind": kind})
        return create_user(username, PASSWORD, agency=agency, roles=[role], **extra)

    return make


@pytest.fixture
def kim(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    return make_user(
        "kim",
        Role.KOORDINIERUNG,
        "Ordnungsamt",
        AgencyKind.ORDNUNGSAMT,
        first_name="Kim",
        last_name="Koordinatorin",
    )


@pytest.fixture
def fabian(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    return make_user("fabian", Role.FAMILIENKASSE, "Familienkasse", AgencyKind.FAMILIENKASSE)


@pytest.fixture
def dana(make_user):
    from missimo.accounts.models import AgencyKind
    from missimo.accounts.policy import Role

    return make_user("dana", Role.DATENSCHUTZ, "Datenschutz", AgencyKind.DATENSCHUTZ)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests serve static files from the source tree; production uses the hashed manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
    )


@pytest.fixture(autouse=True)
def _audit_log_append_only_between_flushes(request):
    """Transactional tests end with Django flushing every table; the audit table's
    append-only triggers would refuse that. Install them for the test, lift them for the flush."""
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("transactional_db")
    from django.db import connections

    from missimo.audit.db import install_append_only_triggers, remove_append_only_triggers

    install_append_only_triggers(connections["audit"])
    yield
    remove_append_only_triggers(connections["audit"])


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (e.g. the register's cached PLZ choices)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    """Background tasks run in-process in tests (the worker is a separate process in production)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def small_city(tmp_path_factory):
    """A small synthetic city's six exports (generated once per test session)."""
    from missimo.synth import generate

    return _small_city(tmp_path_factory, generate)


_CITY_CACHE: dict = {}


def _small_city(tmp_path_factory, generate):
    if "dir" not in _CITY_CACHE:
        out = tmp_path_factory.getbasetemp() / "small-city"
        generate(residents=2000, seed=11, stichtag="2026-09-15", out_dir=out)
        _CITY_CACHE["dir"] = out
    return _CITY_CACHE["dir"]


@pytest.fixture
def tiny_city(tmp_path_factory):
    """The smallest synthetic city (1,000 residents), for tests that run the whole Abgleich."""
    if "tiny" not in _CITY_CACHE:
        from missimo.synth import generate

        out = tmp_path_factory.getbasetemp() / "tiny-city"
        generate(residents=1000, seed=5, stichtag="2026-09-15", out_dir=out)
        _CITY_CACHE["tiny"] = out
    return _CITY_CACHE["tiny"]


@pytest.fixture
def imported_city(tiny_city, kim, django_capture_on_commit_callbacks):
    """The tiny city's six exports imported as the coordination office would (each delivery commits,
    so what listens to a new snapshot, e.g. the register, has followed it)."""
    from missimo.imports import services

    for source in ("objekte", "melderegister", "kindergeld", "schule", "jobcenter", "seu"):
        with open(tiny_city / f"{source}.csv", "rb") as stream:
            delivery = services.store_delivery(source, stream, f"{source}.csv", user=kim)
        with django_capture_on_commit_callbacks(execute=True):
            services.process_delivery(delivery.pk)
    return tiny_city


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, tmp_path):
    """Each test exports the audit chain's checkpoints to its own file (a test database starts empty;
    a checkpoint of an earlier test's entry would read as deleted entries)."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit_checkpoints.jsonl"
