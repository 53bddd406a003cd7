import pytest

from csi.catalog.tests.factories import ServiceFactory


@pytest.fixture
def strategist(make_user):
    return make_user(roles=["service-strategy-manager"], username="strategist")


@pytest.fixture
def owner(make_user):
    return make_user(roles=["service-owner"], username="owner")


@pytest.fixture
def viewer(make_user):
    return make_user(roles=["viewer"], username="viewer")


@pytest.fixture
def service(owner):
    return ServiceFactory(key="email", name="Email", owner=owner)
