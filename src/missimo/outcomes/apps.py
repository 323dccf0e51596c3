from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "missimo.outcomes"
    label = "outcomes"
    verbose_name = "Ergebnisse, Maßnahmen und Schreiben"
