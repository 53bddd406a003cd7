"""Models of the improvement app: the CSI register, plans, initiatives (see each module)."""

from csi.improvement.models.initiatives import (
    BaselineValue,
    Initiative,
    InitiativeObjective,
    InitiativeRisk,
    Responsibility,
    Suggestion,
    Task,
    TimelineEntry,
)
from csi.improvement.models.plans import Plan, PlanObjective, PriorityWeights
from csi.improvement.models.register import Evidence, Opportunity

__all__ = [
    "BaselineValue",
    "Evidence",
    "Initiative",
    "InitiativeObjective",
    "InitiativeRisk",
    "Opportunity",
    "Plan",
    "PlanObjective",
    "PriorityWeights",
    "Responsibility",
    "Suggestion",
    "Task",
    "TimelineEntry",
]
