"""KSG algorithms 1 and 2, BI-KSG and mixed-KSG on four points, every count done by hand.

Points (x, t), k = 1, max-norm, no normalisation:
    P0 = (0, 0),  P1 = (1, 2.5),  P2 = (3, 1),  P3 = (7, 6)
Joint max-norm distances: d01 = 2.5, d02 = 3, d03 = 7, d12 = 2, d13 = 6, d23 = 5, so the nearest
neighbour and its distance ε are  P0: P1, 2.5;  P1: P2, 2;  P2: P1, 2;  P3: P2, 5.
P1's ε = 2 is attained in x (|3 − 1| = 2): the strict count of algorithm 1 must leave P2 out of
P1's x-count, and so tells < from ≤. With ψ(1) = −γ, ψ(2) = 1 − γ, ψ(3) = 3/2 − γ and
ψ(4) = 11/6 − γ, every value below is a rational number or ln 2 plus a multiple of γ.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import mitool

X = np.array([0.0, 1.0, 3.0, 7.0])
T = np.array([0.0, 2.5, 1.0, 6.0])
GAMMA = 0.5772156649015329


def estimate(estimator):
    return mitool.estimate(X, T, estimator=estimator, norm="none", k=1, resamples=0).value


def test_ksg_algorithm_1():
    # n_x, n_t: other points strictly closer than ε in x, in t:
    #   P0 (ε 2.5): x |1| ✓ 3 ✗ 7 ✗ -> 1;   t |2.5| ✗ (not < 2.5) |1| ✓ 6 ✗ -> 1
    #   P1 (ε 2):   x |1| ✓ 2 ✗ 6 ✗ -> 1;   t 2.5 ✗ 1.5 ✓ 3.5 ✗ -> 1
    #   P2 (ε 2):   x 3 ✗ 2 ✗ 4 ✗ -> 0;     t 1 ✓ 1.5 ✓ 5 ✗ -> 2
    #   P3 (ε 5):   x 7 ✗ 6 ✗ 4 ✓ -> 1;     t 6 ✗ 3.5 ✓ 5 ✗ -> 1
    # Î = ψ(1) + ψ(4) − ¼ Σ [ψ(n_x + 1) + ψ(n_t + 1)]
    #   = −γ + 11/6 − γ − ¼ [6 ψ(2) + ψ(1) + ψ(3)] = 11/6 − 2γ − ¼ (15/2 − 8γ) = −1/24
    assert estimate("ksg") == pytest.approx(-1 / 24, abs=1e-12)


def test_ksg_algorithm_2():
    # ε_x(i), ε_t(i): the neighbour's distance in each marginal; counts with ≤:
    #   P0 (P1: 1, 2.5):  x 1 ✓ 3 ✗ 7 ✗ -> 1;   t 2.5 ✓ 1 ✓ 6 ✗ -> 2
    #   P1 (P2: 2, 1.5):  x 1 ✓ 2 ✓ 6 ✗ -> 2;   t 2.5 ✗ 1.5 ✓ 3.5 ✗ -> 1
    #   P2 (P1: 2, 1.5):  x 3 ✗ 2 ✓ 4 ✗ -> 1;   t 1 ✓ 1.5 ✓ 5 ✗ -> 2
    #   P3 (P2: 4, 5):    x 7 ✗ 6 ✗ 4 ✓ -> 1;   t 6 ✗ 3.5 ✓ 5 ✓ -> 2
    # Î = ψ(1) − 1/1 + ψ(4) − ¼ · 4 [ψ(1) + ψ(2)] = −γ − 1 + 11/6 − γ − (1 − 2γ) = −1/6
    assert estimate("ksg2") == pytest.approx(-1 / 6, abs=1e-12)


def test_bi_ksg_max_norm():
    # Counts of other points within ρ = ε (≤): x: 1, 2, 1, 1;  t: 2, 1, 2, 2.
    # Î = ψ(1) + ln 4 − ¼ Σ (ln n_x + ln n_t) = −γ + 2 ln 2 − ¼ · 4 ln 2 = ln 2 − γ
    assert estimate("bi-ksg") == pytest.approx(math.log(2) - GAMMA, abs=1e-12)


def test_mixed_ksg_on_tie_free_points():
    # No ties: k̃_i = 1 and the counts (i included) are KSG's n_x + 1, n_t + 1, so
    # Î = ⟨ψ(1) + ln 4 − ψ(n_x + 1) − ψ(n_t + 1)⟩ = −1/24 − ψ(4) + ln 4 = 2 ln 2 − 15/8 + γ
    assert estimate("mixed-ksg") == pytest.approx(2 * math.log(2) - 15 / 8 + GAMMA, abs=1e-12)
