from django.apps import AppConfig

from missimo.core import extensions


class OutcomesConfig(AppConfig):
    name = "missimo.outcomes"
    label = "outcomes"
    verbose_name = "Ergebnisse, Maßnahmen und Schreiben"

    def ready(self) -> None:
        from missimo.outcomes import calibration, nav, panels

        extensions.register_navigation(60, nav.items)
        extensions.register_panel("case", 20, panels.case_panel)
        extensions.register_panel("property", 20, panels.property_panel)
        extensions.register_panel("start", 30, panels.start_todo)
        extensions.register_deadlines(30, panels.due_items)
        extensions.register_panel("run", 30, panels.run_calibration_panel)
        extensions.register_ranking_weights(calibration.ranking_weights)
