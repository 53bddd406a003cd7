"""Backstage catalog-info.yaml: validation and mapping onto the catalog.

Component, System and Resource become services (lifecycle experimental -> pipeline, production -> live,
deprecated -> retired); a Domain becomes the category of its systems and of their parts; a Group becomes
an internal-team stakeholder that owns services; a User becomes a user account that cannot sign in
until an administrator sets a password. `spec.system` makes the system depend on its component or
resource; `spec.dependsOn` adds dependencies. Only the fields Backstage knows are written, so what was
added in CSI Workbench (tiers, standards, stakeholders...) is kept.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from csi.core.documents import Document

API_VERSIONS = {"backstage.io/v1alpha1", "backstage.io/v1beta1"}
KINDS = {"Component", "System", "Resource", "Domain", "Group", "User"}
NAME = r"^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
REF = r"^(?:[a-zA-Z][a-zA-Z0-9]*:)?(?:[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}/)?[a-zA-Z0-9][-_.a-zA-Z0-9]{0,62}$"
LIFECYCLES = {"experimental": "pipeline", "production": "live", "deprecated": "retired"}


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Metadata(Loose):
    name: str = Field(pattern=NAME)
    namespace: str = Field("default", pattern=NAME)
    title: str | None = Field(None, max_length=200)
    description: str = Field("", max_length=10_000)


class ComponentSpec(Loose):
    type: str = Field(min_length=1, max_length=100)
    lifecycle: str = Field(min_length=1, max_length=100)
    owner: str = Field(pattern=REF)
    system: str | None = Field(None, pattern=REF)
    dependsOn: list[str] = Field(default_factory=list, max_length=500)


class ResourceSpec(Loose):
    type: str = Field(min_length=1, max_length=100)
    owner: str = Field(pattern=REF)
    system: str | None = Field(None, pattern=REF)
    dependsOn: list[str] = Field(default_factory=list, max_length=500)


class SystemSpec(Loose):
    owner: str = Field(pattern=REF)
    domain: str | None = Field(None, pattern=REF)
    type: str | None = Field(None, max_length=100)


class DomainSpec(Loose):
    owner: str = Field(pattern=REF)


class Profile(Loose):
    displayName: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254)


class GroupSpec(Loose):
    type: str = Field(min_length=1, max_length=100)
    children: list[str]
    profile: Profile = Field(default_factory=lambda: Profile())
    parent: str | None = Field(None, pattern=REF)


class UserSpec(Loose):
    memberOf: list[str] = Field(default_factory=list)
    profile: Profile = Field(default_factory=lambda: Profile())


SPECS: dict[str, type[Loose]] = {
    "Component": ComponentSpec,
    "Resource": ResourceSpec,
    "System": SystemSpec,
    "Domain": DomainSpec,
    "Group": GroupSpec,
    "User": UserSpec,
}


class Entity(BaseModel):
    model_config = ConfigDict(extra="allow")
    apiVersion: str
    kind: str
    metadata: Metadata
    spec: Loose


def validate(document: Document) -> tuple[Metadata, Loose]:
    """Metadata and kind-specific spec; raises pydantic's ValidationError with paths from the root."""
    from pydantic import ValidationError

    metadata = Metadata.model_validate(document.data.get("metadata"))
    spec_class = SPECS[document.kind]
    try:
        spec = spec_class.model_validate(document.data.get("spec"))
    except ValidationError as exc:
        raise _prefixed(exc, "spec") from None
    for index, ref in enumerate(getattr(spec, "dependsOn", []) or []):
        if not re.match(REF, str(ref)):
            raise _error(
                "spec", f"dependsOn[{index}]", f"'{ref}' is not an entity reference like component:name"
            )
    return metadata, spec


class PrefixedError(Exception):
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items


def _prefixed(exc: Any, prefix: str) -> PrefixedError:
    items = []
    for error in exc.errors():
        path = prefix
        for part in error.get("loc", ()):
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        items.append((path, error.get("msg", "invalid")))
    return PrefixedError(items)


def _error(prefix: str, field: str, message: str) -> PrefixedError:
    return PrefixedError([(f"{prefix}.{field}", message)])


def parse_ref(ref: str, default_kind: str) -> tuple[str, str]:
    """('group', 'team-a') from 'group:default/team-a', 'team-a' or 'group:team-a'."""
    kind, _, rest = ref.rpartition(":") if ":" in ref else (default_kind, "", ref)
    name = rest.rpartition("/")[2]
    return (kind or default_kind).lower(), name


def service_key(name: str) -> str:
    """A Backstage name as a catalog key: lower case, '_' and '.' as '-'."""
    return re.sub(r"[_.]", "-", name.lower()).strip("-")[:63]
