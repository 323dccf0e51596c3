from django.apps import AppConfig

from missimo.core import extensions


class AuditConfig(AppConfig):
    name = "missimo.audit"
    label = "audit"
    verbose_name = "Protokollierung"

    def ready(self) -> None:
        from missimo.audit import (
            nav,
            signals,  # noqa: F401  (connects the handlers of log-ins and account events)
        )

        extensions.register_navigation(90, nav.items)
