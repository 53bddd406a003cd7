"""The roles of DESIGN.md. Each is a Django group whose name is the role's value."""

from django.db import models


class Role(models.TextChoices):
    STEERING_COMMITTEE = "steering-committee", "Steering committee member"
    SERVICE_STRATEGY_MANAGER = "service-strategy-manager", "Service strategy manager"
    SERVICE_OWNER = "service-owner", "Service owner"
    PROCESS_OWNER = "process-owner", "Process owner"
    SECURITY_MANAGER = "security-manager", "Security manager"
    CONTINUITY_MANAGER = "continuity-manager", "Continuity manager"
    HR_SKILLS_MANAGER = "hr-skills-manager", "HR / skills manager"
    CONTRIBUTOR = "contributor", "Contributor"
    VIEWER = "viewer", "Viewer (stakeholder)"
    ADMINISTRATOR = "administrator", "Administrator"


ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.STEERING_COMMITTEE: "Approves strategic initiatives and budget requests above the plan owner's limit.",
    Role.SERVICE_STRATEGY_MANAGER: "Maintains the strategic plan; turns suggestions into strategic initiatives.",
    Role.SERVICE_OWNER: "Owns the service improvement plan (SIP) of their services.",
    Role.PROCESS_OWNER: "Owns the process improvement plan of their processes.",
    Role.SECURITY_MANAGER: "Owns the security improvement plan.",
    Role.CONTINUITY_MANAGER: "Owns the continuity improvement plan.",
    Role.HR_SKILLS_MANAGER: "Owns the skill development plan.",
    Role.CONTRIBUTOR: "Raises opportunities and updates the tasks assigned to them.",
    Role.VIEWER: "Reads what is shared with them.",
    Role.ADMINISTRATOR: "Manages users, roles and settings; no business approvals by default.",
}
