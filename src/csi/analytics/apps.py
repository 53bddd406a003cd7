from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "csi.analytics"
    label = "analytics"
    verbose_name = "Analytics"
