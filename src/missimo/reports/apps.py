from django.apps import AppConfig

from missimo.core import extensions


class ReportsConfig(AppConfig):
    name = "missimo.reports"
    label = "reports"
    verbose_name = "Berichte"

    def ready(self) -> None:
        from missimo.reports import nav

        extensions.register_navigation(70, nav.items)
