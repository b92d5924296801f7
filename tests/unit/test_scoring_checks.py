"""The drift check's statistic: quiet on the same distribution, loud on a real shift."""

import numpy as np
import pandas as pd

from orchestration.lib.scoring_checks import population_stability


def test_population_stability_separates_noise_from_a_shift() -> None:
    rng = np.random.default_rng(0)
    before = pd.Series(rng.beta(2, 5, 20_000))
    again = pd.Series(rng.beta(2, 5, 20_000))  # a new sample of the same population
    shifted = pd.Series(rng.beta(4, 3, 20_000))  # churn probabilities moved up
    assert population_stability(before, before) == 0.0
    assert population_stability(before, again) < 0.01
    assert population_stability(before, shifted) > 0.2  # the WARN threshold of score_drift
    assert population_stability(before, pd.Series([], dtype=float)) is None
