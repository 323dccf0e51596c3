from django.apps import AppConfig

from missimo.core import extensions


class CaseworkConfig(AppConfig):
    name = "missimo.casework"
    label = "casework"
    verbose_name = "Aktionen und Prüffälle"

    def ready(self) -> None:
        from missimo.casework import nav, signals  # noqa: F401  (connects the run_finished receiver)

        extensions.register_navigation(40, nav.items)
