from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "missimo.runs"
    label = "runs"
    verbose_name = "Abgleich und Hinweise"
