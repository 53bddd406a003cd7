from django.urls import path

from csi.measures.views import profiles, runs, sources

app_name = "measures"
urlpatterns = [
    path("measures/", sources.overview, name="overview"),
    path("measures/sources/new/", sources.source_create, name="source_create"),
    path("measures/sources/<str:key>/", sources.source_detail, name="source_detail"),
    path("measures/sources/<str:key>/edit/", sources.source_edit, name="source_edit"),
    path("measures/sources/<str:key>/rules/", sources.rule_add, name="rule_add"),
    path("measures/sources/<str:key>/import/", runs.upload, name="upload"),
    path("measures/rules/<int:pk>/edit/", sources.rule_edit, name="rule_edit"),
    path("measures/rules/<int:pk>/delete/", sources.rule_delete, name="rule_delete"),
    path("measures/runs/", runs.run_list, name="run_list"),
    path("measures/runs/<int:pk>/", runs.run_detail, name="run_detail"),
    path("measures/runs/<int:pk>/rejects.csv", runs.rejects_csv, name="rejects_csv"),
    path("measures/runs/<int:pk>/delete/", runs.batch_delete, name="batch_delete"),
    path("measures/profiles/", profiles.profile_list, name="profile_list"),
    path("measures/profiles/new/", profiles.profile_create, name="profile_create"),
    path("measures/profiles/<str:key>/", profiles.profile_detail, name="profile_detail"),
    path("measures/profiles/<str:key>/edit/", profiles.profile_edit, name="profile_edit"),
    path("measures/profiles/<str:key>/delete/", profiles.profile_delete, name="profile_delete"),
]
