"""Reading YAML documents for imports ("catalog as code"), and reporting what is wrong with them.

Paths may be files or directories (walked for *.yaml and *.yml, in name order). A file may hold several
documents (`---`) and a document may be a list of objects; each object gets a document number within
its file (1-based), which every error quotes with the field path, e.g.
`slos.yaml, document 2, spec.objectives[0].target: must be between 0 and 1`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 10 * 1024 * 1024


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: `2022-01-01 12:00:00` stays the text it is, so documents keep
    their exact values, store as JSON and export unchanged; typed fields parse dates themselves."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
MAX_DOCUMENTS = 10_000


@dataclass(frozen=True)
class Document:
    path: str  # as given, relative names kept so messages match what the user typed
    number: int  # 1-based position of the object in its file
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.data.get("apiVersion", ""))

    @property
    def name(self) -> str:
        metadata = self.data.get("metadata")
        return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""

    def where(self, field_path: str = "") -> str:
        place = f"{self.path}, document {self.number}"
        return f"{place}, {field_path}" if field_path else place


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class DocumentErrors(Exception):
    """Everything wrong with a set of documents; raised before anything is stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(Problem(where, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise DocumentErrors(self.items)


def _files(paths: Iterable[str | Path], problems: Problems) -> list[Path]:
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
            if not found:
                problems.add(str(path), "the folder holds no .yaml or .yml file")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.add(str(path), "no such file or folder")
    return files


def load_text(text: str, path: str, problems: Problems) -> list[Document]:
    """The documents of one YAML text; syntax errors are reported with their line."""
    documents: list[Document] = []
    try:
        loaded = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problems.add(f"{path}{line}", f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
        return documents
    number = 0
    for item in loaded:
        if item is None:
            continue
        for obj in item if isinstance(item, list) else [item]:
            number += 1
            if not isinstance(obj, dict):
                problems.add(
                    f"{path}, document {number}", "expected a mapping with apiVersion, kind and metadata"
                )
                continue
            documents.append(Document(path=path, number=number, data=obj))
    if not documents and not problems.items:
        problems.add(path, "holds no document")
    return documents


def load_documents(paths: Iterable[str | Path], problems: Problems | None = None) -> list[Document]:
    """Every document under `paths`. Raises DocumentErrors for unreadable files, bad YAML, non-mappings."""
    problems = problems or Problems()
    documents: list[Document] = []
    for path in _files(paths, problems):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.add(str(path), f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
                continue
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            problems.add(str(path), f"not UTF-8 text (byte {exc.start})")
            continue
        except OSError as exc:
            problems.add(str(path), f"cannot be read: {exc.strerror}")
            continue
        documents.extend(load_text(text, str(path), problems))
    if len(documents) > MAX_DOCUMENTS:
        problems.add("input", f"more than {MAX_DOCUMENTS} documents in one command")
    problems.raise_if_any()
    return documents


def pydantic_problems(document: Document, exc: Any, prefix: str = "") -> list[Problem]:
    """Turn a pydantic ValidationError on a document into problems with field paths like spec.x[0].y."""
    problems = []
    for error in exc.errors():
        parts: list[str] = []
        for part in error.get("loc", ()):
            if isinstance(part, int):
                parts.append(f"[{part}]")
            else:
                parts.append(("." if parts else "") + str(part))
        field_path = prefix + "".join(parts)
        message = error.get("msg", "invalid")
        problems.append(Problem(document.where(field_path or "(document)"), message))
    return problems


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: str  # "create", "update", "unchanged", "skip"
    detail: str = ""


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do)."""

    dry_run: bool = False
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a reader must know, e.g. "created service api"

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add(self, kind: str, name: str, action: str, detail: str = "") -> None:
        self.changes.append(Change(kind, name, action, detail))

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def changed(self) -> bool:
        return any(change.action in {"create", "update"} for change in self.changes)

    def summary(self) -> str:
        stored = "dry run: nothing stored" if self.dry_run else "stored"
        return (
            f"{self.count('create')} created, {self.count('update')} updated, {self.count('unchanged')} unchanged, "
            f"{self.count('skip')} skipped ({stored})."
        )


def check_duplicates(documents: list[Document], identity: Any, problems: Problems) -> list[Document]:
    """Drop exact repeats; report two different documents with the same identity (`identity(doc)`)."""
    seen: dict[Any, Document] = {}
    unique = []
    for document in documents:
        key = identity(document)
        first = seen.get(key)
        if first is None:
            seen[key] = document
            unique.append(document)
        elif first.data != document.data:
            problems.add(
                document.where("metadata.name"),
                f"'{document.name}' is also defined, differently, in {first.where()}",
            )
    return unique


def decode_upload(name: str, raw: bytes, problems: Problems) -> str | None:
    """An uploaded file's text (UTF-8, with or without BOM), or None with the problem recorded."""
    if len(raw) > MAX_FILE_BYTES:
        problems.add(name, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(name, f"not UTF-8 text (byte {exc.start})")
        return None


def documents_from_texts(texts: list[tuple[str, str]], problems: Problems | None = None) -> list[Document]:
    """The documents of uploaded YAML texts ((file name, text) pairs); raises DocumentErrors."""
    problems = problems or Problems()
    documents = [doc for name, text in texts for doc in load_text(text, name, problems)]
    problems.raise_if_any()
    return documents
