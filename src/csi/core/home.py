"""What the signed-in user must act on: each app registers a provider of action items for the home page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ActionItem:
    title: str
    detail: str
    url: str
    link_text: str
    urgency: str = "normal"  # "normal" or "high"
    group: str = ""  # "decision": listed under "Waiting for your decision" on the home page


Provider = Callable[[Any], Iterable[ActionItem]]
_providers: list[Provider] = []


def register_action_provider(provider: Provider) -> Provider:
    """Add a provider (called with the user, returns action items). Apps call it from AppConfig.ready."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def action_items(user: Any) -> list[ActionItem]:
    """Every provider's items for the user, the urgent ones first."""
    items = [item for provider in _providers for item in provider(user)]
    return sorted(items, key=lambda item: item.urgency != "high")
