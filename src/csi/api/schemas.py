"""Building blocks for every app's API schemas."""

import re
from datetime import date
from typing import Annotated, Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, ConfigDict, model_validator

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    if isinstance(value, date):
        return value
    raise ValueError("Give the date as YYYY-MM-DD.")


# A calendar date written YYYY-MM-DD, and nothing else (pydantic alone would take 0 as 1970-01-01).
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class InSchema(Schema):
    """Base of request bodies: a JSON object holding only the documented fields, so a misspelt field
    is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _must_be_object(cls, data: Any) -> Any:
        # ninja's own validator wraps the input in a DjangoGetter first; the JSON value is inside.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(raw, dict):
            raise ValueError("Send a JSON object.")
        return data
