from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "csi.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from csi.analytics import tasks  # noqa: F401 - registers the scheduled job
        from csi.analytics.services import refresh_after_change
        from csi.measures.services import on_data_changed

        on_data_changed(refresh_after_change)
