from django.apps import AppConfig

from missimo.core import extensions


class CertificatesConfig(AppConfig):
    name = "missimo.certificates"
    label = "certificates"
    verbose_name = "Schulbescheinigungen"

    def ready(self) -> None:
        from missimo.certificates import nav, signals  # noqa: F401  (signals: revocation after a schule snapshot)

        extensions.register_navigation(80, nav.items)
