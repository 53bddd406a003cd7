from django.urls import path

from csi.standards import views

app_name = "standards"
urlpatterns = [
    path("standards/", views.standard_list, name="standard_list"),
    path("standards/import/", views.standards_import_page, name="import"),
    path("standards/calendars/", views.calendar_list, name="calendar_list"),
    path("standards/calendars/new/", views.calendar_form, name="calendar_create"),
    path("standards/calendars/<slug:key>/", views.calendar_form, name="calendar_edit"),
    path("standards/new/<slug:service_key>/", views.standard_create, name="standard_create"),
    path("standards/hours/<slug:service_key>/", views.service_hours, name="service_hours"),
    path("standards/<str:key>/", views.standard_detail, name="standard_detail"),
    path("standards/<str:key>/revise/", views.standard_revise, name="standard_revise"),
    path(
        "standards/<str:key>/versions/<int:number>/withdraw/",
        views.standard_version_withdraw,
        name="version_withdraw",
    ),
]
