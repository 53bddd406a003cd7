"""API schemas for users, roles and tokens."""

from datetime import datetime

from ninja import Field, Schema
from pydantic import StrictBool, StrictInt

from csi.accounts.choices import Role
from csi.api.schemas import InSchema

USERNAME_PATTERN = r"^[\w.@+-]+$"


class RoleOut(Schema):
    key: str
    label: str
    description: str


class UserOut(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    roles: list[str]
    last_login: datetime | None
    date_joined: datetime

    @staticmethod
    def resolve_roles(obj) -> list[str]:
        return sorted(g.name for g in obj.groups.all())


class MeOut(UserOut):
    is_administrator: bool

    @staticmethod
    def resolve_is_administrator(obj) -> bool:
        return obj.has_perm("accounts.manage_users")


class UserIn(InSchema):
    username: str = Field(min_length=1, max_length=150, pattern=USERNAME_PATTERN)
    email: str = Field("", max_length=254)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    password: str | None = Field(None, min_length=8, max_length=128)
    roles: list[Role] = Field(default_factory=list, max_length=len(Role))


class UserPatch(InSchema):
    email: str | None = Field(None, max_length=254)
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    is_active: StrictBool | None = None


class RolesIn(InSchema):
    roles: list[Role] = Field(max_length=len(Role))


class UserFilter(Schema):
    search: str | None = Field(None, max_length=150)
    role: Role | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. It is shown only in this response; store it now.")


class TokenIn(InSchema):
    name: str = Field(min_length=1, max_length=100)
    expires_days: StrictInt | None = Field(
        None, ge=1, le=3650, description="Days until the token expires; none: never"
    )
