"""Choices of the catalog, and the lifecycle transition table."""

from django.db import models


class ServiceType(models.TextChoices):
    BUSINESS = "business", "Business service"
    TECHNICAL = "technical", "Technical service"
    INTERNAL = "internal", "Internal service"


class LifecycleStatus(models.TextChoices):
    PIPELINE = "pipeline", "Pipeline"
    LIVE = "live", "Live"
    RETIRED = "retired", "Retired"


# status -> the statuses it may move to, and the verb of the move
LIFECYCLE_TRANSITIONS: dict[str, dict[str, str]] = {
    LifecycleStatus.PIPELINE: {LifecycleStatus.LIVE: "go_live", LifecycleStatus.RETIRED: "retire"},
    LifecycleStatus.LIVE: {LifecycleStatus.RETIRED: "retire"},
    LifecycleStatus.RETIRED: {LifecycleStatus.LIVE: "reinstate"},
}


class ChargingModel(models.TextChoices):
    FREE = "free", "Free"
    FIXED = "fixed", "Fixed price"
    PER_UNIT = "per_unit", "Per unit"
    TIERED = "tiered", "Tiered"


class StakeholderKind(models.TextChoices):
    INTERNAL_TEAM = "internal_team", "Internal team"
    EXTERNAL_CUSTOMER = "external_customer", "External customer"
    SUPPLIER = "supplier", "Supplier"
    SPONSOR = "sponsor", "Sponsor"


class StakeholderRelation(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    USER = "user", "User"
    SPONSOR = "sponsor", "Sponsor"
    SUPPLIER = "supplier", "Supplier"


class InformChannel(models.TextChoices):
    EMAIL = "email", "Email"
    REPORT = "report", "Report"
    MEETING = "meeting", "Meeting"
    PORTAL = "portal", "Portal / dashboard"
    NEWSLETTER = "newsletter", "Newsletter"


class InformFrequency(models.TextChoices):
    ON_CHANGE = "on_change", "When something changes"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Raci(models.TextChoices):
    RESPONSIBLE = "R", "Responsible"
    ACCOUNTABLE = "A", "Accountable"
    CONSULTED = "C", "Consulted"
    INFORMED = "I", "Informed"


class ToolKind(models.TextChoices):
    TOOL = "tool", "Tool"
    TECHNOLOGY = "technology", "Technology"
    PLATFORM = "platform", "Platform"
