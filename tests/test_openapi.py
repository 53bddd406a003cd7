"""The OpenAPI document: every schema name is unique (ninja would silently merge two of the same name)."""

import pytest
from django.test import Client


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_schema_class_names_are_unique():
    from ninja import Schema

    import csi.api_root  # noqa: F401 - loads every router and its schemas

    names: dict[str, str] = {}
    for cls in _subclasses(Schema):
        if not cls.__module__.startswith("csi."):
            continue
        other = names.setdefault(cls.__name__, cls.__module__)
        assert other == cls.__module__, f"{cls.__name__} is defined in {other} and {cls.__module__}"


@pytest.mark.django_db
def test_every_operation_documents_its_errors():
    spec = Client().get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if path != "/api/v1/health":
                assert {"401", "403", "422"} <= codes, (method, path, codes)
