"""Built-in data with known mutual information, and MI-preserving transformations.

Every generator is a pure function of its parameters and an explicit seed (an int, a
:class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`) and returns a
:class:`Sample` ``(x, t, truth)``: two float arrays of shape (n, d) whose rows are samples, and
the exact mutual information I(X; T) in nats. The distributions are those of paper 000, §5 and
Appendix C.1:

- correlated Gaussians (§5, Figs 2 and 4): X, T ~ N(0, I_d), E[X_i T_i] = ρ,
  I = −(d/2)·ln(1 − ρ²);
- additive Gaussian noise (§5, Figs 1a and 3a): T = X + ε, X ~ N(0, I_d), ε ~ N(0, σ² I_d),
  I = (d/2)·ln(1 + 1/σ²);
- the SNR family (§5.1.4, Fig. 5): T' = a·(X + ε) with σ = 1/√SNR, I = (d/2)·ln(1 + SNR)
  (the paper's a = 0.1).

The transformations (§5.2) change X only and keep I(X'; T) = I(X; T): duplicate-self (ds) and
duplicate-noise (dn).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from mitool.errors import MitoolError

Seed = int | np.random.SeedSequence | np.random.Generator


class Sample(NamedTuple):
    """Two samples and the exact I(X; T) in nats."""

    x: np.ndarray
    t: np.ndarray
    truth: float


def generator(seed: Seed) -> np.random.Generator:
    """The random generator behind ``seed`` (a Generator is used as it is, not copied)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def correlated_gaussians(n: int, d: int, rho: float, seed: Seed) -> Sample:
    """X, T ~ N(0, I_d) with E[X_i T_i] = ρ and E[X_i T_j] = 0 for i ≠ j (paper 000, §5).

    T = ρX + √(1 − ρ²)·Z with Z ~ N(0, I_d) independent of X, so I = −(d/2)·ln(1 − ρ²) nats.
    """
    _check_shape(n, d)
    if not -1 < rho < 1:
        raise MitoolError(f"the correlation must lie strictly between -1 and 1, got {rho}")
    rng = generator(seed)
    x = rng.standard_normal((n, d))
    t = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((n, d))
    return Sample(x, t, -0.5 * d * math.log1p(-(rho**2)))


def additive_gaussian(n: int, d: int, sigma: float, seed: Seed) -> Sample:
    """T = X + ε with X ~ N(0, I_d), ε ~ N(0, σ² I_d) (paper 000, §5; Figs 1a and 3a).

    I = (d/2)·ln(1 + 1/σ²) nats; the paper's σ = 1/√2 in d = 2 gives ln 3.
    """
    _check_shape(n, d)
    if not sigma > 0:
        raise MitoolError(f"the noise sd must be positive, got {sigma}")
    rng = generator(seed)
    x = rng.standard_normal((n, d))
    t = x + sigma * rng.standard_normal((n, d))
    return Sample(x, t, 0.5 * d * math.log1p(1 / sigma**2))


def snr_gaussian(n: int, d: int, snr: float, seed: Seed, scale: float = 0.1) -> Sample:
    """T' = scale·(X + ε) with σ = 1/√SNR (paper 000, §5.1.4, Fig. 5, Appendix C.1 Figure 7).

    I(X; T') = (d/2)·ln(1 + SNR) nats: the rescaling of T does not change the information, but
    it shrinks T' (by the paper's 0.1) so that estimators that depend on scale show it.
    """
    if not snr > 0:
        raise MitoolError(f"the signal-to-noise ratio must be positive, got {snr}")
    if not scale > 0:
        raise MitoolError(f"the scale of T must be positive, got {scale}")
    x, t, truth = additive_gaussian(n, d, 1 / math.sqrt(snr), seed)
    return Sample(x, scale * t, truth)


def duplicate_self(x: np.ndarray, copies: int) -> np.ndarray:
    """ds (paper 000, §5.2; Fig. 3a): X' = [X, X, …, X] with ``copies`` blocks in all."""
    if copies < 1:
        raise MitoolError(f"the number of copies must be at least 1, got {copies}")
    return np.tile(x, (1, copies))


def noise_columns(n: int, k: int, sd: float, seed: Seed) -> np.ndarray:
    """k independent N(0, sd²) columns of n rows: the ε_1 … ε_k of dn (paper 000, §5.2)."""
    if k < 0:
        raise MitoolError(f"the number of noise columns must be 0 or more, got {k}")
    if not sd > 0:
        raise MitoolError(f"the noise sd must be positive, got {sd}")
    return sd * generator(seed).standard_normal((n, k))


def duplicate_noise(x: np.ndarray, k: int, sd: float, seed: Seed) -> np.ndarray:
    """dn (paper 000, §5.2; Fig. 1a): X' = [X, ε_1, …, ε_k], each ε_i ~ N(0, sd²) per row.

    The paper uses sd = 0.2, k = 20 for its tables and sd = 0.04 for Fig. 1a.
    """
    return np.hstack([x, noise_columns(len(x), k, sd, seed)])


def _check_shape(n: int, d: int) -> None:
    if n < 1 or d < 1:
        raise MitoolError(f"need at least one row and one dimension, got n = {n}, d = {d}")
