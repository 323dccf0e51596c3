from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "missimo.certificates"
    label = "certificates"
    verbose_name = "Schulbescheinigungen"
