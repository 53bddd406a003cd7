"""Patterns and field helpers shared by the improvement app's API schemas."""

from decimal import Decimal
from typing import Annotated, Any

from ninja import Field
from pydantic import AfterValidator

from csi.api.pagination import MAX_ID

KEY = r"^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$"
OPPORTUNITY_NUMBER = r"^CSI-[0-9]{1,10}$"
INITIATIVE_NUMBER = r"^INI-[0-9]{1,10}$"
USERNAME = r"^[\w.@+-]+$"

# An amount of money in an answer, always with its two decimals (sums in SQLite lose them).
Money = Annotated[Decimal, AfterValidator(lambda amount: amount.quantize(Decimal("0.01")))]

__all__ = ["INITIATIVE_NUMBER", "KEY", "MAX_ID", "OPPORTUNITY_NUMBER", "USERNAME", "Money"]


def key_field(description: str = "", default: Any = None) -> Any:
    return Field(default, pattern=KEY, max_length=63, description=description)


def username_field(description: str = "Username") -> Any:
    return Field(None, pattern=USERNAME, max_length=150, description=description)


def text_field(limit: int, default: Any = "") -> Any:
    return Field(default, max_length=limit)


def money_field(default: Any = None, description: str = "") -> Any:
    return Field(default, ge=0, max_digits=14, decimal_places=2, description=description)


def level_field(default: Any = 3) -> Any:
    return Field(default, ge=1, le=5, description="1 (low) to 5 (high); effort: 1 (little) to 5 (much)")


def username_of(user: Any) -> str | None:
    return user.get_username() if user is not None else None
