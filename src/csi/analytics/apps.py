from typing import Any

from django.apps import AppConfig


def _refresh_after_change(source_id: int) -> None:
    # Imported here: the analytics engine (Ibis, DuckDB) loads only when data changes, not with every
    # `csi` command.
    from csi.analytics.services import refresh_after_change

    refresh_after_change(source_id)


def _performance_section(request: Any, service: Any) -> dict[str, Any]:
    # Imported here for the same reason: the views load the chart and statistics code.
    from csi.analytics.views import service_section_context

    return service_section_context(request, service)


class AnalyticsConfig(AppConfig):
    name = "csi.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from csi.analytics import tasks  # noqa: F401 - registers the scheduled job
        from csi.analytics.home import analytics_actions
        from csi.catalog.sections import ServiceSection, register_service_section
        from csi.core.home import register_action_provider
        from csi.measures.hooks import on_data_changed

        on_data_changed(_refresh_after_change)
        register_action_provider(analytics_actions)
        register_service_section(
            ServiceSection(
                anchor="performance",
                title="Performance",
                template="analytics/_service_section.html",
                context=_performance_section,
                order=20,  # after the standards (10)
            )
        )
