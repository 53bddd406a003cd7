"""The improvement app's API routers (register, plans, initiatives, suggestions), mounted by
csi.api_root. Within each, fixed paths (/register/weights, /initiatives/board) come before the paths
with a number, and the `{action}` transition paths come last."""

from ninja import Router

from csi.improvement.api import initiatives, plans, register, suggestions

router = Router()
router.add_router("", register.router)
router.add_router("", plans.router)
router.add_router("", initiatives.router)
router.add_router("", suggestions.router)

__all__ = ["router"]
