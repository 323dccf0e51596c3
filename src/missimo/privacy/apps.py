from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "missimo.privacy"
    label = "privacy"
    verbose_name = "Datenschutz"
