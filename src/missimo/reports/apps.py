from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "missimo.reports"
    label = "reports"
    verbose_name = "Berichte"
