from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "csi.catalog"
    label = "catalog"
    verbose_name = "Service catalog"

    def ready(self) -> None:
        from csi.catalog import permissions  # noqa: F401 - registers the rules
        from csi.catalog.home import catalog_actions
        from csi.core.home import register_action_provider

        register_action_provider(catalog_actions)
