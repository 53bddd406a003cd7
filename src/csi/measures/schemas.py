"""API schemas of mapping profiles, data sources, service mapping rules, import runs and uploads."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import StrictInt

from csi.api.schemas import InSchema
from csi.measures.choices import BatchStatus, ImportMode, RuleField, SourceKind

KEY = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
SERVICE_KEY = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
# A profile's YAML is a small document; this bounds what one request makes the parser read.
MAX_PROFILE_CHARS = 200_000
# max_rejects is a count of records; more than a billion would be a typo, not a tolerance.
MAX_REJECTS = 1_000_000_000


class MappingProfileSummaryOut(Schema):
    key: str
    name: str
    source_kind: SourceKind
    builtin: bool
    created_at: datetime
    updated_at: datetime


class MappingProfileOut(MappingProfileSummaryOut):
    document: dict[str, Any] = Field(description="The validated profile, with its YAML field names")


class MappingProfileIn(InSchema):
    yaml: str = Field(
        min_length=1,
        max_length=MAX_PROFILE_CHARS,
        description="One MappingProfile document (YAML); its metadata.name is the profile's key",
    )


class DataSourceOut(Schema):
    key: str
    name: str
    kind: SourceKind
    profile: str
    time_zone: str
    description: str
    created_at: datetime

    @staticmethod
    def resolve_profile(obj: Any) -> str:
        return str(obj.profile.key)


class DataSourceIn(InSchema):
    key: str = Field(pattern=KEY, max_length=63)
    name: str = Field("", max_length=200, description="Default: the key")
    profile: str = Field(pattern=KEY, max_length=63, description="Key of the mapping profile")
    time_zone: str = Field("UTC", min_length=1, max_length=64, description="Of naive timestamps in its files")
    description: str = Field("", max_length=2000)


class DataSourcePatch(InSchema):
    name: str | None = Field(None, min_length=1, max_length=200)
    profile: str | None = Field(None, pattern=KEY, max_length=63)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=2000)


class MappingRuleOut(Schema):
    id: int
    source: str
    service: str
    position: int
    field: str = Field(description="Empty for an expression rule")
    values: list[str]
    expression: str
    created_at: datetime

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(obj.source.key)

    @staticmethod
    def resolve_service(obj: Any) -> str:
        return str(obj.service.key)


RuleValues = list[Annotated[str, Field(min_length=1, max_length=300)]]


class MappingRuleIn(InSchema):
    service: str = Field(pattern=SERVICE_KEY, max_length=63, description="Key of the catalog service")
    field: RuleField | None = Field(None, description="With `values`; or give an `expression`")
    values: RuleValues = Field(default_factory=list, max_length=1000)
    expression: str = Field("", max_length=1000, description="A safe expression over the ticket's fields")
    position: StrictInt = Field(0, ge=0, le=1_000_000)


class MappingRulePatch(InSchema):
    service: str | None = Field(None, pattern=SERVICE_KEY, max_length=63)
    field: RuleField | None = None
    values: RuleValues | None = Field(None, max_length=1000)
    expression: str | None = Field(None, max_length=1000)
    position: StrictInt | None = Field(None, ge=0, le=1_000_000)


class ImportRunOut(Schema):
    id: int
    source: str
    status: BatchStatus
    profile: str = Field(description="The profile the file was read with")
    file_name: str
    file_size: int
    file_sha256: str
    summary: str = Field(description="The run in one line; a run that stored nothing says so first")
    stored_nothing: bool = Field(description="True unless the run committed (or committed and was deleted)")
    rows_read: int
    events: int = Field(description="Records stored (events, samples or answers); 0 when it stored nothing")
    tickets: int = Field(description="Tickets of the stored records; 0 when it stored nothing")
    valid: int = Field(description="Records of the file that passed every check, each once")
    rejected: int
    repeated: int = Field(description="Records identical to an earlier record of the file, stored once")
    mode: ImportMode = Field(
        description="Ticket events: merge (add what is new) or replace (the file's tickets get exactly its events)"
    )
    new_events: int = Field(description="Events the source did not hold before")
    seen_events: int = Field(description="Events the source already held (stored once, where they were)")
    gaining_tickets: int = Field(description="Tickets that gained events")
    removed_events: int = Field(
        description="Replace mode: events of the file's tickets hidden because the file lacks them"
    )
    max_rejects: int
    first_at: datetime | None
    last_at: datetime | None
    message: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    imported_by: str
    deleted_at: datetime | None

    @staticmethod
    def resolve_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_source(obj: Any) -> str:
        return str(obj.source.key)

    @staticmethod
    def resolve_profile(obj: Any) -> str:
        return str(obj.profile_key)

    @staticmethod
    def resolve_imported_by(obj: Any) -> str:
        return str(obj.actor_label)

    @staticmethod
    def resolve_events(obj: Any) -> int:
        return int(obj.stored_records)

    @staticmethod
    def resolve_tickets(obj: Any) -> int:
        return int(obj.stored_tickets)

    @staticmethod
    def resolve_valid(obj: Any) -> int:
        return int(obj.valid_records)


class ImportRunFilter(Schema):
    source: str | None = Field(None, pattern=KEY, max_length=63, description="A data source's key")
    status: BatchStatus | None = None


class ImportRejectOut(Schema):
    line: int | None = Field(description="Line in the file (header = 1); none when not known")
    column: str
    value: str
    reason: str


class ImportOutcomeOut(Schema):
    """What an upload did: committed (201, with the run), dry-run (with preview rows) or duplicate."""

    status: str = Field(description="committed, dry-run or duplicate")
    source: str
    file_name: str
    run: ImportRunOut | None = Field(description="The run recorded for a committed import")
    summary: str = Field(description="The outcome in one line; a run that stored nothing says so first")
    stored_nothing: bool = Field(description="True unless the import committed")
    rows_read: int
    events: int = Field(description="Records stored; 0 unless committed")
    tickets: int = Field(description="Tickets of the stored records; 0 unless committed")
    valid: int = Field(description="Records that passed every check, each once (what a commit stores)")
    valid_tickets: int = Field(description="Tickets of the valid records")
    rejected: int
    repeated: int = Field(description="Records identical to an earlier record of the file, kept once")
    mode: ImportMode = Field(description="merge or replace (ticket events)")
    new_events: int = Field(description="Events the source did not hold (for a dry run: would not)")
    seen_events: int = Field(description="Events the source already held")
    gaining_tickets: int = Field(description="Tickets that gain events")
    removed_events: int = Field(
        description="Replace mode: events of the file's tickets that are (would be) removed"
    )
    duplicate_of: int | None = Field(description="For a duplicate: the run that holds the same content")
    duration_seconds: float
    message: str
    rejects: list[ImportRejectOut] = Field(description="The first 100 records left out")
    preview_columns: list[str]
    preview: list[list[Any]] = Field(description="For a dry run: the first records as they would be stored")
