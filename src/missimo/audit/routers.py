"""Routes the audit app to the "audit" database alias: its own connection, so audit entries
commit independently of the business transaction that writes them.

With SQLite the audit log is a separate file; with PostgreSQL it is usually the same database
reached over a second connection. In that case both aliases share one migration history, so
the audit tables are created by whichever alias migrates first.
"""

from django.conf import settings

AUDIT_ALIAS = "audit"


def _names(config: dict) -> set[str]:
    """A database's name and the name of its test database (the test runner renames one
    alias before the other, so both count as "the same database")."""
    name = str(config.get("NAME"))
    return {name, str((config.get("TEST") or {}).get("NAME") or f"test_{name}")}


def _same_database(alias_a: str, alias_b: str) -> bool:
    a, b = settings.DATABASES[alias_a], settings.DATABASES[alias_b]
    if a.get("ENGINE") != b.get("ENGINE") or "sqlite" in str(a.get("ENGINE")):
        return alias_a == alias_b
    return all(a.get(key) == b.get(key) for key in ("HOST", "PORT")) and bool(_names(a) & _names(b))


class AuditRouter:
    def _is_audit(self, model) -> bool:
        return model._meta.app_label == "audit"

    def db_for_read(self, model, **hints):
        return AUDIT_ALIAS if self._is_audit(model) else None

    def db_for_write(self, model, **hints):
        return AUDIT_ALIAS if self._is_audit(model) else None

    def allow_relation(self, obj1, obj2, **hints):
        if self._is_audit(obj1) or self._is_audit(obj2):
            return False
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        shared = _same_database(db, AUDIT_ALIAS)
        if app_label == "audit":
            return db == AUDIT_ALIAS or shared
        return db == "default" or (shared and db != AUDIT_ALIAS)
