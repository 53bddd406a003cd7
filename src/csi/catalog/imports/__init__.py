"""Catalog as code: import Backstage catalog-info.yaml and CSI Workbench's own YAML, export the latter."""

from csi.catalog.imports.engine import NATIVE_API_VERSION, catalog_export, catalog_import

__all__ = ["NATIVE_API_VERSION", "catalog_export", "catalog_import"]
