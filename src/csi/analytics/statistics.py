"""Small statistics for trends: the Mann-Kendall trend test with Sen's slope.

Mann-Kendall asks whether a series rises or falls more often than chance would give, without assuming
the values are normal or the trend linear: the right test for a dozen monthly attainment figures. Sen's
slope (the median of the pairwise slopes) says by how much per period, robust to one odd month.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Trend:
    slope: float  # change per period (Sen's slope)
    p_value: float  # two-sided, normal approximation with the tie correction
    periods: int

    @property
    def significant(self) -> bool:
        """At the 5 % level, with at least four periods."""
        return self.periods >= 4 and self.p_value < 0.05

    @property
    def direction(self) -> str:
        if not self.significant:
            return "flat"
        return "rising" if self.slope > 0 else "falling"


def mann_kendall(values: list[float]) -> Trend | None:
    """The trend of `values` (in time order); None with fewer than three values."""
    n = len(values)
    if n < 3:
        return None
    s = 0
    slopes = []
    for i in range(n - 1):
        for j in range(i + 1, n):
            difference = values[j] - values[i]
            s += (difference > 0) - (difference < 0)
            slopes.append(difference / (j - i))
    ties: dict[float, int] = {}
    for value in values:
        ties[value] = ties.get(value, 0) + 1
    variance = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    if variance <= 0:
        return Trend(slope=0.0, p_value=1.0, periods=n)
    z = (s - 1) / math.sqrt(variance) if s > 0 else (s + 1) / math.sqrt(variance) if s < 0 else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return Trend(slope=float(median(slopes)), p_value=p_value, periods=n)
