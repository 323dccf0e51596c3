from django.apps import AppConfig

from missimo.core import extensions


class RunsConfig(AppConfig):
    name = "missimo.runs"
    label = "runs"
    verbose_name = "Abgleich und Hinweise"

    def ready(self) -> None:
        from missimo.runs import nav

        extensions.register_navigation(20, nav.items)
        extensions.register_navigation(110, nav.rule_catalogue)
