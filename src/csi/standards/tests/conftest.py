from csi.catalog.tests.conftest import owner, service, strategist, viewer  # noqa: F401 - shared fixtures
