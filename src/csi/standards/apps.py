from django.apps import AppConfig


class StandardsConfig(AppConfig):
    name = "csi.standards"
    label = "standards"
    verbose_name = "Service standards"

    def ready(self) -> None:
        from csi.standards import permissions  # noqa: F401 - registers the rules
