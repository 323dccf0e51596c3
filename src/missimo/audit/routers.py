"""Routes the audit app to the "audit" database alias: its own connection, so audit entries
commit independently of the business transaction that writes them."""

AUDIT_ALIAS = "audit"


class AuditRouter:
    def _is_audit(self, model) -> bool:
        return model._meta.app_label == "audit"

    def db_for_read(self, model, **hints):
        return AUDIT_ALIAS if self._is_audit(model) else None

    def db_for_write(self, model, **hints):
        return AUDIT_ALIAS if self._is_audit(model) else None

    def allow_relation(self, obj1, obj2, **hints):
        if self._is_audit(type(obj1)) or self._is_audit(type(obj2)):
            return False
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == "audit":
            return db == AUDIT_ALIAS
        return db == "default"
