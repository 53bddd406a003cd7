from django.urls import path

from csi.core import views

app_name = "core"
urlpatterns = [
    path("admin/audit/", views.audit_log, name="audit_log"),
]
