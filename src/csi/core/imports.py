"""Running a catalog or standards import from uploaded files: the one code path behind the import page
and the import endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csi.core.documents import (
    DocumentErrors,
    ImportReport,
    Problem,
    Problems,
    decode_upload,
    documents_from_texts,
)

YamlImporter = Callable[..., ImportReport]
CsvImporter = Callable[..., ImportReport] | None


def import_uploads(
    *,
    actor: Any,
    uploads: list[tuple[str, bytes]],
    dry_run: bool,
    yaml_importer: YamlImporter,
    csv_importer: CsvImporter = None,
) -> ImportReport:
    """Decode the files and run the importer on them (CSV files through `csv_importer`). A file that is
    not UTF-8, too large, or of the other kind than its neighbours is a problem; DocumentErrors then."""
    problems = Problems()
    if not uploads:
        problems.add("upload", "choose at least one file")
    texts = [
        (name, text) for name, raw in uploads if (text := decode_upload(name, raw, problems)) is not None
    ]
    problems.raise_if_any()
    csv_texts = [(n, t) for n, t in texts if n.lower().endswith(".csv")]
    yaml_texts = [(n, t) for n, t in texts if not n.lower().endswith(".csv")]
    if csv_texts and csv_importer is None:
        raise DocumentErrors(
            [Problem(name, "CSV is for services: import it into the catalog") for name, _ in csv_texts]
        )
    if csv_texts and yaml_texts:
        raise DocumentErrors([Problem("upload", "import CSV and YAML files separately")])
    if csv_texts and csv_importer is not None:
        return csv_importer(actor=actor, texts=csv_texts, dry_run=dry_run)
    return yaml_importer(actor=actor, documents=documents_from_texts(yaml_texts), dry_run=dry_run)
