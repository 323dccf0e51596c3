"""The `missimo` command line.

The contract's four commands (`import`, `run`, `export hints`, `export properties`) keep their
names, arguments and output formats; further commands serve operators and developers. Every
command that needs the database creates and migrates the embedded default on first use.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence

from missimo import __version__, engine
from missimo.formatting import de_int

Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "missimo.settings")
    import django

    django.setup()


def ensure_database(verbosity: int = 0) -> None:
    """Create and migrate both databases (application and audit) if needed."""
    _setup_django()
    from django.core.management import call_command

    for alias in ("default", "audit"):
        call_command("migrate", database=alias, interactive=False, verbosity=verbosity)


def _cmd_manage(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["missimo manage", *args.rest])
    return 0


def _serve(host: str, port: int, workers: int, threads: int, *, with_worker: bool = True) -> int:
    """Run the web application with gunicorn (and the background task worker) until stopped."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    env = os.environ.copy()
    processes = []
    if with_worker:
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "missimo.cli", "manage", "db_worker", "--queue-name", "default"],
                env=env,
            )
        )
        # Retention: the periods are applied at start and then daily (missimo.privacy.retention).
        processes.append(subprocess.Popen([sys.executable, "-m", "missimo.cli", "purge", "--daily"], env=env))
        # Runs on a schedule (MISSIMO_RUN_SCHEDULE; idle when it is off): missimo.runs.schedule.
        processes.append(subprocess.Popen([sys.executable, "-m", "missimo.cli", "schedule"], env=env))
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "gunicorn",
            "missimo.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            "-",
        ],
        env=env,
    )
    processes.append(server)

    def _stop(signum, frame):
        for process in processes:
            process.terminate()

    signal.signal(signal.SIGTERM, _stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _cmd_serve(args: argparse.Namespace) -> int:
    ensure_database()
    return _serve(args.host, args.port, args.workers, args.threads)


def _cmd_demo(args: argparse.Namespace) -> int:
    # A local demonstration over plain http on the loopback address, in its own data directory.
    os.environ.setdefault("MISSIMO_SECURE", "false")
    os.environ.setdefault("MISSIMO_REQUIRE_2FA", "false")  # demo accounts log in without an app
    os.environ.setdefault("MISSIMO_DATA_DIR", os.path.join("var", "demo"))
    ensure_database()
    from missimo.demo import prepare_demo

    accounts = prepare_demo()
    print()
    print(f"MISSIMO-Demo: http://{args.host}:{args.port}/")
    print("Demo-Zugänge (eine Person je Rolle; nur für diese lokale Demo):")
    width = max(len(a.username) for a in accounts)
    for account in accounts:
        print(f"  {account.username.ljust(width)}  Passwort: {account.password}   {account.role_label}")
    print()
    sys.stdout.flush()
    return _serve(args.host, args.port, workers=2, threads=4)


def load_mapping_file(path: str) -> dict[str, str]:
    """A column mapping for a variant layout: JSON ({"Spalte der Datei": "Feld"}) or CSV with two
    columns (Spalte;Feld)."""
    import csv
    import json
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("Die Zuordnungsdatei muss ein JSON-Objekt sein.")
        return {str(k): str(v) for k, v in data.items()}
    rows = [
        row
        for row in csv.reader(text.splitlines(), delimiter=";")
        if row and any(cell.strip() for cell in row)
    ]
    if rows and [cell.strip().lower() for cell in rows[0][:2]] == ["spalte", "feld"]:
        rows = rows[1:]
    if any(len(row) < 2 for row in rows):
        raise ValueError("Jede Zeile der Zuordnungsdatei braucht zwei Spalten: Spalte;Feld.")
    return {row[0].strip(): row[1].strip() for row in rows}


class _ProgressBar:
    """Progress on standard error: a live bar on a terminal, a few lines otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_percent = -1

    def __call__(self, done: int, total: int) -> None:
        percent = int(100 * done / total) if total else 0
        if self.tty:
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r{self.label}: [{bar:<25}] {percent:3d} % ({de_int(done)} Zeilen)")
            sys.stderr.flush()
        elif percent // 25 > self.last_percent // 25:
            sys.stderr.write(f"{self.label}: {percent} % ({de_int(done)} Zeilen)\n")
        self.last_percent = percent

    def close(self) -> None:
        if self.tty and self.last_percent >= 0:
            sys.stderr.write("\n")


# Exit status of `missimo import` for a delivery held for confirmation (contract: non-zero).
EXIT_HELD = 3


def _cmd_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    path = Path(args.file)
    if not path.is_file():
        print(f"Fehler: Die Datei {path} gibt es nicht.", file=sys.stderr)
        return 2
    try:
        mapping = load_mapping_file(args.mapping) if args.mapping else None
    except (OSError, ValueError) as exc:
        print(f"Fehler in der Zuordnungsdatei {args.mapping}: {exc}", file=sys.stderr)
        return 2
    ensure_database()
    from missimo.imports import services
    from missimo.imports.models import ImportStatus

    services.reconcile_interrupted_imports()
    try:
        with open(path, "rb") as stream:
            delivery = services.store_delivery(args.source, stream, path.name, channel="cli", mapping=mapping)
    except services.DeliveryRefused as refused:
        print(f"Datei abgelehnt: {refused.message}", file=sys.stderr)
        return 1
    bar = _ProgressBar(args.source)
    delivery = services.process_delivery(delivery.pk, echo=bar, force=args.force)
    bar.close()
    if delivery.status == ImportStatus.HELD:
        print(f"{args.source}: Lieferung Nr. {delivery.pk} {delivery.message}", file=sys.stderr)
        print(
            "Der bisherige Datenstand gilt weiter. Bestätigen Sie die Lieferung in der Weboberfläche "
            f"(Lieferungen → Nr. {delivery.pk}) oder liefern Sie sie mit --force erneut, um sie trotzdem zu übernehmen.",
            file=sys.stderr,
        )
        return EXIT_HELD
    if delivery.status in (ImportStatus.REFUSED, ImportStatus.FAILED):
        print(
            f"{args.source}: Datei abgelehnt (Lieferung Nr. {delivery.pk}): {delivery.message}",
            file=sys.stderr,
        )
        if delivery.rejected_file:
            print(f"Abgelehnte Zeilen: {services.data_path(delivery.rejected_file)}", file=sys.stderr)
        return 1
    if delivery.status == ImportStatus.UNCHANGED:
        print(f"{args.source}: {delivery.message}")
        return 0
    print(
        f"{args.source}: {de_int(delivery.accepted_count)} übernommen, {de_int(delivery.rejected_count)} abgelehnt "
        f"(Lieferung Nr. {delivery.pk}, {delivery.encoding}"
        f"{', Trennzeichen ' + delivery.delimiter if delivery.delimiter else ''})."
    )
    for warning in delivery.warnings:
        print(f"Hinweis: {warning}")
    if delivery.extra_columns:
        print(f"Nicht verwendete Spalten: {', '.join(delivery.extra_columns)}")
    if delivery.rejected_file:
        print(f"Abgelehnte Zeilen mit Gründen: {services.data_path(delivery.rejected_file)}")
    return 0


def _parse_stichtag(value: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"„{value}“ ist kein Datum im Format JJJJ-MM-TT.") from None


def _cmd_run(args: argparse.Namespace) -> int:
    import datetime as dt

    ensure_database()
    from missimo.runs import services
    from missimo.runs.models import RunStatus

    stichtag = args.stichtag or dt.date.today()
    services.reconcile_interrupted_runs()
    try:
        run = services.start_run(stichtag, channel="cli")
    except services.RunRefused as refused:
        print(f"Fehler: {refused.message}", file=sys.stderr)
        return 1

    def echo(step: str, percent: int) -> None:
        print(f"[{percent:3d} %] {step}", file=sys.stderr, flush=True)

    run = services.execute_run(run.pk, echo=echo)
    if run.status != RunStatus.FINISHED:
        print(f"Abgleich fehlgeschlagen: {run.message}", file=sys.stderr)
        return 1
    print(f"Abgleich Nr. {run.pk} zum Stichtag {run.stichtag:%d.%m.%Y}: {run.message}")
    for status in run.rule_statuses:
        if status["evaluated"]:
            note = f" ({status['note']})" if status.get("note") else ""
            print(f"  {status['rule']}: {status['count']}{note}")
    missing = [s for s in run.rule_statuses if not s["evaluated"]]
    for status in missing:
        print(f"  {status['rule']}: nicht ausgewertet – {status['reason']}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.runs import services

    run = services.latest_run()
    if run is None:
        print("Fehler: Es gibt noch keinen abgeschlossenen Abgleich (missimo run).", file=sys.stderr)
        return 1
    write = services.export_hints if args.what == "hints" else services.export_properties
    try:
        count = write(run, args.file)
    except OSError as exc:
        print(f"Fehler: {args.file} kann nicht geschrieben werden: {exc.strerror}", file=sys.stderr)
        return 1
    label = "Hinweise" if args.what == "hints" else "Objekte"
    print(
        f"{count} {label} des Abgleichs Nr. {run.pk} (Stichtag {run.stichtag:%d.%m.%Y}) nach {args.file} geschrieben."
    )
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from missimo.synth import cli_main

    return cli_main(args.rest)


def _cmd_land_run(args: argparse.Namespace) -> int:
    """The state-level run over several cities' exports (docs/land.md); no database needed."""
    import datetime as dt
    import tempfile
    from pathlib import Path

    from missimo import config
    from missimo.engine import (
        CITY_SOURCES,
        LAND_RULES,
        City,
        EngineBackend,
        ImportRefused,
        configured_backend,
        read_source,
        run_land,
        write_snapshot,
    )

    batch_rows = max(1, config.get("MISSIMO_IMPORT_BATCH_ROWS"))
    backend = configured_backend()
    if args.backend:
        backend = EngineBackend(args.backend, backend.spark_master, backend.staging_dir, backend.spark_conf)
    with tempfile.TemporaryDirectory(prefix="missimo-land-") as tmp:
        cities = []
        for item in args.stadt:
            code, sep, folder = item.partition("=")
            directory = Path(folder)
            if not sep or not directory.is_dir():
                print(
                    f"Fehler: --stadt {item!r}: erwartet KÜRZEL=VERZEICHNIS mit den Exporten.",
                    file=sys.stderr,
                )
                return 2
            snapshots: dict[str, Path] = {}
            for source in CITY_SOURCES:
                files = [directory / f"{source}.{ext}" for ext in ("csv", "xlsx")]
                found = next((f for f in files if f.is_file()), None)
                if found is None:
                    continue
                try:
                    # batches as in `missimo import` (MISSIMO_IMPORT_BATCH_ROWS); only the counts
                    # of the rejected rows are shown, so none is kept in memory
                    result = read_source(source, found, batch_rows=batch_rows, keep_rejected=0)
                except ImportRefused as exc:
                    print(f"Fehler: {code}/{found.name}: {exc}", file=sys.stderr)
                    return 2
                snapshots[source] = Path(tmp) / f"{code}-{source}.parquet"
                write_snapshot(result.table, snapshots[source])
                print(
                    f"{code}: {source}: {result.accepted_count} angenommen, {result.rejected_count} abgelehnt"
                )
            try:
                cities.append(City(code, code.replace("-", " ").title().replace(" ", "-"), snapshots))
            except ValueError as exc:
                print(f"Fehler: {exc}", file=sys.stderr)
                return 2
        try:
            output = run_land(
                cities, args.stichtag or dt.date.today(), Path(tmp) / "work", args.out, backend=backend
            )
        except ValueError as exc:
            print(f"Fehler: {exc}", file=sys.stderr)
            return 2
    print(f"Abgleich auf Landesebene zum Stichtag {output.stichtag:%d.%m.%Y} ({backend.name}):")
    for rule in LAND_RULES:
        if rule.code in output.not_evaluated:
            print(f"  {rule.code}: {output.not_evaluated[rule.code]}")
        else:
            print(f"  {rule.code}: {output.per_rule.get(rule.code, 0)}")
    for code, path in output.files.items():
        print(f"{code}: {output.counts[f'hints_{code}']} Hinweise nach {path}")
    return 0


def _cmd_purge(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.privacy import retention

    if args.daily:
        # The schedule `missimo serve` starts beside the web server (docs/datenschutz/aufbewahrung-und-loeschung.md).
        stopping = []
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
        import contextlib

        with contextlib.suppress(KeyboardInterrupt):
            retention.run_daily(stop=lambda: bool(stopping))
        return 0
    report = retention.purge_all()
    for line in report.lines():
        print(line)
    for source in report.current_snapshots_expired:
        print(f"Der Datenstand der Quelle {source} ist abgelaufen; bitte liefern Sie sie neu.")
    return 0


def _cmd_schedule(args: argparse.Namespace) -> int:
    ensure_database()
    import contextlib

    from missimo.runs import schedule

    if args.once:
        run = schedule.tick()
        print(schedule.next_run().text() if run is None else f"Abgleich {run.pk} nach Zeitplan gestartet.")
        return 0
    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
    with contextlib.suppress(KeyboardInterrupt):
        schedule.run_forever(stop=lambda: bool(stopping))
    return 0


def _cmd_notify(args: argparse.Namespace) -> int:
    ensure_database()
    from django.conf import settings

    from missimo.casework.services import send_deadline_notifications

    if not settings.EMAIL_NOTIFICATIONS:
        print("Benachrichtigungen sind ausgeschaltet (MISSIMO_EMAIL_NOTIFICATIONS).")
        return 0
    sent = send_deadline_notifications()
    print(f"{sent} Benachrichtigungen über fällige Fristen versandt.")
    return 0


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.audit.services import verify_chain

    report = verify_chain()
    print(report.message)
    return 0 if report.intact else 1


def _cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    ensure_database()
    from django.conf import settings

    from missimo.audit.services import export_head_checkpoint

    checkpoint = export_head_checkpoint()
    if checkpoint is None:
        print("Das Protokoll ist leer; kein Prüfpunkt geschrieben.")
    else:
        print(
            f"Prüfpunkt bis Eintrag {checkpoint['sequence']} in {settings.AUDIT_CHECKPOINT_FILE} geschrieben."
        )
    return 0


def _cmd_audit_public_key(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.audit.keys import public_key_text

    print(public_key_text())
    return 0


def _cmd_certificate_keys(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.certificates import services

    if args.keys_command == "export":
        import json

        text = json.dumps(services.published_key_list(), ensure_ascii=False, indent=1) + "\n"
        if args.file in (None, "-"):
            sys.stdout.write(text)
        else:
            with open(args.file, "w", encoding="utf-8") as out:
                out.write(text)
            print(f"Schlüsselliste nach {args.file} geschrieben.")
        return 0
    action = services.create_key if args.keys_command == "create" else services.rotate_key
    try:
        key = action(args.schulnummer, school_name=args.schulname)
    except services.CertificateRefused as refused:
        print(f"Fehler: {refused.message}", file=sys.stderr)
        return 1
    print(
        f"Schlüssel {key.kid} für {key.school_name} (Schulnummer {key.schulnummer}) "
        f"gültig ab {key.valid_from:%d.%m.%Y}."
    )
    return 0


def _cmd_certificate_verify(args: argparse.Namespace) -> int:
    """Offline: no database, only the file and a downloaded key list."""
    import datetime as dt
    from pathlib import Path

    from missimo.certificates import signing

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Fehler: {args.file} kann nicht gelesen werden: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        keylist = signing.load_keylist(Path(args.keys).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"Fehler in der Schlüsselliste {args.keys}: {exc}", file=sys.stderr)
        return 2
    token = signing.find_token(data)
    if token is None:  # a scan or photo of the paper certificate: read the QR code from the image
        from missimo.certificates.scan import ScanError, token_from_image

        try:
            token = token_from_image(data)
        except ScanError:
            token = None
    token = token or data.decode("utf-8", "replace")
    result = signing.verify(token, keylist, args.stichtag or dt.date.today())
    print(("GÜLTIG: " if result.valid else "UNGÜLTIG: ") + result.message)
    for label, value in result.data():
        print(f"  {label}: {value}")
    return 0 if result.valid else 1


def _cmd_config(args: argparse.Namespace) -> int:
    from missimo import config

    print(config.as_markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="missimo",
        description="MISSIMO – Abgleich und Fallbearbeitung für Problemimmobilien.",
    )
    parser.add_argument("--version", action="version", version=f"missimo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="BEFEHL")

    serve = sub.add_parser("serve", help="Webanwendung starten (mit Hintergrund-Worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2, help="Prozesse des Webservers")
    serve.add_argument("--threads", type=int, default=4, help="Threads je Prozess")
    serve.set_defaults(handler=_cmd_serve)

    demo = sub.add_parser("demo", help="Demo-Stadt vorbereiten und im Browser bereitstellen")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.set_defaults(handler=_cmd_demo)

    imp = sub.add_parser(
        "import",
        help="Export einer Behörde einlesen (ersetzt den Datenstand der Quelle)",
        description="Liest einen Export ein. Exit 0, wenn die Datei übernommen wurde (auch mit abgelehnten "
        "Zeilen); 1, wenn sie abgelehnt wurde; 3, wenn sie gegenüber der geltenden Lieferung auffällig ist "
        "(viel weniger Zeilen, fehlende Spalten) und zurückgehalten wurde.",
    )
    imp.add_argument(
        "--force",
        action="store_true",
        help="eine auffällige Lieferung trotzdem übernehmen (statt sie zurückzuhalten)",
    )
    sources = tuple(engine.SOURCES)  # asked when the parser is built: a registered source is offered
    imp.add_argument("source", choices=sources, metavar="QUELLE", help="eine von: " + ", ".join(sources))
    imp.add_argument("file", metavar="DATEI", help="CSV- oder XLSX-Datei")
    imp.add_argument(
        "--mapping",
        metavar="ZUORDNUNG",
        help='Spaltenzuordnung für abweichende Layouts: JSON {"Spalte": "Feld"} oder CSV Spalte;Feld',
    )
    imp.set_defaults(handler=_cmd_import)

    run = sub.add_parser("run", help="Abgleich über die aktuellen Datenstände: Verknüpfung und alle Regeln")
    run.add_argument(
        "--stichtag",
        type=_parse_stichtag,
        default=None,
        metavar="JJJJ-MM-TT",
        help="Stichtag (Standard: heute)",
    )
    run.set_defaults(handler=_cmd_run)

    export = sub.add_parser(
        "export",
        help="Ergebnisse des letzten Abgleichs als CSV schreiben",
        description="Schreibt die Hinweise oder die Objekt-Rangliste des letzten Abgleichs als CSV. "
        "Formelsicher: Zellen, die mit = + - @ beginnen, erhalten einen Apostroph, damit eine "
        "Tabellenkalkulation sie nicht als Formel ausführt.",
    )
    export.add_argument("what", choices=("hints", "properties"), metavar="ART", help="hints oder properties")
    export.add_argument("file", metavar="DATEI")
    export.set_defaults(handler=_cmd_export)

    synth = sub.add_parser(
        "synth",
        help="Synthetische Stadt erzeugen: sechs Behördenexporte mit Grundwahrheit (missimo synth --help)",
        add_help=False,
    )
    synth.add_argument("rest", nargs=argparse.REMAINDER)
    synth.set_defaults(handler=_cmd_synth)

    land = sub.add_parser("land", help="Abgleich auf Landesebene über mehrere Städte (docs/land.md)")
    land_sub = land.add_subparsers(dest="land_command", metavar="BEFEHL", required=True)
    land_run = land_sub.add_parser(
        "run",
        help="Melderegister, Kindergeld, Jobcenter und Schule mehrerer Städte abgleichen; "
        "je Stadt eine Hinweisdatei nur mit ihren Hinweisen",
    )
    land_run.add_argument(
        "--stadt",
        action="append",
        required=True,
        metavar="KÜRZEL=VERZEICHNIS",
        help="eine Stadt: Kürzel (z. B. herne) und Verzeichnis mit melderegister.csv, kindergeld.csv, "
        "jobcenter.csv, schule.csv (oder .xlsx); mindestens zweimal",
    )
    land_run.add_argument("--stichtag", type=_parse_stichtag, default=None, metavar="JJJJ-MM-TT")
    land_run.add_argument(
        "--out", required=True, metavar="VERZEICHNIS", help="Zielverzeichnis: KÜRZEL.csv je Stadt"
    )
    land_run.add_argument(
        "--backend", choices=("duckdb", "spark"), default=None, help="Standard: MISSIMO_ENGINE_BACKEND"
    )
    land_run.set_defaults(handler=_cmd_land_run)

    purge = sub.add_parser(
        "purge",
        help="Daten nach Ablauf ihrer Aufbewahrungsfrist löschen (Dateien, Datenstände, Hinweise, Fälle, "
        "Bescheinigungen, Protokoll)",
    )
    purge.add_argument(
        "--daily",
        action="store_true",
        help="nicht einmal, sondern täglich zur Stunde MISSIMO_PURGE_HOUR (so startet `missimo serve` es)",
    )
    purge.set_defaults(handler=_cmd_purge)

    sched = sub.add_parser(
        "schedule",
        help="Abgleiche nach Zeitplan starten (MISSIMO_RUN_SCHEDULE; so startet `missimo serve` es)",
    )
    sched.add_argument(
        "--once", action="store_true", help="nur einmal prüfen und einen fälligen Abgleich starten"
    )
    sched.set_defaults(handler=_cmd_schedule)

    notify = sub.add_parser(
        "notify",
        help="E-Mails über fällige Fristen und Wiedervorlagen versenden (täglich auch durch `missimo serve`)",
    )
    notify.set_defaults(handler=_cmd_notify)

    audit = sub.add_parser("audit", help="Protokoll (Audit-Log) prüfen")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AKTION", required=True)
    verify = audit_sub.add_parser("verify", help="Hash-Kette des Protokolls prüfen (Exit 1 bei Manipulation)")
    verify.set_defaults(handler=_cmd_audit_verify)
    checkpoint = audit_sub.add_parser(
        "checkpoint", help="signierten Prüfpunkt des Kettenendes in die Prüfpunktdatei schreiben"
    )
    checkpoint.set_defaults(handler=_cmd_audit_checkpoint)
    public_key = audit_sub.add_parser(
        "public-key",
        help="öffentlichen Ed25519-Schlüssel der Prüfpunkte ausgeben (für MISSIMO_AUDIT_PUBLIC_KEY)",
    )
    public_key.set_defaults(handler=_cmd_audit_public_key)

    cert = sub.add_parser(
        "certificate", help="Schulbescheinigungen: Schlüssel verwalten, Bescheinigungen prüfen"
    )
    cert_sub = cert.add_subparsers(dest="certificate_command", metavar="AKTION", required=True)
    keys = cert_sub.add_parser("keys", help="Signaturschlüssel der Schulen anlegen, wechseln, exportieren")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="AKTION", required=True)
    for name, text in (("create", "ersten Schlüssel einer Schule anlegen"), ("rotate", "Schlüssel wechseln")):
        key_cmd = keys_sub.add_parser(name, help=text)
        key_cmd.add_argument("--schulnummer", required=True, metavar="NNNNNN")
        key_cmd.add_argument("--schulname", default=None, help="Name der Schule (Standard: aus der Behörde)")
        key_cmd.set_defaults(handler=_cmd_certificate_keys)
    keys_export = keys_sub.add_parser(
        "export", help="öffentliche Schlüsselliste mit Widerrufen als JSON schreiben"
    )
    keys_export.add_argument("file", nargs="?", default=None, metavar="DATEI", help="Standard: Ausgabe")
    keys_export.set_defaults(handler=_cmd_certificate_keys)
    cert_verify = cert_sub.add_parser(
        "verify",
        help="Schulbescheinigung offline prüfen (Exit 0 gültig, 1 ungültig)",
        description="Prüft eine Schulbescheinigung ohne Datenbank: PDF-Datei oder Textdatei mit dem QR-Inhalt, "
        "gegen eine heruntergeladene Schlüsselliste (/bescheinigungen/schluessel.json).",
    )
    cert_verify.add_argument(
        "file", metavar="DATEI", help="PDF der Bescheinigung oder Textdatei mit dem QR-Inhalt"
    )
    cert_verify.add_argument("--keys", required=True, metavar="SCHLUESSELLISTE.json")
    cert_verify.add_argument(
        "--stichtag",
        type=_parse_stichtag,
        default=None,
        metavar="JJJJ-MM-TT",
        help="Prüfdatum (Standard: heute)",
    )
    cert_verify.set_defaults(handler=_cmd_certificate_verify)

    conf = sub.add_parser("config", help="Alle Einstellungen (Umgebungsvariablen) als Markdown ausgeben")
    conf.set_defaults(handler=_cmd_config)

    manage = sub.add_parser("manage", help="Django-Verwaltungsbefehl ausführen (z. B. createsuperuser)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["synth"]:
        # The generator has its own options (and --help); hand them over untouched.
        from missimo.synth import cli_main

        return cli_main(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from missimo.config import ConfigError

    try:
        return handler(args)
    except ConfigError as exc:
        print(f"Fehler in der Konfiguration: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
