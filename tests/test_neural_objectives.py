"""The neural objectives (DV/MINE, NWJ, InfoNCE) on fixed analytic critics, as bmi tests them.

No training is involved: a critic f(x, t) given by a formula, with one parameter that the loss
does not depend on (so Adam's steps are exactly zero and the critic stays fixed), replaces the
MLP. On a tiny fixed sample whose batch is the whole sample, the bounds are then known by hand:

- DV:      mean_P f − log mean_Q e^f      (not mean_P f − mean_Q f)
- NWJ:     mean_P f − mean_Q e^(f − 1)    (the −1 matters)
- InfoNCE: mean_i [f(x_i, t_i) − log Σ_j e^f(x_j, t_i)] + log b

The bounds are read where the estimator computes them: the readout (``_readout``), the
per-epoch training trace, and the reported value of :func:`mitool.estimate` (via the critic
factory ``mitool.estimators.neural._critic``, patched for these tests).
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import mitool

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="PyTorch is not installed"
)

# Sample A (critics of x alone): x = ln 1, ln 2, ln 3, ln 6 and any t.
#   f(x, t) = x: mean_P f = (ln 1 + ln 2 + ln 3 + ln 6) / 4 = ln 36 / 4 = (ln 6) / 2
#   e^f = 1, 2, 3, 6 whatever t is paired with x: mean_Q e^f = 12 / 4 = 3
#   DV  = (ln 6)/2 − ln 3 = ½ ln(2/3) = −0.2027   (a plain mean of f would give 0)
#   NWJ = (ln 6)/2 − 3/e = −0.2079                (without the −1: (ln 6)/2 − 3 = −2.10)
A_X = [0.0, math.log(2.0), math.log(3.0), math.log(6.0)]
A_T = [0.5, -1.0, 2.0, 7.0]
A_JOINT = math.log(6.0) / 2
DV_A = 0.5 * math.log(2.0 / 3.0)
NWJ_A = math.log(6.0) / 2 - 3.0 / math.e

# Sample B (InfoNCE, b = n = 2): x = (0, 1), t = (1, 2), f(x, t) = x·t.
#   scores S[i, j] = f(x_j, t_i):  row t=1: (0, 1);  row t=2: (0, 2);  diagonal (0, 2)
#   row log-sum-exps: ln(1 + e), ln(1 + e²)
#   InfoNCE = [(0 − ln(1 + e)) + (2 − ln(1 + e²))] / 2 + ln 2 = −0.0270
#   (without + ln b: −0.7201; log-sum-exp over columns, ln 2 and ln(e + e²): +0.1899)
B_X = [0.0, 1.0]
B_T = [1.0, 2.0]
NCE_B_SECOND = (math.log(1 + math.e) + math.log(1 + math.e**2)) / 2 - math.log(2.0)
NCE_B = (0.0 + 2.0) / 2 - NCE_B_SECOND


def fixed_critic(formula):
    """A torch module computing ``formula(x, t)`` on the concatenated (x, t) rows."""
    import torch

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(()))  # zero gradient: never moves

        def forward(self, xt):
            return (formula(xt[:, 0], xt[:, 1]) + 0.0 * self.anchor).unsqueeze(-1)

    return Fixed()


def of_x(x, t):
    return x


def product(x, t):
    return x * t


def readout(objective, critic, x, t, batch_size, shuffles=3):
    import torch

    from mitool.estimators.neural import NeuralOptions, _readout

    opts = NeuralOptions(batch_size=batch_size, shuffles=shuffles)
    as_tensor = lambda a: torch.tensor(a, dtype=torch.float32)[:, None]  # noqa: E731
    gen = torch.Generator().manual_seed(0)
    return _readout(objective, critic, as_tensor(x), as_tensor(t), opts, gen, torch)


# --- the readout ---------------------------------------------------------------------------------


def test_dv_readout_is_mean_minus_log_mean_exp():
    assert readout("mine", fixed_critic(of_x), A_X, A_T, 4) == pytest.approx(DV_A, abs=1e-6)


def test_nwj_readout_subtracts_mean_of_exp_f_minus_one():
    assert readout("nwj", fixed_critic(of_x), A_X, A_T, 4) == pytest.approx(NWJ_A, abs=1e-6)


def test_nwj_at_the_constant_critic_one_is_exactly_zero():
    # f = 1: mean_P f − mean_Q e^(1 − 1) = 1 − 1 = 0 (with e^f instead: 1 − e).
    one = fixed_critic(lambda x, t: 1.0 + 0.0 * x)
    assert readout("nwj", one, A_X, A_T, 4) == pytest.approx(0.0, abs=1e-7)


def test_infonce_readout_adds_log_batch():
    assert readout("infonce", fixed_critic(product), B_X, B_T, 2) == pytest.approx(NCE_B, abs=1e-6)


def test_infonce_of_a_critic_blind_to_x_is_exactly_zero():
    # f(x, t) = g(t): each row of scores is constant, so f − log Σ_j e^f = −log b, and + log b
    # brings it to 0, for any batch size.
    blind = fixed_critic(lambda x, t: 3.0 * t)
    x, t = list(np.linspace(0, 1, 8)), list(np.linspace(-2, 2, 8) ** 2)
    for b in (2, 4, 8):
        assert readout("infonce", blind, x, t, b) == pytest.approx(0.0, abs=1e-5)


# --- the optimal critic of a Gaussian pair (bmi's check) -----------------------------------------


def test_gaussian_optimal_critic_reads_the_true_mi():
    # For (X, T) standard bivariate normal with correlation ρ, log p(x, t)/(p(x)p(t)) is
    #   r(x, t) = −½ ln(1 − ρ²) − (ρ²(x² + t²) − 2ρxt) / (2(1 − ρ²)),
    # with E_P r = I = −½ ln(1 − ρ²) and E_Q e^r = 1. DV at f = r and NWJ at f = 1 + r both
    # equal I in expectation; a plain mean under Q would add KL(Q‖P) = ρ²/(1−ρ²) − I.
    # ρ = 0.5, n = 20000, 10 shuffles: the readouts' sd over 10 seeds measured 0.004 (e^r has
    # variance 1/(1 − ρ²) − 1 = 1/3 under Q); tolerance 0.015, about 4 sd. The plain-mean
    # mutant reads ρ²/(1 − ρ²) = 1/3 here, 0.19 above the truth 0.1438.
    rho, n = 0.5, 20000
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n)
    t = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    truth = -0.5 * math.log(1 - rho**2)

    def log_ratio(a, b):
        return truth - (rho**2 * (a**2 + b**2) - 2 * rho * a * b) / (2 * (1 - rho**2))

    dv = readout("mine", fixed_critic(log_ratio), list(x), list(t), 100, shuffles=10)
    nwj_critic = fixed_critic(lambda a, b: 1.0 + log_ratio(a, b))
    nwj = readout("nwj", nwj_critic, list(x), list(t), 100, shuffles=10)
    assert dv == pytest.approx(truth, abs=0.015)
    assert nwj == pytest.approx(truth, abs=0.015)


# --- training trace and reported value through mitool.estimate -----------------------------------


@pytest.fixture
def patched_critic(monkeypatch):
    from mitool.estimators import neural

    def use(formula):
        monkeypatch.setattr(neural, "_critic", lambda torch, d_in, hidden: fixed_critic(formula))

    return use


def fit(objective, x, t):
    options = {"batch_size": len(x), "epochs": 2, "shuffles": 2}
    return mitool.estimate(
        np.array(x), np.array(t), estimator=objective, norm="none", k=1, resamples=0,
        options=options,
    )  # fmt: skip


def test_mine_value_and_trace(patched_critic):
    patched_critic(of_x)
    r = fit("mine", A_X, A_T)
    assert r.value == pytest.approx(DV_A, abs=1e-6)
    for epoch in r.details["trace"]:  # the batch is the whole sample: the same DV every epoch
        assert epoch["joint"] == pytest.approx(A_JOINT, abs=1e-6)
        assert epoch["marginal"] == pytest.approx(math.log(3.0), abs=1e-6)  # log mean e^f
        assert epoch["bound"] == pytest.approx(DV_A, abs=1e-6)


def test_nwj_value_and_trace(patched_critic):
    patched_critic(of_x)
    r = fit("nwj", A_X, A_T)
    assert r.value == pytest.approx(NWJ_A, abs=1e-6)
    for epoch in r.details["trace"]:
        assert epoch["marginal"] == pytest.approx(3.0 / math.e, abs=1e-6)  # mean e^(f − 1)
        assert epoch["bound"] == pytest.approx(NWJ_A, abs=1e-6)


def test_infonce_value_trace_and_ceiling(patched_critic):
    patched_critic(product)
    r = fit("infonce", B_X, B_T)
    assert r.value == pytest.approx(NCE_B, abs=1e-6)
    assert r.details["ceiling"] == pytest.approx(math.log(2.0))
    for epoch in r.details["trace"]:
        assert epoch["joint"] == pytest.approx(1.0, abs=1e-6)  # mean of the diagonal (0, 2)
        assert epoch["marginal"] == pytest.approx(NCE_B_SECOND, abs=1e-6)
        assert epoch["bound"] == pytest.approx(NCE_B, abs=1e-6)
