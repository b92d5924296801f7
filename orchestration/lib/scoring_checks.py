"""Checks on score distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def population_stability(expected: pd.Series, actual: pd.Series, bins: int = 10,
                         floor: float = 1e-4) -> float | None:
    """Population stability index of ``actual`` against ``expected``.

    Bins are the deciles of ``expected``; PSI = Σ (a − e) · ln(a / e) over the bins, with
    shares floored at ``floor`` so an empty bin does not divide by zero. Rules of thumb:
    < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 a shift worth investigating.
    None when either side is empty.

    >>> s = pd.Series(range(1000), dtype=float)
    >>> population_stability(s, s)
    0.0
    """
    e, a = expected.to_numpy(dtype=float), actual.to_numpy(dtype=float)
    if e.size == 0 or a.size == 0:
        return None
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)))
    if edges.size < 2:
        return 0.0 if np.allclose(a, e[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    e_share = np.maximum(np.histogram(e, edges)[0] / e.size, floor)
    a_share = np.maximum(np.histogram(a, edges)[0] / a.size, floor)
    return round(float(np.sum((a_share - e_share) * np.log(a_share / e_share))), 6)
