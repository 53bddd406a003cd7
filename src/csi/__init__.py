"""CSI Workbench: Continual Service Improvement for IT service management."""

__version__ = "0.1.0"
