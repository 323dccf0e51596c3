from django.apps import AppConfig

from missimo.core import extensions


class CaseworkConfig(AppConfig):
    name = "missimo.casework"
    label = "casework"
    verbose_name = "Aktionen und Prüffälle"

    def ready(self) -> None:
        from missimo.casework import handover_views, nav

        extensions.register_navigation(40, nav.items)
        extensions.register_panel("case", 5, handover_views.case_panel)
