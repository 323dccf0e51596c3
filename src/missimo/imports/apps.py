from django.apps import AppConfig

from missimo.core import extensions


class ImportsConfig(AppConfig):
    name = "missimo.imports"
    label = "imports"
    verbose_name = "Datenlieferungen"

    def ready(self) -> None:
        from missimo.imports import nav

        extensions.register_navigation(10, nav.items)
