from django.apps import AppConfig

from missimo.core import extensions


class AdministrationConfig(AppConfig):
    name = "missimo.administration"
    label = "administration"
    verbose_name = "Benutzerverwaltung"

    def ready(self) -> None:
        from missimo.administration import nav

        extensions.register_navigation(120, nav.items)
