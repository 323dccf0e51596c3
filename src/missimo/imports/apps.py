from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "missimo.imports"
    label = "imports"
    verbose_name = "Datenlieferungen"
