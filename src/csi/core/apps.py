from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "csi.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the permissions (rules) and the housekeeping jobs with the scheduler.
        from csi.core import permissions, tasks  # noqa: F401
