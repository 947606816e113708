"""Mutual-information-preserving transformations of X (paper 000, §5.2 and Appendix B.1).

Each is an injective map of X (or appends independent noise), so I(X'; T) = I(X; T) exactly,
while the data look very different to an estimator: badly conditioned mixing (rm), heavy tails
(cb), squashing (sg), redundant dimensions (ds) and low-energy noise dimensions (dn).

- ``rm``: X' = α·X·W, α ~ U(0, 1), W_ij ~ U(0, 1), W redrawn while cond(W) > 1e10 (the paper
  "keeps generating until invertible"; digest §7.14).
- ``cb``: X' = X³ elementwise.
- ``sg``: X' = 1 / (1 + e^(−X)) elementwise.
- ``ds``: X' = [X, X, …, X], K = 20 copies in all.
- ``dn``: X' = [X, ε_1, …, ε_k], ε_i ~ N(0, σ'²) independent of everything, σ' = 0.2, k = 20.

The paper applies "a random subset in a random order" without saying which order; its numbers
show that the noise columns of dn passed through sg (digest §4.2), so :data:`CANONICAL_ORDER`
puts the dimension-changing steps first: dn → ds → rm → cb → sg (digest §7.10). ``apply``
follows the order it is given; :func:`canonical` sorts a set into that order. The names, their
order and :func:`parse` live in :mod:`mitool.transform_names`, which loads no numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mitool import synthetic
from mitool.transform_names import CANONICAL_ORDER, canonical, parse

DS_COPIES = 20
DN_COLUMNS = 20
DN_SD = 0.2
MAX_CONDITION = 1e10

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def randmat(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """rm: α·X·W with α ~ U(0, 1) and W_ij ~ U(0, 1), W invertible (cond ≤ 1e10)."""
    d = x.shape[1]
    while True:
        w = rng.uniform(0.0, 1.0, size=(d, d))
        if np.linalg.cond(w) <= MAX_CONDITION:
            break
    alpha = rng.uniform(0.0, 1.0)
    return alpha * (x @ w)


def cube(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """cb: X³ elementwise."""
    return x**3


def sigmoid(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """sg: the logistic function elementwise."""
    from scipy.special import expit  # here, not at the top: the CLI's help loads this module

    return expit(x)


def duplicate_self(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """ds: [X, X, …, X] with K = 20 copies in all."""
    return synthetic.duplicate_self(x, DS_COPIES)


def duplicate_noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """dn: X with k = 20 independent N(0, 0.2²) columns appended."""
    return synthetic.duplicate_noise(x, DN_COLUMNS, DN_SD, rng)


TRANSFORMS: dict[str, Transform] = {
    "rm": randmat,
    "cb": cube,
    "sg": sigmoid,
    "ds": duplicate_self,
    "dn": duplicate_noise,
}


def apply(x: np.ndarray, names: Sequence[str], rng: np.random.Generator) -> np.ndarray:
    """Apply the transforms to X in the order given."""
    for name in names:
        x = TRANSFORMS[name](x, rng)
    return x


__all__ = ["CANONICAL_ORDER", "TRANSFORMS", "apply", "canonical", "parse"]
