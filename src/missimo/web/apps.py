from django.apps import AppConfig

from missimo.core import extensions


class WebConfig(AppConfig):
    name = "missimo.web"
    label = "web"
    verbose_name = "Oberfläche"

    def ready(self) -> None:
        from missimo.web import nav

        extensions.register_navigation(0, nav.items)
