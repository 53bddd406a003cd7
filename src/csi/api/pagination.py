"""Page-number pagination with a bounded page size, for every list endpoint."""

import math
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

# The largest id a database integer key can hold; path ids are bounded by it so that a huge number is a
# 422, not an overflow in the database driver.
MAX_ID = 2**63 - 1


class Pagination(PaginationBase):
    """`?page=N&page_size=M` (M from 1 to 200, default 50). The answer says how many items and pages
    there are; a page past the end is empty, not an error."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any
    ) -> Any:
        count = queryset.count()
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, math.ceil(count / pagination.page_size)),
        }
