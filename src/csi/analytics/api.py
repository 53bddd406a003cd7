"""API endpoints of the analytics: ticket figures, backlog, attainment, the board, Pareto."""

from ninja import Router

router = Router(tags=["analytics"])
