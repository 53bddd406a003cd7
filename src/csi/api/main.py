"""The NinjaAPI instance mounted at /api/v1/. Each app contributes a router from its api.py."""

from __future__ import annotations

from ninja import NinjaAPI

import csi
from csi.accounts.api import router as accounts_router
from csi.analytics.api import router as analytics_router
from csi.api import errors
from csi.api.auth import SessionAuth, TokenAuth
from csi.catalog.api import router as catalog_router
from csi.core.api import router as core_router
from csi.improvement.api import router as improvement_router
from csi.measures.api import router as measures_router
from csi.standards.api import router as standards_router

api = NinjaAPI(
    title="CSI Workbench API",
    version=csi.__version__,
    description=(
        "Continual Service Improvement for IT service management. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens on your profile page or with `csi token create`), "
        "or with the browser session plus the `X-CSRFToken` header on writes. Every error answers "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)
api.add_router("", core_router)
api.add_router("", accounts_router)
api.add_router("", catalog_router)
api.add_router("", standards_router)
api.add_router("", measures_router)
api.add_router("", analytics_router)
api.add_router("", improvement_router)
