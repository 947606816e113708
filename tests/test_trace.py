"""Information-plane tracing: the Ross estimator, reading runs, the trace, resume, CLI, demo."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

import mitool
from mitool.errors import MitoolError
from mitool.estimators import get_estimator
from mitool.estimators.discrete import ross

# --- the Ross (2014) estimator of I(Z; Y) for discrete Y ----------------------------------------


def _ross_brute(z: np.ndarray, y: np.ndarray, k: int) -> float:
    """The formula written out with all pairwise max-norm distances (a check, O(n^2))."""
    dist = np.max(np.abs(z[:, None, :] - z[None, :, :]), axis=2)
    n = len(z)
    terms = []
    for i in range(n):
        same = np.flatnonzero(y == y[i])
        k_i = min(k, len(same) - 1)
        d = np.sort(dist[i, same])[k_i]  # position 0 is i itself
        m = np.sum(dist[i] < d)  # i included
        terms.append(digamma(k_i) - digamma(len(same)) - digamma(m))
    return float(digamma(n) + np.mean(terms))


@pytest.mark.parametrize(("n", "classes", "k"), [(500, 3, 3), (300, 2, 1), (800, 6, 5)])
def test_ross_matches_sklearn_in_one_dimension(n, classes, k):
    from sklearn.feature_selection import mutual_info_classif

    rng = np.random.default_rng(n)
    y = rng.integers(0, classes, n)
    z = rng.standard_normal(n) + 0.8 * y
    # scikit-learn rescales Z and adds noise of 1e-10 of its mean magnitude; on continuous data
    # without ties that changes no neighbour order, so the counts, and the value, are the same
    # up to rounding in the sums (1e-9 leaves room for it). Its clipping at 0 is not hit here.
    expected = mutual_info_classif(z[:, None], y, n_neighbors=k, random_state=0)[0]
    assert expected > 0
    got = ross(z[:, None], y[:, None].astype(float), (1.0,), k).values[0]
    assert got == pytest.approx(expected, abs=1e-9)


def test_ross_multivariate_matches_the_formula():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 300)
    z = rng.standard_normal((300, 3)) + y[:, None] * np.array([0.5, -0.3, 0.0])
    z[:7, 0] = 0.0  # some ties in one coordinate, as ReLU features have (not whole rows)
    got = ross(z, y[:, None].astype(float), (1.0,), 3).values[0]
    assert got == pytest.approx(_ross_brute(z, y, 3), abs=1e-12)  # the same counts: exact


@pytest.mark.parametrize("d", [1, 2])
def test_ross_known_mi_of_a_deterministic_label(d):
    # Y = the quadrant (d = 2) or quarter (d = 1) of a uniform Z: four equiprobable classes, a
    # deterministic function of Z, so I(Z; Y) = H(Y) = ln 4. Points near a class boundary count
    # neighbours of the other class, a bias of order k/n per boundary (-0.002 for d = 1, -0.022
    # for d = 2 at n = 2000 with seed 2); 0.05 nats leaves room for other seeds.
    rng = np.random.default_rng(2)
    z = rng.uniform(size=(2000, d))
    y = np.floor(4 * z[:, 0]) if d == 1 else 2 * (z[:, 0] > 0.5) + (z[:, 1] > 0.5)
    r = mitool.estimate(z, y, estimator="ross", k=3, resamples=0)
    assert r.value == pytest.approx(np.log(4), abs=0.05)
    # Labels independent of Z: MI 0; the estimator's spread at n = 2000 is about 0.01 nats.
    r0 = mitool.estimate(z, rng.integers(0, 4, 2000), estimator="ross", k=3, resamples=0)
    assert abs(r0.value) < 0.04


def test_ross_is_invariant_to_rescaling_z_and_does_not_touch_labels():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 400)
    z = rng.standard_normal((400, 2)) + y[:, None]
    base = mitool.estimate(z, y, estimator="ross", norm="none", resamples=0).value
    # A power of two rescales every distance exactly, so every count, and the value, is equal.
    assert mitool.estimate(0.125 * z, y, estimator="ross", norm="none", resamples=0).value == base
    # Relabelling the classes (any integers) changes nothing either: labels are not rescaled.
    assert mitool.estimate(z, 1000 * y - 7, estimator="ross", resamples=0).value == pytest.approx(
        base, abs=1e-12
    )
    spec = get_estimator("ross")
    assert spec.discrete_t and not spec.sweeps_scale
    r = mitool.estimate(z, y, estimator="ross", norm="global-linf", resamples=0)
    assert r.scale is None and r.curve is None


def test_ross_jitters_repeated_rows_of_z_only():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 3, 300)
    z = np.maximum(rng.standard_normal((300, 2)) + y[:, None], 0.0)  # ReLU: whole rows at 0
    assert np.sum(np.all(z == 0, axis=1)) > 3
    with pytest.warns(mitool.MitoolWarning, match="jitter"):
        r = mitool.estimate(z, y, estimator="ross", resamples=0)
    assert np.isfinite(r.value) and r.ties.jittered


def test_ross_rejects_bad_labels():
    z = np.random.default_rng(5).standard_normal((50, 2))
    with pytest.raises(MitoolError, match="whole numbers"):
        mitool.estimate(z, np.linspace(0, 1, 50), estimator="ross", resamples=0)
    labels = np.repeat([0, 1], 25)
    labels[0] = 9
    with pytest.raises(MitoolError, match="only one row"):
        mitool.estimate(z, labels, estimator="ross", resamples=0)


def test_ross_interval_runs():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 400)
    z = rng.standard_normal(400) + y
    r = mitool.estimate(z, y, estimator="ross", resamples=10, jobs=1)
    assert r.ci_low < r.value < r.ci_high
