"""Database triggers that make the audit table append-only for every connection.

Installed by migration 0002. Only a controlled maintenance step (the retention purge, and the
test suite's flush between tests) lifts them, for the duration of that step.
"""

from __future__ import annotations

_SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
]
_POSTGRES_INSTALL = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent;",
    """CREATE TRIGGER audit_event_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();""",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent;",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
]


def _execute(connection, statements_by_vendor: dict[str, list[str]]) -> None:
    statements = statements_by_vendor.get(connection.vendor)
    if statements is None:
        raise RuntimeError(f"Das Protokoll unterstützt die Datenbank {connection.vendor} nicht.")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install_append_only_triggers(connection) -> None:
    _execute(connection, {"sqlite": _SQLITE_INSTALL, "postgresql": _POSTGRES_INSTALL})


def remove_append_only_triggers(connection) -> None:
    _execute(connection, {"sqlite": _SQLITE_REMOVE, "postgresql": _POSTGRES_REMOVE})
