from typing import Any

from django.apps import AppConfig


def _service_section(request: Any, service: Any) -> dict[str, Any]:
    # Imported here: the views load the forms and the standards importer, which `csi` commands that
    # never render a page should not pay for at start.
    from csi.standards.views import service_section_context

    return service_section_context(request, service)


class StandardsConfig(AppConfig):
    name = "csi.standards"
    label = "standards"
    verbose_name = "Service standards"

    def ready(self) -> None:
        from csi.catalog.sections import ServiceSection, register_service_section
        from csi.core.home import register_action_provider
        from csi.standards import permissions  # noqa: F401 - registers the rules
        from csi.standards.home import standards_actions

        register_action_provider(standards_actions)

        register_service_section(
            ServiceSection(
                anchor="standards",
                title="Standards",
                template="standards/_service_section.html",
                context=_service_section,
                order=10,
            )
        )
