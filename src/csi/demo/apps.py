from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "csi.demo"
    label = "demo"
    verbose_name = "Demo organisation"
