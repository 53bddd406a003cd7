"""The catalog's API routers, mounted by csi.api_root."""

from ninja import Router

from csi.catalog.api import directory, parts, services, transfer

router = Router(tags=["catalog"])
router.add_router("", services.router)
router.add_router("", parts.router)
router.add_router("", directory.router)
router.add_router("", transfer.router)

__all__ = ["router"]
