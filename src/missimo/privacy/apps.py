from django.apps import AppConfig

from missimo.core import extensions


class PrivacyConfig(AppConfig):
    name = "missimo.privacy"
    label = "privacy"
    verbose_name = "Datenschutz"

    def ready(self) -> None:
        from missimo.privacy import nav

        extensions.register_navigation(100, nav.items)
