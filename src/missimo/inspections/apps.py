from django.apps import AppConfig

from missimo.core import extensions


class InspectionsConfig(AppConfig):
    name = "missimo.inspections"
    label = "inspections"
    verbose_name = "Kontrollen"

    def ready(self) -> None:
        from missimo.inspections import nav, panels, referral_views

        extensions.register_navigation(50, nav.items)
        extensions.register_panel("case", 10, panels.case_panel)
        extensions.register_panel("property", 30, panels.property_panel)
        extensions.register_panel("start", 20, panels.start_todo)
        extensions.register_panel("case", 15, referral_views.case_panel)
