"""The demo loads the public OpenSLO examples beside the project, and says which it refused and why."""

import pytest
from django.conf import settings

from csi.core.permissions import SystemActor
from csi.demo.services import _shared_examples
from csi.standards.models import ServiceStandard

OPENSLO = settings.SHARED_DATA_DIR / "openslo"


@pytest.mark.django_db
@pytest.mark.skipif(
    not OPENSLO.exists(), reason=f"the OpenSLO examples are not at {OPENSLO} (set CSI_SHARED_DATA)"
)
def test_demo_loads_the_openslo_examples_and_names_the_refused_ones():
    lines = _shared_examples(SystemActor("demo"))
    summary = next(line for line in lines if line.startswith("OpenSLO examples:"))
    # Five published examples give `op` with a ratioMetric, which `oslo validate` refuses as well.
    assert summary.endswith("5 refused"), lines
    assert sum("spec.objectives[0].op: forbidden with a ratioMetric" in line for line in lines) == 5
    assert ServiceStandard.objects.filter(key__in=["search-slo", "web-latency-threshold"]).count() == 2
    again = _shared_examples(SystemActor("demo"))
    assert next(line for line in again if line.startswith("OpenSLO examples:")).startswith(
        "OpenSLO examples: 0 created, 0 updated"
    )
