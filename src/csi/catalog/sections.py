"""Sections other apps add to the service page (standards, measures, plans...), so the catalog page shows
them without the catalog importing those apps. Each app registers from its AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ServiceSection:
    anchor: str
    title: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (request, service) -> template context
    order: int = 100


_sections: dict[str, ServiceSection] = {}


def register_service_section(section: ServiceSection) -> None:
    _sections[section.anchor] = section


def service_sections() -> list[ServiceSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.title))
