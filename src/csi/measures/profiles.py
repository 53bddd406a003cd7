"""Mapping profiles: how a source tool's export file becomes canonical events, samples or answers.

A profile is a YAML document (`kind: MappingProfile`) that says, with no code, how to read the file
(format, delimiter, quote, encoding, header, null markers, timestamp formats) and which column holds each
canonical field (`csi.measures.schema`). Built-in profiles ship in `profiles/` beside this module.

    apiVersion: csi-workbench/v1
    kind: MappingProfile
    metadata: {name: servicenow-incident-event-log}
    spec:
      name: ServiceNow incident event log
      sourceKind: ticket_events
      format: {type: csv, delimiter: ",", encoding: utf-8}
      nullValues: ["?"]
      timestamps: {formats: ["%d/%m/%Y %H:%M"]}
      fields:
        ticket_id: number
        event_at: sys_updated_at
        sla_flag: {column: made_sla, trueValues: ["true"], falseValues: ["false"]}
      states: {new: [New], resolved: [Resolved], closed: [Closed]}

Duplicate column names in a header are kept apart by position: the second `Labels` is `Labels (2)`.
A field map may also carry a value map (`values`, `unmapped`), derive the field from an `expression`
(`csi.measures.derived`) and name the `history` a report grouping by the field counts. docs/profiles.md
is the reference of every key (a test saves and imports its example).
"""

from __future__ import annotations

import codecs
import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from csi.core.documents import Document, DocumentErrors, Problems, load_text, pydantic_problems
from csi.measures.derived import DERIVABLE, check_value_expression, fields_of
from csi.measures.schema import (
    ANSWER_COLUMNS,
    EVENT_COLUMNS,
    SAMPLE_COLUMNS,
)

BUILTIN_DIR = Path(__file__).parent / "profiles"
KEY = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
SOURCE_KINDS = ("ticket_events", "ticket_snapshots", "metric_samples", "survey_answers")
# Canonical fields a profile may map, per source kind, and those it must map.
MAPPABLE: dict[str, set[str]] = {
    "ticket_events": set(EVENT_COLUMNS) - {"line"},
    "ticket_snapshots": set(EVENT_COLUMNS) - {"line"},
    "metric_samples": set(SAMPLE_COLUMNS) - {"line"},
    "survey_answers": set(ANSWER_COLUMNS) - {"line"},
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "ticket_events": ("ticket_id", "event_at"),
    "ticket_snapshots": ("ticket_id", "event_at"),
    "metric_samples": ("metric", "sampled_at"),
    "survey_answers": ("answered_at", "score"),
}
DEFAULT_TRUE = ("true", "yes", "y", "t", "1")
DEFAULT_FALSE = ("false", "no", "n", "f", "0")
# strptime directives DuckDB understands; anything else in a format is refused up front.
_DIRECTIVES = set("aAbBcdHIjmMpSfyYzZgGuUVwWxX%")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FileFormat(Strict):
    type: Literal["csv", "xlsx", "json", "ndjson"] = "csv"
    delimiter: str = Field(",", min_length=1, max_length=1)
    quote: str = Field('"', max_length=1)
    escape: str = Field('"', max_length=1)
    encoding: str = "utf-8"
    header: bool = True
    columns: list[str] = Field(default_factory=list, max_length=1000)
    skip_rows: int = Field(0, alias="skipRows", ge=0, le=1000)
    sheet: str | None = Field(None, max_length=100)
    member: str | None = Field(None, max_length=300, description="In a zip: the file to read (a glob)")

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            return codecs.lookup(value).name
        except LookupError:
            raise ValueError(
                f"'{value}' is not a known encoding (try utf-8, utf-16, latin-1, cp1252)"
            ) from None

    @model_validator(mode="after")
    def _columns_without_header(self) -> FileFormat:
        if self.type == "csv" and not self.header and not self.columns:
            raise ValueError("a CSV without a header row needs its column names in `columns`")
        return self


HISTORIES = ("last", "first", "ever")
History = Literal["last", "first", "ever"]


class FieldMap(Strict):
    """Where a canonical field comes from: a file `column`, or an `expression` over other fields (a
    derived field, `csi.measures.derived`); then its text goes through `values` (source value -> stored
    value, several sources to one; an unmapped value is kept, made null or refused, per `unmapped`).
    `history` says which value of a ticket's history a report grouping by the bare field counts."""

    column: str = Field("", max_length=300)
    expression: str = Field("", max_length=2000)
    optional: bool = False
    true_values: list[str] = Field(default_factory=lambda: list(DEFAULT_TRUE), alias="trueValues")
    false_values: list[str] = Field(default_factory=lambda: list(DEFAULT_FALSE), alias="falseValues")
    values: dict[str, str] = Field(default_factory=dict, max_length=1000)
    unmapped: Literal["keep", "null", "reject"] = "keep"
    history: History = "last"

    @field_validator("expression")
    @classmethod
    def _safe_expression(cls, value: str) -> str:
        if value:
            check_value_expression(value)  # a RuleError is a ValueError: pydantic reports it at its path
        return value

    @model_validator(mode="after")
    def _one_source(self) -> FieldMap:
        if bool(self.column) == bool(self.expression):
            raise ValueError("give either a `column` or an `expression` (not both, not neither)")
        return self


def _column_shorthand(value: Any) -> Any:
    """`priority: Priority` is short for `priority: {column: Priority}`."""
    return {"column": value} if isinstance(value, str) else value


FieldEntry = Annotated[FieldMap, BeforeValidator(_column_shorthand)]


