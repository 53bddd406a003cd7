"""Factories build users in their initial state; roles are given through the service's groups."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth.models import Group

from csi.accounts.models import User
from csi.accounts.services import roles_ensure

TEST_PASSWORD = "pw-for-tests-1"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        roles_ensure()
        self.groups.set(Group.objects.filter(name__in=extracted))
