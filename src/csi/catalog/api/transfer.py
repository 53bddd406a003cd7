"""Catalog import (uploaded YAML or CSV) and export endpoints."""

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile

from csi.api.errors import ERROR_RESPONSES
from csi.api.imports import ImportReportOut, report_out
from csi.catalog.imports import catalog_export, catalog_import
from csi.catalog.imports.csv_io import services_csv_export, services_csv_import
from csi.core.cli import dump_yaml
from csi.core.imports import import_uploads

router = Router(tags=["catalog as code"])


@router.post(
    "/catalog/import", response={200: ImportReportOut, **ERROR_RESPONSES}, summary="Import catalog files"
)
def catalog_import_upload(request: HttpRequest, files: File[list[UploadedFile]], dry_run: Form[bool] = False):
    """Backstage catalog-info.yaml and CSI Workbench YAML (or CSV service lists, named *.csv). Everything is
    validated first: any problem answers 422 with one field per location (file, document, field path)
    and nothing is stored. With `dry_run` the answer says what would change. Catalog managers only."""
    uploads = [(f.name or "upload.yaml", f.read()) for f in files]
    report = import_uploads(
        actor=request.user,
        uploads=uploads,
        dry_run=dry_run,
        yaml_importer=catalog_import,
        csv_importer=services_csv_import,
    )
    return report_out(report)


@router.get("/catalog/export", response={200: None, **ERROR_RESPONSES}, summary="Export the catalog")
def catalog_export_download(request: HttpRequest, format: str = Query("yaml", pattern="^(yaml|csv)$")):
    """The catalog as CSI Workbench YAML (`format=yaml`, imports back to the same state) or services as CSV."""
    if format == "csv":
        return HttpResponse(services_csv_export(actor=request.user), content_type="text/csv; charset=utf-8")
    return HttpResponse(
        dump_yaml(catalog_export(actor=request.user)), content_type="application/yaml; charset=utf-8"
    )
