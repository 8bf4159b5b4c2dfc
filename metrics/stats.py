"""Small-sample statistics shown beside every rate."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z_95 = 1.959963984540054
# Below this many records in the denominator a rate is flagged as a small sample.
MIN_SAMPLE = 30


def safe_rate(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, NaN where the denominator is zero."""
    num = numerator.astype("float64")
    den = denominator.astype("float64")
    return (num / den.where(den > 0)).astype("float64")


def wilson_interval(successes: pd.Series, trials: pd.Series, z: float = Z_95) -> tuple[pd.Series, pd.Series]:
    """95% Wilson score interval for k successes in n trials.

    NaN where n is zero or k > n (a period conversion can exceed 100%: it mixes cohorts, so it is
    not a proportion and has no binomial interval).
    """
    k = successes.astype("float64").to_numpy()
    n = trials.astype("float64").to_numpy()
    valid = (n > 0) & (k <= n)
    safe_n = np.where(valid, n, 1.0)
    p = np.where(valid, k / safe_n, 0.0)
    z2 = z * z
    centre = (p + z2 / (2 * safe_n)) / (1 + z2 / safe_n)
    half = z * np.sqrt(p * (1 - p) / safe_n + z2 / (4 * safe_n**2)) / (1 + z2 / safe_n)
    low = np.where(valid, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(valid, np.clip(centre + half, 0.0, 1.0), np.nan)
    return pd.Series(low, index=successes.index), pd.Series(high, index=successes.index)
