from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "missimo.accounts"
    label = "accounts"
    verbose_name = "Konten und Behörden"
