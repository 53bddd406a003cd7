"""URL map: pages per app, the API at /api/v1/, Django's admin at /django-admin/."""

from django.contrib import admin
from django.urls import include, path

from csi import views
from csi.api_root import api

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("csi.accounts.urls")),
    path("", include("csi.core.urls")),
    path("", include("csi.catalog.urls")),
    path("", include("csi.standards.urls")),
    path("", include("csi.measures.urls")),
    path("", include("csi.analytics.urls")),
    path("", include("csi.improvement.urls")),
    path("api/v1/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "csi.views.bad_request"
handler403 = "csi.views.permission_denied"
handler404 = "csi.views.page_not_found"
handler500 = "csi.views.server_error"
