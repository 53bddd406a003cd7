"""Catalog factories: objects in their initial state (services in the pipeline)."""

import factory

from csi.catalog.models import Process, Service, Stakeholder


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Service {n}")
    category = "Workplace"
    tier = 3


class StakeholderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stakeholder
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Stakeholder {n}")
    kind = "internal_team"


class ProcessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Process
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"process-{n}")
    name = factory.Sequence(lambda n: f"Process {n}")
