from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "missimo.inspections"
    label = "inspections"
    verbose_name = "Kontrollen"