class Timestamps(Strict):
    formats: list[str] = Field(default_factory=lambda: ["iso"], min_length=1, max_length=20)
    time_zone: str | None = Field(None, alias="timeZone", max_length=64)

    @field_validator("formats")
    @classmethod
    def _valid_formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            if fmt == "iso":
                continue
            directives = re.findall(r"%(.)", fmt)
            if not directives:
                raise ValueError(
                    f"'{fmt}' has no % directives; use 'iso' or a strptime format such as %d/%m/%Y %H:%M"
                )
            bad = sorted({d for d in directives if d not in _DIRECTIVES})
            if bad:
                raise ValueError(f"'{fmt}' uses unknown directive(s) {', '.join('%' + d for d in bad)}")
        return formats

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"'{value}' is not a known time zone (use an IANA name such as Europe/Paris)"
                ) from None
        return value


class States(Strict):
    new: list[str] = Field(default_factory=list, max_length=100)
    resolved: list[str] = Field(default_factory=list, max_length=100)
    closed: list[str] = Field(default_factory=list, max_length=100)


class ProfileSpec(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    source_kind: Literal["ticket_events", "ticket_snapshots", "metric_samples", "survey_answers"] = Field(
        alias="sourceKind"
    )
    format: FileFormat = Field(default_factory=FileFormat)
    null_values: list[str] = Field(default_factory=lambda: [""], alias="nullValues", max_length=50)
    timestamps: Timestamps = Field(default_factory=Timestamps)
    fields: dict[str, FieldEntry]
    constants: dict[str, str] = Field(default_factory=dict, description="Fields with one value for every row")
    states: States = Field(default_factory=States)

    @model_validator(mode="after")
    def _fields_fit_the_kind(self) -> ProfileSpec:
        allowed = MAPPABLE[self.source_kind]
        unknown = sorted((set(self.fields) | set(self.constants)) - allowed)
        if unknown:
            raise ValueError(
                f"unknown field(s) {', '.join(unknown)} for {self.source_kind}; "
                f"use: {', '.join(sorted(allowed))}"
            )
        missing = [f for f in REQUIRED[self.source_kind] if f not in self.fields and f not in self.constants]
        if missing:
            raise ValueError(f"{self.source_kind} needs a column for {', '.join(missing)}")
        both = sorted(set(self.fields) & set(self.constants))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both a column and a constant")
        self._check_derived()
        return self

    def _check_derived(self) -> None:
        """A derived field is a text attribute (or state) computed from fields read from columns or
        constants: never from itself or another derived field, so the order of evaluation never matters."""
        derived = {name: fm for name, fm in self.mapped().items() if fm.expression}
        for name, fm in sorted(derived.items()):
            if name not in DERIVABLE:
                raise ValueError(
                    f"fields.{name}.expression: only {', '.join(DERIVABLE)} can be derived from an expression"
                )
            if fm.unmapped == "reject":
                raise ValueError(
                    f"fields.{name}.unmapped: reject needs a column (a derived value is never refused)"
                )
            used = sorted(fields_of(fm.expression) & set(derived))
            if used:
                raise ValueError(
                    f"fields.{name}.expression uses the derived field(s) {', '.join(used)}: "
                    "an expression may only use fields read from a column or given as constants"
                )
        for name, fm in sorted(self.mapped().items()):
            if fm.history != "last" and name not in DERIVABLE:
                raise ValueError(
                    f"fields.{name}.history: only {', '.join(DERIVABLE)} have a history a report groups by"
                )

    @field_serializer("fields")
    def _compact_fields(self, fields: dict[str, FieldMap]) -> dict[str, Any]:
        """A field that is only a column is written back as `name: Column`; others with their YAML names
        and without the keys left at their defaults."""
        compact: dict[str, Any] = {}
        for name, field_map in fields.items():
            if field_map.column and field_map == FieldMap(column=field_map.column):
                compact[name] = field_map.column
            else:
                compact[name] = field_map.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return compact

    def field_map(self, name: str) -> FieldMap | None:
        return self.fields.get(name)

    def mapped(self) -> dict[str, FieldMap]:
        return {name: fm for name in self.fields if (fm := self.field_map(name)) is not None}

    @property
    def is_tickets(self) -> bool:
        return self.source_kind in {"ticket_events", "ticket_snapshots"}


class Metadata(Strict):
    name: str = Field(pattern=KEY, max_length=63)


class ProfileDocument(Strict):
    api_version: Literal["csi-workbench/v1"] = Field(alias="apiVersion")
    kind: Literal["MappingProfile"]
    metadata: Metadata
    spec: ProfileSpec


def parse_profile(document: Document, problems: Problems) -> ProfileDocument | None:
    """The validated profile in `document`, or None with every problem added (place and message)."""
    try:
        return ProfileDocument.model_validate(document.data)
    except ValidationError as exc:
        for problem in pydantic_problems(document, exc):
            problems.add(problem.where, problem.message)
        return None


def profile_from_text(text: str, path: str) -> ProfileDocument:
    """Parse one profile from YAML text; raises DocumentErrors saying what is wrong and where."""
    problems = Problems()
    documents = load_text(text, path, problems)
    problems.raise_if_any()
    if len(documents) != 1:
        problems.add(path, f"expected one MappingProfile document, found {len(documents)}")
        problems.raise_if_any()
    profile = parse_profile(documents[0], problems)
    if profile is None:
        raise DocumentErrors(problems.items)
    return profile


def builtin_profiles() -> dict[str, ProfileDocument]:
    """The profiles that ship with CSI Workbench, by name."""
    found: dict[str, ProfileDocument] = {}
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        profile = profile_from_text(path.read_text(encoding="utf-8"), path.name)
        found[profile.metadata.name] = profile
    return found


def profile_to_data(profile: ProfileDocument) -> dict[str, Any]:
    """The document as plain data with its YAML names (for storing and exporting)."""
    data: dict[str, Any] = profile.model_dump(mode="json", by_alias=True, exclude_defaults=False)
    return data
