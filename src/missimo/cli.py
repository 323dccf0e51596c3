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

from missimo import __version__

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
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "missimo.cli", "manage", "db_worker", "--queue-name", "default"], env=env
            )
        )
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
    # A local demonstration over plain http on the loopback address.
    os.environ.setdefault("MISSIMO_SECURE", "false")
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


def _cmd_audit_verify(args: argparse.Namespace) -> int:
    ensure_database()
    from missimo.audit.services import verify_chain

    report = verify_chain()
    print(report.message)
    return 0 if report.intact else 1


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

    audit = sub.add_parser("audit", help="Protokoll (Audit-Log) prüfen")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="AKTION", required=True)
    verify = audit_sub.add_parser("verify", help="Hash-Kette des Protokolls prüfen (Exit 1 bei Manipulation)")
    verify.set_defaults(handler=_cmd_audit_verify)

    conf = sub.add_parser("config", help="Alle Einstellungen (Umgebungsvariablen) als Markdown ausgeben")
    conf.set_defaults(handler=_cmd_config)

    manage = sub.add_parser("manage", help="Django-Verwaltungsbefehl ausführen (z. B. createsuperuser)")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=_cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
