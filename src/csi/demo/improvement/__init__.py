"""The demo's continual improvement: plans, the CSI register and initiatives (see `load`)."""

from csi.demo.improvement.load import demo_improvement

__all__ = ["demo_improvement"]
