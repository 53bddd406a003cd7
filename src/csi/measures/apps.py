from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "csi.measures"
    label = "measures"
    verbose_name = "Measures"
