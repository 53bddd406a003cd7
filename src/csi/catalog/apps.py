from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "csi.catalog"
    label = "catalog"
    verbose_name = "Service catalog"

    def ready(self) -> None:
        from csi.catalog import permissions  # noqa: F401 - registers the rules
