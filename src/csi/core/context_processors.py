from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

import csi
from csi.core.navigation import visible_areas
from csi.core.selectors import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    areas = visible_areas(user, request.path) if signed_in else []
    # A callable, so the count is queried only when a template shows the navigation (not for
    # partials), and at most once per response.
    unread = cache(lambda: unread_count(user)) if signed_in else (lambda: 0)
    return {"nav_areas": areas, "nav_unread_notifications": unread, "csi_version": csi.__version__}
