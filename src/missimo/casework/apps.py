from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "missimo.casework"
    label = "casework"
    verbose_name = "Aktionen und Prüffälle"
