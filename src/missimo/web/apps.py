from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "missimo.web"
    label = "web"
    verbose_name = "Oberfläche"
