from django.apps import AppConfig

from missimo.core import extensions, lists


class CaseworkConfig(AppConfig):
    name = "missimo.casework"
    label = "casework"
    verbose_name = "Aktionen und Prüffälle"

    def ready(self) -> None:
        from missimo.casework import handover_views, nav, panels, signals  # noqa: F401  (signals: run_finished)

        extensions.register_navigation(40, nav.items)
        extensions.register_panel("case", 5, handover_views.case_panel)
        extensions.register_panel("property", 10, panels.property_panel)
        extensions.register_panel("start", 10, panels.start_todo)
        lists.register_filter("hints", panels.hint_status_filter)
