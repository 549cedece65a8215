"""Pure math for measurements: confidence intervals, trend tests and display rounding (DOMAIN.md). No SQL."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import overload

Z95 = 1.959964  # the 0.975 quantile of the standard normal distribution


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for k successes of n, as proportions clamped to [0, 1]; None when n == 0."""
    if n <= 0:
        return None
    p = k / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def nps_variance(p_promoters: float, p_detractors: float) -> float:
    """Variance of one answer scored +1/0/-1: pP + pD - (pP - pD)^2."""
    return max(0.0, p_promoters + p_detractors - (p_promoters - p_detractors) ** 2)


def nps_interval(p_promoters: float, p_detractors: float, n: int, z: float = Z95) -> tuple[float, float] | None:
    """NPS +- z * 100 * sqrt(Var / n), in points, clamped to [-100, 100]; None when n == 0."""
    if n <= 0:
        return None
    nps = 100 * (p_promoters - p_detractors)
    half = z * 100 * math.sqrt(nps_variance(p_promoters, p_detractors) / n)
    return max(-100.0, nps - half), min(100.0, nps + half)


def mean_interval(mean: float, variance: float | None, n: int, z: float = Z95) -> tuple[float, float] | None:
    """mean +- z * s / sqrt(n) with the sample variance s^2; None when n < 2 (no spread to measure)."""
    if n < 2 or variance is None:
        return None
    half = z * math.sqrt(max(variance, 0.0) / n)
    return mean - half, mean + half


def p_two_sided(z: float) -> float:
    """Two-sided p value of a standard normal z score."""
    return math.erfc(abs(z) / math.sqrt(2))


P_FLOOR = 0.001  # p-values below this are written "p < 0.001": more digits claim a precision the test lacks


def p_text(p: float) -> str:
    """A p-value as every report writes it: "p = 0.036", "p < 0.001"."""
    return f"p < {P_FLOOR:g}" if p < P_FLOOR else f"p = {p:.3f}"


def _z_test(change: float, se: float) -> tuple[float | None, float | None]:
    if se > 0:
        z = change / se
        return z, p_two_sided(z)
    # No spread in either window: any change is certain, no change is no evidence of one.
    return None, (0.0 if change != 0 else None)


def nps_trend(p1: tuple[float, float], n1: int, p2: tuple[float, float], n2: int) \
        -> tuple[float | None, float | None]:
    """z and p for NPS2 - NPS1 on the -1..1 scale; p1, p2 are (promoter share, detractor share)."""
    if n1 <= 0 or n2 <= 0:
        return None, None
    change = (p2[0] - p2[1]) - (p1[0] - p1[1])
    se = math.sqrt(nps_variance(*p1) / n1 + nps_variance(*p2) / n2)
    return _z_test(change, se)


def two_proportion_trend(k1: int, n1: int, k2: int, n2: int) -> tuple[float | None, float | None]:
    """Two-proportion z-test (pooled) for k2/n2 - k1/n1."""
    if n1 <= 0 or n2 <= 0:
        return None, None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return _z_test(k2 / n2 - k1 / n1, se)


def welch_trend(mean1: float, var1: float | None, n1: int, mean2: float, var2: float | None, n2: int) \
        -> tuple[float | None, float | None]:
    """Welch's test for mean2 - mean1, normal approximation (fine for n >= 30)."""
    if n1 < 2 or n2 < 2 or var1 is None or var2 is None:
        return None, None
    se = math.sqrt(max(var1, 0.0) / n1 + max(var2, 0.0) / n2)
    return _z_test(mean2 - mean1, se)


_POWERS = tuple(float(10 ** d) for d in range(16))  # exact in binary floating point
_TIE_MARGIN = 1e-9  # relative: far wider than float error (~1e-16), far narrower than one display step


@overload
def round_half_away(value: float, digits: int = 1) -> float: ...


@overload
def round_half_away(value: None, digits: int = 1) -> None: ...


def round_half_away(value: float | None, digits: int = 1) -> float | None:
    """Round for display, half away from zero (2.25 -> 2.3, -2.25 -> -2.3), on the decimal written form.

    Exactly `float(Decimal(repr(value)).quantize(10**-digits, ROUND_HALF_UP))`. The fast path scales in binary
    floating point, which can only misjudge a value within float error of a tie; those, and digits outside
    0..15, take the Decimal path.
    """
    if value is None:
        return None
    if 0 <= digits < 16:
        scale = _POWERS[digits]
        scaled = abs(value) * scale
        if scaled < 4503599627370496.0:  # 2**52, and False for NaN and infinity
            whole = int(scaled)
            fraction = scaled - whole  # exact
            if abs(fraction - 0.5) > _TIE_MARGIN * (whole + 1):
                # an integer over a power of ten, both exact: IEEE division gives the float nearest the decimal
                return math.copysign((whole + (fraction > 0.5)) / scale, value)
    if not math.isfinite(value):
        return value
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
