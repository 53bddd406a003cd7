from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "csi.improvement"
    label = "improvement"
    verbose_name = "Improvement"

    def ready(self) -> None:
        from csi.core.home import register_action_provider
        from csi.improvement import permissions  # noqa: F401 - registers the rules
        from csi.improvement.home import decision_actions

        register_action_provider(decision_actions)
