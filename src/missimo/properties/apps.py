from django.apps import AppConfig

from missimo.core import extensions


class PropertiesConfig(AppConfig):
    name = "missimo.properties"
    label = "properties"
    verbose_name = "Immobilienkataster"

    def ready(self) -> None:
        from missimo.properties import (
            nav,
            services,
            signals,  # noqa: F401  (keeps the register in step with snapshots and runs)
        )

        extensions.register_navigation(30, nav.items)
        extensions.register_deadlines(40, services.procedure_deadlines)
