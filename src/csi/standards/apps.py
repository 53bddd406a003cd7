from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "csi.standards"
    label = "standards"
    verbose_name = "Service standards"

    def ready(self) -> None:
        from csi.catalog.sections import ServiceSection, register_service_section
        from csi.core.home import register_action_provider
        from csi.standards import permissions  # noqa: F401 - registers the rules
        from csi.standards.home import standards_actions
        from csi.standards.views import service_section_context

        register_action_provider(standards_actions)

        register_service_section(
            ServiceSection(
                anchor="standards",
                title="Standards",
                template="standards/_service_section.html",
                context=service_section_context,
                order=10,
            )
        )
