"""The catalog's API routers, mounted by csi.api.main."""

from ninja import Router

from csi.catalog.api import directory, parts, services

router = Router(tags=["catalog"])
router.add_router("", services.router)
router.add_router("", parts.router)
router.add_router("", directory.router)

__all__ = ["router"]
