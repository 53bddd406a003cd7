from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "csi.improvement"
    label = "improvement"
    verbose_name = "Improvement"

    def ready(self) -> None:
        from csi.improvement import permissions  # noqa: F401 - registers the rules
