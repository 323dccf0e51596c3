"""Database triggers that make the audit table append-only for every connection, and let the
chain head only move one entry forward.

Installed by migration 0002. Only a controlled maintenance step (the retention purge, and the
test suite's flush between tests) lifts them, for the duration of that step.
"""

from __future__ import annotations

_SQLITE_INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;""",
    # the chain head moves one entry forward at a time, and is never deleted
    """CREATE TRIGGER IF NOT EXISTS audit_head_forward_only BEFORE UPDATE ON audit_auditchainhead
       WHEN NEW.id <> OLD.id OR NEW.last_sequence <> OLD.last_sequence + 1
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
    """CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON audit_auditchainhead
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    "DROP TRIGGER IF EXISTS audit_head_forward_only;",
    "DROP TRIGGER IF EXISTS audit_head_no_delete;",
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
    """CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.last_sequence = OLD.last_sequence + 1 THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'the audit chain head only moves forward';
       END; $$ LANGUAGE plpgsql;""",
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_auditchainhead;",
    """CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_auditchainhead
       FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();""",
    "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;",
    """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]
_POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update_delete ON audit_auditevent;",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
    "DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_auditchainhead;",
    "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;",
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
