"""The plug-in (Miller-Madow) and GCMI (Ince's bias correction) estimators on tiny samples whose
values are computed by hand: the corrections are pinned here, not only by brute-force copies."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mitool
from mitool.estimators.gcmi import bias, gcmi_value
from mitool.estimators.plugin import entropy_mm

GAMMA = 0.5772156649015329
# Φ⁻¹(1/6) and Φ⁻¹(2/6) to 16 digits (tables; statistics.NormalDist gives the same).
PHI_1_6 = -0.9674215661017014
PHI_2_6 = -0.43072729929545744


def test_entropy_with_miller_madow():
    # Symbols 0, 0, 1: Ĥ = −(⅔ ln ⅔ + ⅓ ln ⅓) = ln 3 − ⅔ ln 2; m = 2 cells, n = 3: + (2 − 1)/6.
    plug_in = math.log(3) - 2 / 3 * math.log(2)
    codes = np.array([0, 0, 1])
    assert entropy_mm(codes, miller_madow=False) == pytest.approx(plug_in, abs=1e-15)
    assert entropy_mm(codes) == pytest.approx(plug_in + 1 / 6, abs=1e-15)


def test_plugin_on_an_independent_table_reads_minus_the_miller_madow_bias():
    # n = 6 rows with joint counts        t=0  t=1
    #                               x=0    2    1
    #                               x=1    2    1
    # The table factorises (P(x, t) = P(x) P(t)), so the plug-in MI is 0; Miller-Madow adds
    # [(m_x − 1) + (m_t − 1) − (m_xt − 1)] / 2n = (1 + 1 − 3)/12 = −1/12.
    x = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    t = np.array([0, 0, 1, 0, 0, 1], dtype=float)
    value = mitool.estimate(x, t, estimator="plugin", norm="none", resamples=0).value
    assert value == pytest.approx(-1 / 12, abs=1e-14)


def test_plugin_on_a_dependent_table():
    # n = 4: x = 0, 0, 1, 1 and t = 0, 0, 0, 1 (cells (0,0)×2, (1,0), (1,1)):
    # Ĥ(X) = ln 2, Ĥ(T) = 2 ln 2 − ¾ ln 3, Ĥ(X, T) = (3/2) ln 2, so the plug-in is
    # ¾ ln(4/3); Miller-Madow adds (1 + 1 − 2)/8 = 0.
    x = np.array([0, 0, 1, 1], dtype=float)
    t = np.array([0, 0, 0, 1], dtype=float)
    value = mitool.estimate(x, t, estimator="plugin", norm="none", k=1, resamples=0).value
    assert value == pytest.approx(0.75 * math.log(4 / 3), abs=1e-14)


def test_gcmi_bias_terms_by_hand():
    # b(d) = ½ Σ_{i=1..d} ψ((n − i)/2) − (d/2) ln((n − 1)/2), at n = 5:
    #   b(1) = ½ ψ(2) − ½ ln 2 = ½ (1 − γ) − ½ ln 2
    #   b(2) = ½ [ψ(2) + ψ(3/2)] − ln 2 = ½ [(1 − γ) + (2 − γ − 2 ln 2)] − ln 2 = 3/2 − γ − 2 ln 2
    assert bias(5, 1) == pytest.approx(0.5 * (1 - GAMMA) - 0.5 * math.log(2), abs=1e-14)
    assert bias(5, 2) == pytest.approx(1.5 - GAMMA - 2 * math.log(2), abs=1e-14)


def test_gcmi_on_five_points_by_hand():
    # Ranks x: 1 2 3 4 5, t: 1 2 3 5 4. Normal scores Φ⁻¹(r/6): with a = Φ⁻¹(1/6), b = Φ⁻¹(2/6),
    #   zx = (a, b, 0, −b, −a),  zt = (a, b, 0, −a, −b),
    # equal variances, so the correlation is Σ zx zt / Σ zx² = (a + b)² / (2(a² + b²)) and the
    # uncorrected Gaussian MI is −½ ln(1 − r²). The correction −b(1) − b(1) + b(2) at n = 5 is
    #   −(1 − γ) + ln 2 + 3/2 − γ − 2 ln 2 = ½ − ln 2   (γ cancels).
    x = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    t = np.array([[1.0], [2.0], [3.0], [5.0], [4.0]])
    a, b = PHI_1_6, PHI_2_6
    r = (a + b) ** 2 / (2 * (a**2 + b**2))
    raw = -0.5 * math.log(1 - r**2)
    assert gcmi_value(x, t, bias_correct=False)[0] == pytest.approx(raw, abs=1e-12)
    assert gcmi_value(x, t)[0] == pytest.approx(raw + 0.5 - math.log(2), abs=1e-12)
    through_api = mitool.estimate(x, t, estimator="gcmi", k=1, resamples=0).value
    assert through_api == pytest.approx(raw + 0.5 - math.log(2), abs=1e-12)
