"""Standards as code: OpenSLO (v1, v1alpha, v2alpha) and CSI Workbench YAML in, CSI Workbench YAML or the
stored OpenSLO documents out."""

from csi.standards.imports.engine import standards_import
from csi.standards.imports.export import openslo_left_out, standards_export

__all__ = ["openslo_left_out", "standards_export", "standards_import"]
