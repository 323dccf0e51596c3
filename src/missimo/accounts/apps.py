from django.apps import AppConfig
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

from missimo.core import extensions


def _ensure_role_groups(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After every migrate: a group for every role of the policy (a new role needs no migration)."""
    if using != DEFAULT_DB_ALIAS:
        return
    from missimo.accounts.services import ensure_role_groups

    ensure_role_groups()


class AccountsConfig(AppConfig):
    name = "missimo.accounts"
    label = "accounts"
    verbose_name = "Konten und Behörden"

    def ready(self) -> None:
        from missimo.accounts import nav

        extensions.register_navigation(120, nav.administration)
        post_migrate.connect(_ensure_role_groups, sender=self, dispatch_uid="accounts_role_groups")
