import os
import re
import subprocess
import sys

import pytest

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(databases="__all__")


def test_an_anonymous_visitor_is_sent_to_the_german_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/anmelden/")
    page = client.get(response["Location"])
    assert "Bitte melden Sie sich mit Ihrem Dienstkonto an." in page.text
    assert '<html lang="de">' in page.text


def test_a_wrong_password_gives_a_german_message(client, kim):
    response = client.post("/anmelden/", {"username": "kim", "password": "falsch"})
    assert response.status_code == 200
    assert "Benutzername oder Passwort ist nicht korrekt." in response.text


def test_after_login_the_start_page_shows_the_users_agency_and_role(client, kim):
    response = client.post("/anmelden/", {"username": "kim", "password": PASSWORD}, follow=True)
    assert "Guten Tag, Kim Koordinatorin" in response.text
    assert "Ordnungsamt" in response.text
    assert "Koordinierungsstelle (Ordnungsamt)" in response.text


def test_the_start_page_shows_the_last_login_as_a_german_date(client, kim):
    from django.utils import timezone

    kim.last_login = timezone.make_aware(timezone.datetime(2026, 3, 4, 9, 5))
    kim.save()
    client.force_login(kim)
    kim.refresh_from_db()
    local = timezone.localtime(kim.last_login)
    assert local.strftime("%d.%m.%Y") in client.get("/").text


def test_the_accessibility_statement_is_public(client):
    response = client.get("/barrierefreiheit/")
    assert response.status_code == 200
    assert "Erklärung zur Barrierefreiheit" in response.text


def test_the_application_is_german_only_without_a_language_switch(client):
    from django.conf import settings

    page = client.get("/anmelden/").text
    assert 'name="language"' not in page and "English" not in page
    assert client.post("/sprache/", {"language": "en", "next": "/anmelden/"}).status_code == 404
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # a cookie left from an earlier version
    response = client.get("/anmelden/")
    assert '<html lang="de">' in response.text and "Please sign in" not in response.text


def test_a_browser_set_to_english_still_gets_the_german_application(client, kim):
    response = client.get("/anmelden/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="de">' in response.text
    client.force_login(kim)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").text
    assert "Angemeldet als" in page and "Signed in as" not in page


def test_pages_carry_security_headers(client):
    response = client.get("/anmelden/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logout_needs_a_post_and_ends_the_session(client, kim):
    client.force_login(kim)
    assert client.get("/abmelden/").status_code == 405
    client.post("/abmelden/")
    assert client.get("/").status_code == 302


def test_the_deployment_check_is_clean_in_production_mode(tmp_path):
    env = {
        **os.environ,
        "MISSIMO_DATA_DIR": str(tmp_path),
        "MISSIMO_SECURE": "true",
        "MISSIMO_DEBUG": "false",
        "MISSIMO_SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-1234567890",
        "MISSIMO_ALLOWED_HOSTS": "missimo.stadt.example",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests of this session
    result = subprocess.run(
        [sys.executable, "-m", "missimo.cli", "manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_navigation_marks_only_the_most_specific_entry_as_current(client, kim):
    client.force_login(kim)
    page = client.get("/aktionen/pruefliste/").content.decode()
    current = re.findall(r'<a class="kern-link" href="([^"]+)" aria-current="page">', page)
    assert current == ["/aktionen/pruefliste/"]
