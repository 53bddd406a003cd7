from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_profiles(sender: AppConfig, **kwargs: Any) -> None:
    from csi.measures.services import sync_builtin_profiles

    sync_builtin_profiles()


class MeasuresConfig(AppConfig):
    name = "csi.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        from csi.core.home import register_action_provider
        from csi.measures import permissions, tasks  # noqa: F401 - registers the rules and the scheduled job
        from csi.measures.home import measures_actions

        register_action_provider(measures_actions)
        post_migrate.connect(_sync_profiles, sender=self)
