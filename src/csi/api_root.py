"""The NinjaAPI instance mounted at /api/v1/: project wiring, like urls.py, so it may import every app.

Each app contributes a router from its api.py; the API kit below the apps (`csi.api`: errors, pagination,
shared schemas, session auth) depends on `core` alone, and token authentication lives in `accounts`."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

import csi
from csi.accounts.api import router as accounts_router
from csi.accounts.auth import TokenAuth
from csi.analytics.api import router as analytics_router
from csi.api import errors
from csi.api.auth import SessionAuth
from csi.catalog.api import router as catalog_router
from csi.core.api import router as core_router
from csi.improvement.api import router as improvement_router
from csi.measures.api import router as measures_router
from csi.standards.api import router as standards_router


class CsiAPI(NinjaAPI):
    """NinjaAPI with the OpenAPI document built once per path prefix: the routes are fixed once the
    URLconf is loaded, and building the document takes seconds (it would on every GET of openapi.json)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._schemas: dict[str, Any] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._schemas:
            self._schemas[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._schemas[path_prefix]


api = CsiAPI(
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
