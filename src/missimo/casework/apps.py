from django.apps import AppConfig

from missimo.core import extensions


class CaseworkConfig(AppConfig):
    name = "missimo.casework"
    label = "casework"
    verbose_name = "Aktionen und Prüffälle"

    def ready(self) -> None:
        from missimo.casework import nav, panels, signals  # noqa: F401  (signals: the run_finished receiver)

        extensions.register_navigation(40, nav.items)
        extensions.register_panel("start", 10, panels.todo_panel)
