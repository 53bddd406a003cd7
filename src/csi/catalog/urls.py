from django.urls import path

from csi.catalog.views import directory, services

app_name = "catalog"
urlpatterns = [
    path("catalog/", services.service_list, name="service_list"),
    path("catalog/new/", services.service_create, name="service_create"),
    path("catalog/import/", directory.catalog_import_page, name="import"),
    path("catalog/stakeholders/", directory.stakeholder_list, name="stakeholder_list"),
    path("catalog/stakeholders/new/", directory.stakeholder_form, name="stakeholder_create"),
    path("catalog/stakeholders/<int:stakeholder_id>/", directory.stakeholder_form, name="stakeholder_edit"),
    path("catalog/processes/", directory.process_list, name="process_list"),
    path("catalog/processes/new/", directory.process_form, name="process_create"),
    path("catalog/processes/<slug:key>/", directory.process_form, name="process_edit"),
    path("catalog/objectives/", directory.objective_list, name="objective_list"),
    path("catalog/objectives/new/", directory.objective_form, name="objective_create"),
    path("catalog/objectives/<int:objective_id>/", directory.objective_form, name="objective_edit"),
    path("catalog/skills/", directory.skill_list, name="skill_list"),
    path("catalog/services/<slug:key>/", services.service_detail, name="service_detail"),
    path("catalog/services/<slug:key>/edit/", services.service_edit, name="service_edit"),
    path("catalog/services/<slug:key>/delete/", services.service_delete, name="service_delete"),
    path("catalog/services/<slug:key>/<slug:verb>/", services.service_transition, name="service_transition"),
    path("catalog/services/<slug:key>/parts/<slug:kind>/", services.part_add, name="part_add"),
    path(
        "catalog/services/<slug:key>/parts/<slug:kind>/<int:part_id>/delete/",
        services.part_delete,
        name="part_delete",
    ),
]
