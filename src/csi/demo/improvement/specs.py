"""What the demo's improvement part says, as data: the six plans, the shapes of the initiatives (in
`initiatives`), and the initiative made from the CSI register.

Only words and intentions live here. Every figure (baselines, targets, the register entries' numbers)
is read from the ticket data the demo imported, in `csi.demo.improvement.load` and `.register`: a
KPI's target is set `share` of the way from its baseline towards its goal (a standard's target; for a
ticket measure, the best value it can take), so it always improves on where we are now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csi.improvement.choices import PlanKind


@dataclass(frozen=True)
class PlanSpec:
    key: str
    kind: str
    name: str
    owner: str
    creator: str
    budget_limit: int
    scope: str
    vision: str
    objectives: tuple[tuple[str, str, str], ...]  # (title, description, organisation objective name)
    maintainer: str = ""
    services: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kpi:
    title: str
    objective: str  # the title of the plan objective it serves
    standard: str = ""  # a standard's key (its attainment), or
    measure: str = ""  # a ticket measure of `service`
    service: str = ""
    share: float = 1.0  # of the way from the baseline to the goal
    due_days: int = 270  # after the plan period starts
    target: float | None = None  # the target of an initiative that takes no baseline


@dataclass(frozen=True)
class Step:
    """A transition taken by `by` (a demo username), or a status update (action "status"); `note` is the
    transition's reason or the status update's note."""

    action: str
    by: str
    note: str = ""
    amount: int | None = None  # fund: None funds what was requested
    outcome: str = ""
    health: str = ""
    percent: int = 0


@dataclass(frozen=True)
class InitiativeSpec:
    plan: str
    title: str
    owner: str
    creator: str
    summary: str
    scope: str
    approach: str
    expected_benefits: str
    budget: int
    kpis: tuple[Kpi, ...]
    steps: tuple[Step, ...]
    tasks: tuple[tuple[str, str, int, int, int, bool], ...]  # title, owner, due day, hours, % done, milestone
    risks: tuple[tuple[str, int, int, str, str], ...]  # description, likelihood, impact, mitigation, owner
    raci: tuple[tuple[str, str, str], ...]  # activity, person, R/A/C/I
    parent: str = ""  # the title of the strategic initiative it carries out part of
    baseline: bool = True  # False: decided on before anyone measured where we are (SMART: not achievable)
    project_reference: str = ""
    evaluation: str = ""
    momentum: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # more initiative fields (e.g. execution_mode)


RELIABLE, SALES, COST = (
    "Reliable digital workplace",
    "Grow online sales by 20%",
    "Cut IT operating cost by 10%",
)

PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        key="strategic-plan",
        kind=PlanKind.STRATEGIC,
        name="Strategic plan",
        owner="sam.steering",
        maintainer="sofia.strategy",
        creator="sofia.strategy",
        budget_limit=0,
        scope="Strategic initiatives of IT: new or much changed services and processes, and capabilities "
        "introduced on a larger scale. The steering committee approves and funds every one of them.",
        vision="An IT organisation whose promises to the business are kept, measured and improved every month.",
        objectives=(
            ("Keep the service desk's promises", "Every service desk SLA met, month after month.", RELIABLE),
            ("Fewer tickets through automation", "Requests fulfilled without a ticket to a person.", COST),
            ("A web shop customers can rely on", "The online shop's incidents fixed within SLA.", SALES),
        ),
    ),
    PlanSpec(
        key="sip-service-desk",
        kind=PlanKind.SERVICE,
        name="Service improvement plan: IT service desk",
        owner="olivia.owner",
        creator="olivia.owner",
        budget_limit=20_000,
        services=("service-desk",),
        scope="The IT service desk: its response and resolution SLAs and the way it works with the "
        "resolver groups.",
        vision="The single point of contact for IT that answers and fixes within what it promised.",
        objectives=(
            ("Meet every service desk SLA", "Response and resolution SLAs met for every priority.", RELIABLE),
        ),
    ),
    PlanSpec(
        key="process-improvement",
        kind=PlanKind.PROCESS,
        name="Process improvement plan: incident and problem management",
        owner="peter.process",
        creator="peter.process",
        budget_limit=15_000,
        processes=("incident-management", "problem-management", "request-fulfilment"),
        scope="Incident management, problem management and request fulfilment, as the service desk and "
        "the resolver groups run them.",
        vision="Incidents resolved at the first contact where possible, and by the right group first time.",
        objectives=(
            ("Resolve at the first contact", "More incidents closed by the service desk itself.", RELIABLE),
            ("Fewer hand-offs between groups", "Incidents routed to the right group first time.", COST),
        ),
    ),
    PlanSpec(
        key="security-improvement",
        kind=PlanKind.SECURITY,
        name="Security improvement plan",
        owner="sean.security",
        creator="sean.security",
        budget_limit=25_000,
        services=("identity", "security-monitoring"),
        scope="Controls that span services: identity and access, security monitoring and response.",
        vision="Threats detected and handled before they disrupt anyone's work.",
        objectives=(
            ("Faster security response", "Security and identity incidents handled quickly.", RELIABLE),
        ),
    ),
    PlanSpec(
        key="continuity-improvement",
        kind=PlanKind.CONTINUITY,
        name="Continuity improvement plan",
        owner="carla.continuity",
        creator="carla.continuity",
        budget_limit=30_000,
        services=("backup", "hosting"),
        scope="Recovery of the hosting platform and of data after a disruptive event.",
        vision="Every critical service back within its recovery time objective, proven by drills.",
        objectives=(("Recover quickly from disruptions", "Restores and recoveries that work.", RELIABLE),),
    ),
    PlanSpec(
        key="skill-development",
        kind=PlanKind.SKILLS,
        name="Skill development plan",
        owner="hana.skills",
        creator="hana.skills",
        budget_limit=10_000,
        services=("service-desk",),
        scope="The skills the service desk and the resolver groups need to meet the service levels.",
        vision="People who can resolve what reaches them, and who know where to find what they cannot.",
        objectives=(("Skilled first-line people", "The skills to resolve at the first line.", RELIABLE),),
    ),
)

# The SIP initiative created by accepting the worst breach from the register: its KPIs are the standards
# of the entries accepted into it, found in the data (see csi.demo.improvement.register).
FROM_REGISTER = InitiativeSpec(
    plan="sip-service-desk",
    title="Meet the service desk's worst-kept SLAs",
    owner="chris.contributor",
    creator="olivia.owner",
    parent="Service desk transformation",
    summary="",  # the accepted entry's description
    scope="Incidents of the priorities whose SLAs were missed most, from logging to resolution.",
    approach="Swarm on open high-priority incidents; an on-call resolver per group; daily breach review.",
    expected_benefits="Fewer SLA penalties and fewer escalations from the business.",
    budget=12_000,
    kpis=(),
    steps=(
        Step("propose", "chris.contributor"),
        Step("approve", "olivia.owner"),
        Step("request-budget", "chris.contributor"),
        Step("fund", "olivia.owner"),
    ),
    tasks=(
        ("Breach review of the last quarter's incidents", "chris.contributor", 30, 24, 0, False),
        ("On-call rota for every resolver group", "olivia.owner", 60, 40, 0, False),
        ("Swarming trial", "chris.contributor", 120, 80, 0, False),
        ("Go/no-go on the new way of working", "olivia.owner", 150, 4, 0, True),
    ),
    risks=(
        ("Resolver groups cannot staff the on-call rota", 3, 4, "Rota shared across groups.", "olivia.owner"),
    ),
    raci=(
        ("Breach review", "chris.contributor", "R"),
        ("Breach review", "olivia.owner", "A"),
        ("On-call rota", "peter.process", "C"),
        ("Progress", "sofia.strategy", "I"),
    ),
)
