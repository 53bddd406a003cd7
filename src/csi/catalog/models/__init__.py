"""Catalog models: services and their portfolio entry, stakeholders, the delivery model, objectives."""

from csi.catalog.models.delivery import (
    DeliveryRole,
    Process,
    RaciAssignment,
    RoleSkill,
    ServiceActivity,
    ServiceProcess,
    ServiceTool,
    Skill,
)
from csi.catalog.models.service import (
    DeliveryTimeline,
    OrganisationObjective,
    PortfolioRisk,
    Service,
    ServiceDependency,
    ServiceLevelPackage,
)
from csi.catalog.models.stakeholders import ServiceStakeholder, Stakeholder

__all__ = [
    "DeliveryRole",
    "DeliveryTimeline",
    "OrganisationObjective",
    "PortfolioRisk",
    "Process",
    "RaciAssignment",
    "RoleSkill",
    "Service",
    "ServiceActivity",
    "ServiceDependency",
    "ServiceLevelPackage",
    "ServiceProcess",
    "ServiceStakeholder",
    "ServiceTool",
    "Skill",
    "Stakeholder",
]
