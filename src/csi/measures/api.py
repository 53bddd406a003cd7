"""API endpoints of data sources, mapping profiles, import runs and uploads."""

from ninja import Router

router = Router(tags=["measures"])
