"""Shared data generators with known mutual information."""

from __future__ import annotations

import numpy as np
import pytest


def correlated_gaussians(
    n: int, d: int, rho: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, float]:
    """X, T ~ N(0, I_d) with E[X_i T_i] = rho; I = -(d/2) ln(1 - rho²) nats (paper 000, §5)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    t = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return x, t, -0.5 * d * np.log(1 - rho**2)


@pytest.fixture
def gauss_pair() -> tuple[np.ndarray, np.ndarray, float]:
    return correlated_gaussians(1000, 2, 0.8, seed=1)
