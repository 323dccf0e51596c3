from django.apps import AppConfig


class PropertiesConfig(AppConfig):
    name = "missimo.properties"
    label = "properties"
    verbose_name = "Immobilienkataster"

    def ready(self) -> None:
        from missimo.properties import signals  # noqa: F401
