"""`catalog_export`: the catalog as CSI Workbench YAML documents that import back to the same state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from csi.catalog import selectors
from csi.catalog.models import OrganisationObjective, Process, Service, Stakeholder

API = "csi-workbench/v1"


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def _service(service: Service) -> dict[str, Any]:
    roles = list(service.delivery_roles.prefetch_related("skills__skill"))
    activities = list(service.activities.prefetch_related("assignments__role"))
    return {
        "apiVersion": API,
        "kind": "Service",
        "metadata": {"name": service.key},
        "spec": {
            "name": service.name,
            "description": service.description,
            "category": service.category,
            "type": service.service_type,
            "lifecycle": service.lifecycle_status,
            "tier": service.tier,
            "tierReason": service.tier_reason,
            "owner": service.owner.username if service.owner else None,
            "owningTeam": service.owning_team.name if service.owning_team else None,
            "charging": {
                "model": service.charging_model,
                "price": _number(service.price),
                "currency": service.currency,
                "unit": service.price_unit,
            },
            "portfolio": {
                "priority": service.portfolio_priority,
                "strengths": service.strengths,
                "weaknesses": service.weaknesses,
                "risks": [
                    {
                        "title": r.title,
                        "likelihood": r.likelihood,
                        "impact": r.impact,
                        "description": r.description,
                        "mitigation": r.mitigation,
                    }
                    for r in service.risks.order_by("title")
                ],
            },
            "packages": [
                {"name": p.name, "rank": p.rank, "description": p.description}
                for p in service.packages.order_by("rank", "name")
            ],
            "timelines": [
                {
                    "requestType": t.request_type,
                    "leadTimeHours": _number(t.lead_time_hours),
                    "description": t.description,
                }
                for t in service.timelines.order_by("request_type")
            ],
            "dependsOn": [
                {"service": d.depends_on.key, "description": d.description}
                for d in service.dependencies.select_related("depends_on").order_by("depends_on__key")
            ],
            "stakeholders": [
                {
                    "stakeholder": s.stakeholder.name,
                    "relation": s.relation,
                    "importance": s.importance,
                    "impact": s.impact,
                    "interest": s.interest,
                    "influence": s.influence,
                    "notes": s.notes,
                }
                for s in service.stakeholder_links.select_related("stakeholder").order_by(
                    "stakeholder__name", "relation"
                )
            ],
            "delivery": {
                "processes": [
                    {"process": p.process.key, "notes": p.notes}
                    for p in service.process_links.select_related("process").order_by("process__key")
                ],
                "roles": [
                    {
                        "name": r.name,
                        "description": r.description,
                        "skills": sorted(
                            ({"skill": s.skill.name, "level": s.level} for s in r.skills.all()),
                            key=lambda x: x["skill"],
                        ),
                    }
                    for r in roles
                ],
                "activities": [
                    {
                        "name": a.name,
                        "raci": {
                            c.role.name: c.letter
                            for c in sorted(a.assignments.all(), key=lambda c: c.role.name)
                        },
                    }
                    for a in activities
                ],
                "tools": [
                    {"name": t.name, "kind": t.kind, "description": t.description}
                    for t in service.tools.order_by("name")
                ],
            },
        },
    }


def catalog_export(*, actor: Any) -> list[dict[str, Any]]:
    """Stakeholders, processes, objectives and services (with all their parts), in a stable order."""
    selectors.service_list(actor=actor)  # read permission
    documents: list[dict[str, Any]] = []
    for s in Stakeholder.objects.order_by("name"):
        documents.append(
            {
                "apiVersion": API,
                "kind": "Stakeholder",
                "metadata": {"name": s.name},
                "spec": {
                    "kind": s.kind,
                    "description": s.description,
                    "contactName": s.contact_name,
                    "contactEmail": s.contact_email,
                    "contactPhone": s.contact_phone,
                    "informChannel": s.inform_channel,
                    "informFrequency": s.inform_frequency,
                },
            }
        )
    for p in Process.objects.select_related("owner").order_by("key"):
        documents.append(
            {
                "apiVersion": API,
                "kind": "Process",
                "metadata": {"name": p.key},
                "spec": {
                    "name": p.name,
                    "description": p.description,
                    "owner": p.owner.username if p.owner else None,
                },
            }
        )
    for o in OrganisationObjective.objects.select_related("owner").order_by("name"):
        documents.append(
            {
                "apiVersion": API,
                "kind": "Objective",
                "metadata": {"name": o.name},
                "spec": {
                    "description": o.description,
                    "owner": o.owner.username if o.owner else None,
                    "periodStart": o.period_start_date.isoformat(),
                    "periodEnd": o.period_end_date.isoformat(),
                },
            }
        )
    for service in Service.objects.select_related("owner", "owning_team").order_by("key"):
        documents.append(_service(service))
    return documents
