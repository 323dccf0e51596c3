from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "missimo.audit"
    label = "audit"
    verbose_name = "Protokollierung"

    def ready(self) -> None:
        from missimo.audit import signals  # noqa: F401  (connects login/logout handlers)
