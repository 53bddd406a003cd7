from __future__ import annotations

from typing import Any

from django.http import HttpRequest

import csi
from csi.core.navigation import visible_areas


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    areas = visible_areas(user, request.path) if user is not None and user.is_authenticated else []
    return {"nav_areas": areas, "csi_version": csi.__version__}
