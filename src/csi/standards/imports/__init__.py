"""Standards as code: OpenSLO (v1, v1alpha, v2alpha) and CSI Workbench YAML in, CSI Workbench YAML or the
stored OpenSLO documents out."""

from csi.standards.imports.engine import standards_export, standards_import

__all__ = ["standards_export", "standards_import"]
