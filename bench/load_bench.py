"""Property list and property page under load: 20 concurrent users on PostgreSQL.

    .venv/bin/python bench/load_bench.py [--residents 200000] [--users 20] [--seconds 20]

Target (issue 7): p95 < 300 ms for the Immobilienkataster list and a property page with 20,000
properties and 20 concurrent users, on PostgreSQL, measured with a load tool (`hey`, Debian's
package, installed by scripts/system-deps) against `missimo serve` on the loopback address.

Two measurements per page:

* **20 users**: 20 independent clients (one `hey -c 1 -q 1` each, started out of step), each
  sending a request every second, i.e. 20 users who each click once a second without pause,
  far busier than case workers reading a page; this is the target's scenario.
* **capacity**: 20 connections sending without any pause (`hey -c 20`, closed loop), which
  measures the throughput of the machine; the latency there is queueing (20 requests in flight
  on 2 cores) and is reported, not held to the target.

The city is synthetic (about one building per ten residents, so 200,000 residents give about
20,000 properties); it is imported and run once like a city would, then the server is started
with its production defaults (gunicorn, 2 workers x 4 threads) and every request is a logged-in
coordination-office user whose reads are audited as in production.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import write_section  # noqa: E402
from bench.pipeline_bench import SOURCES, STICHTAG, _city, _de  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/missimo_loadbench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{name}"')


def _prepare(residents: int, seed: int, reuse: bool) -> tuple[str, list[tuple[str, str]], int]:
    """Import and run the city (unless reused); return a session cookie and the URLs to load."""
    from missimo.cli import ensure_database
    from missimo.runs import services as runs

    ensure_database()
    if not reuse:
        _import_and_run(residents, seed)
    run = runs.latest_run()
    return _session_and_urls(run)


def _import_and_run(residents: int, seed: int) -> None:
    from missimo.imports import services as imports
    from missimo.runs import services as runs

    city, _ = _city(residents, seed)
    started = time.perf_counter()
    for source in SOURCES:
        with open(city / f"{source}.csv", "rb") as stream:
            delivery = imports.store_delivery(source, stream, f"{source}.csv", channel="bench")
        delivery = imports.process_delivery(delivery.pk)
        assert delivery.status == "taken", delivery.message
    run = runs.execute_run(runs.start_run(dt.date.fromisoformat(STICHTAG), channel="bench").pk)
    assert run.status == "finished", run.message
    print(f"city of {_de(residents)} residents imported and run in {time.perf_counter() - started:.0f} s")


def _session_and_urls(run) -> tuple[str, list[tuple[str, str]], int]:
    from django.test import Client

    from missimo.accounts.models import Agency, AgencyKind, User
    from missimo.accounts.policy import Role
    from missimo.accounts.services import create_user
    from missimo.properties.models import Property

    agency, _ = Agency.objects.get_or_create(name="Ordnungsamt", defaults={"kind": AgencyKind.ORDNUNGSAMT})
    user = User.objects.filter(username="last-kim").first() or create_user(
        "last-kim", "ein-sehr-langes-Lastpasswort-2026", agency=agency, roles=[Role.KOORDINIERUNG]
    )
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"

    top = run.ranking.order_by("rank").first()
    busiest = Property.objects.get(objekt_id=top.objekt_id)
    quiet = Property.objects.exclude(objekt_id__in=run.ranking.values("objekt_id")).order_by("pk").first()
    properties = Property.objects.count()
    print(f"{_de(properties)} properties, {_de(run.hints.count())} hints")
    urls = [
        ("Objektliste, erste Seite", "/objekte/"),
        ("Objektliste, nach Rang sortiert", "/objekte/?sort=rang"),
        ("Objektliste, Suche nach Straße", f"/objekte/?q={busiest.strasse.split()[0]}"),
        ("Objektseite mit den meisten Hinweisen", f"/objekte/{busiest.pk}/"),
        ("Objektseite ohne Hinweis", f"/objekte/{quiet.pk}/"),
    ]
    return cookie, urls, properties


def _hey_output(url: str, cookie: str, users: int, seconds: int, rate: float = 0) -> str:
    pace = ["-q", f"{rate:g}"] if rate else []
    return subprocess.run(
        [
            "hey",
            "-z",
            f"{seconds}s",
            "-c",
            str(users),
            *pace,
            "-H",
            f"Cookie: {cookie}",
            "-disable-redirects",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _hey(url: str, cookie: str, users: int, seconds: int, rate: float = 0) -> dict:
    out = _hey_output(url, cookie, users, seconds, rate)
    figures = {
        "p50": float(re.search(r"50%+ in ([\d.]+) secs", out).group(1)),
        "p95": float(re.search(r"95%+ in ([\d.]+) secs", out).group(1)),
        "p99": float(re.search(r"99%+ in ([\d.]+) secs", out).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
    }
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    figures["statuses"] = {code: int(count) for code, count in statuses.items()}
    return figures


def _users(url: str, cookie: str, users: int, seconds: int, rate: float) -> dict:
    """`users` independent users, each one `hey -c 1 -q rate` process, started evenly spread over
    one interval between requests, so that they click out of step like people do (a single
    `hey -c 20 -q 1` starts all its tickers together and sends bursts of 20 at the same instant)."""
    interval = 1 / rate
    processes = []
    for _ in range(users):
        processes.append(
            subprocess.Popen(
                [
                    *("hey", "-z", f"{seconds}s", "-c", "1", "-q", f"{rate:g}", "-o", "csv"),
                    *("-H", f"Cookie: {cookie}"),
                    "-disable-redirects",
                    url,
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
        time.sleep(interval / users)
    times: list[float] = []
    statuses: dict[str, int] = {}
    for process in processes:
        out, _ = process.communicate()
        for row in out.splitlines()[1:]:
            fields = row.split(",")
            times.append(float(fields[0]))
            statuses[fields[6]] = statuses.get(fields[6], 0) + 1
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")

    return {
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "rps": len(times) / seconds,
        "statuses": statuses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--rate",
        type=float,
        default=1.0,
        help="requests per second of each user (0: no pause between requests)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database and data of the previous run (no import)"
    )
    args = parser.parse_args()
    if shutil.which("hey") is None:
        print("`hey` fehlt: `make install` (scripts/system-deps) installiert das Debian-Paket hey.")
        return 2

    subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], check=True)
    database_url = os.environ.get("MISSIMO_LOAD_DATABASE_URL", DEFAULT_DB)
    data_dir = ROOT / "var" / "bench" / "load"
    if not args.reuse:
        _recreate_database(database_url)
        shutil.rmtree(data_dir, ignore_errors=True)
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "MISSIMO_DATA_DIR": str(data_dir),
            "MISSIMO_SECURE": "false",
            "MISSIMO_REQUIRE_2FA": "false",
            "DJANGO_SETTINGS_MODULE": "missimo.settings",
        }
    )
    import django

    django.setup()
    cookie, urls, properties = _prepare(args.residents, args.seed, args.reuse)

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "missimo.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # migrations check, collectstatic, worker start
        while True:
            try:
                urllib.request.urlopen(base + "/barrierefreiheit/", timeout=5)  # noqa: S310 - loopback
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    print("Der Server ist nicht gestartet.")
                    return 1
                time.sleep(1)
        results = []
        for label, path in urls:
            _hey_output(base + path, cookie, 4, 3)  # warm up every worker
            paced = _users(base + path, cookie, args.users, args.seconds, args.rate)
            capacity = _hey(base + path, cookie, args.users, max(5, args.seconds // 2))
            results.append((label, path, paced, capacity))
            for kind, figures in (("users", paced), ("capacity", capacity)):
                ok = figures["statuses"].get("200", 0)
                print(
                    f"{label} [{kind}]: p50 {figures['p50'] * 1000:.0f} ms, p95 {figures['p95'] * 1000:.0f} ms, "
                    f"p99 {figures['p99'] * 1000:.0f} ms, {figures['rps']:.0f} req/s, "
                    f"{ok} x 200, other {sum(figures['statuses'].values()) - ok}"
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    load = os.getloadavg()[0]
    pace = f"`-q {args.rate:g}`" if args.rate else "`-q 0`, no pause"
    lines = [
        f"## Immobilienkataster under load ({_de(properties)} properties, {args.users} concurrent users, PostgreSQL)",
        "",
        f"{args.users} users, each a `hey -z {args.seconds}s -c 1` ({pace}: a request every "
        f"{1 / args.rate if args.rate else 0:g} s, the users out of step) per page against `missimo serve` (gunicorn 2 workers x 4 threads) "
        "on 127.0.0.1, logged in as the coordination office; every page read is audited (hash-chained "
        f"audit entry) and extends the session. Load average at the end: {load:.1f} (2 cores).",
        "",
        "| page | p50 | p95 | p99 | requests/s | target p95 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, path, figures, _ in results:
        lines.append(
            f"| {label} (`{path.split('?')[0]}`) | {figures['p50'] * 1000:.0f} ms | {figures['p95'] * 1000:.0f} ms "
            f"| {figures['p99'] * 1000:.0f} ms | {figures['rps']:.0f} | < 300 ms |"
        )
    lines += [
        "",
        f"Capacity of the machine: the same pages with {args.users} connections and no pause between "
        "requests (closed loop; the latency is queueing of 20 requests in flight on 2 cores):",
        "",
        "| page | requests/s | p50 | p95 |",
        "| --- | --- | --- | --- |",
    ]
    for label, _, _, figures in results:
        lines.append(
            f"| {label} | {figures['rps']:.0f} | {figures['p50'] * 1000:.0f} ms | {figures['p95'] * 1000:.0f} ms |"
        )
    write_section("load", "\n".join(lines))
    failed = [
        label
        for label, _, paced, capacity in results
        if {*paced["statuses"], *capacity["statuses"]} != {"200"}
    ]
    if failed:
        print("Nicht jede Antwort war 200:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
