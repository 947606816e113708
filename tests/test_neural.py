"""The neural family (MINE, NWJ, InfoNCE, ReMINE): ground truth, the paper's scale behaviour,
InfoNCE's ceiling, determinism, options and errors."""

from __future__ import annotations

import importlib.util
import json
import math
import sys

import numpy as np
import pytest
from conftest import correlated_gaussians

import mitool
from mitool import MitoolError, MitoolWarning
from mitool.cli import main

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="PyTorch is not installed"
)
FAST = {"epochs": 3}  # a few epochs: enough to exercise every code path in well under a second


def fit(x, t, estimator="mine", norm=None, seed=0, **options):
    return mitool.estimate(
        x, t, estimator=estimator, norm=norm, seed=seed, resamples=0, options=options
    )


# --- installation and options -------------------------------------------------------------------


def test_missing_torch_is_one_line_with_the_install_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    x, t, _ = correlated_gaussians(200, 1, 0.5)
    with pytest.raises(MitoolError, match=r"pip install 'mitool\[neural\]'"):
        fit(x, t)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    assert main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "-e", "mine"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "mitool[neural]" in err[0]


def test_knn_estimators_have_no_training_options():
    x, t, _ = correlated_gaussians(200, 1, 0.5)
    with pytest.raises(MitoolError, match="ksg takes no options"):
        mitool.estimate(x, t, estimator="ksg", resamples=0, options={"epochs": 3})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "learning rate"),
        ({"hidden": (20, 0)}, "hidden"),
        ({"device": "tpu"}, "device"),
        ({"eval": "test"}, "eval"),
        ({"batch_size": 1}, "batch size"),
        ({"epoch": 3}, "unknown option"),
    ],
)
def test_bad_options(options, message):
    x, t, _ = correlated_gaussians(200, 1, 0.5)
    with pytest.raises(MitoolError, match=message):
        fit(x, t, **options)


@needs_torch
def test_batch_larger_than_the_rows_is_an_error():
    x, t, _ = correlated_gaussians(60, 1, 0.5)
    with pytest.raises(MitoolError, match="batch size"):
        fit(x, t)


@needs_torch
def test_default_norm_is_global_corrected_and_knn_norms_are_refused():
    x, t, _ = correlated_gaussians(300, 1, 0.5)
    assert fit(x, t, **FAST).norm == "global-corrected"
    with pytest.raises(MitoolError, match="unknown norm 'global-linf'"):
        fit(x, t, norm="global-linf", **FAST)


@needs_torch
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None and __import__("torch").cuda.is_available(),
    reason="a CUDA device is present",
)
def test_cuda_without_a_device_is_an_error():
    x, t, _ = correlated_gaussians(300, 1, 0.5)
    with pytest.raises(MitoolError, match="no CUDA device"):
        fit(x, t, device="cuda", **FAST)


# --- determinism and exact invariances -----------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("estimator", ("mine", "nwj", "infonce"))
def test_same_seed_same_number(estimator):
    x, t, _ = correlated_gaussians(400, 2, 0.5, seed=1)
    a, b = (fit(x, t, estimator, seed=5, **FAST).value for _ in range(2))
    assert a == b
    assert fit(x, t, estimator, seed=6, **FAST).value != a


@needs_torch
def test_normalised_mine_is_bit_invariant_to_power_of_two_rescaling():
    # Digest of paper 000, Prop. 4 row: with a dividing norm the critic sees identical arrays.
    x, t, _ = correlated_gaussians(400, 2, 0.5, seed=2)
    for norm in ("local", "global", "global-corrected"):
        base = fit(x, t, norm=norm, **FAST).value
        assert fit(4.0 * x, t / 8.0, norm=norm, **FAST).value == base


def test_global_corrected_is_root_d_times_global():
    # Table 1: MINE-Global-Corrected sees sqrt(d)·X_Σ, so the mean energy per dimension is 1.
    from mitool.normalize import normalize

    x, _, _ = correlated_gaussians(400, 4, 0.5, seed=2)
    corrected = normalize(x, "global-corrected")
    np.testing.assert_allclose(corrected, 2.0 * normalize(x, "global"), rtol=1e-15)
    assert np.mean(np.sum(corrected**2, axis=1)) / 4 == pytest.approx(1.0)


# --- InfoNCE's ceiling ---------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("batch", (4, 8, 16))
def test_infonce_never_exceeds_log_batch(batch):
    # Near-deterministic dependence (I = 7.8 nats): the bound saturates at log b but never passes
    # it, in the readout and in every epoch of training.
    x, t, _ = correlated_gaussians(400, 2, 0.9999, seed=3)
    with pytest.warns(MitoolWarning, match="ceiling"):
        r = fit(x, t, "infonce", batch_size=batch, epochs=20, lr=1e-2)
    assert r.value <= math.log(batch) + 1e-6
    assert r.details["ceiling"] == pytest.approx(math.log(batch))
    assert all(e["bound"] <= math.log(batch) + 1e-6 for e in r.details["trace"])


# --- read-out variants, trace, intervals ---------------------------------------------------------


@needs_torch
def test_heldout_evaluation_and_trace():
    x, t, _ = correlated_gaussians(600, 1, 0.8, seed=4)
    r = fit(x, t, eval="heldout", **FAST)
    assert r.details["eval"] == "heldout" and len(r.details["trace"]) == 3
    assert set(r.details["trace"][0]) == {"epoch", "joint", "marginal", "bound"}
    assert r.value != fit(x, t, **FAST).value


@needs_torch
def test_remine_reports_its_window_estimate():
    x, t, _ = correlated_gaussians(600, 1, 0.8, seed=4)
    r = fit(x, t, remine_lambda=0.1, **FAST)
    assert r.value == r.details["remine_window_estimate"] != r.details["readout"]


@needs_torch
def test_intervals_retrain_in_every_replicate():
    x, t, _ = correlated_gaussians(800, 1, 0.8, seed=6)
    r = mitool.estimate(x, t, estimator="mine", resamples=4, options=FAST, jobs=2)
    # Each replicate trains its own critic on its 400 rows: their values spread (a critic
    # trained once on all rows and reused would give one value, sd 0) and their mean is not
    # the full-data estimate.
    assert r.interval.resamples == 4 and r.interval.failed == 0
    assert r.interval.sd > 1e-3 and r.interval.replicate_mean != r.value
    same = mitool.estimate(x, t, estimator="mine", resamples=4, options=FAST, jobs=1)
    assert same.interval == r.interval  # one torch thread per fit: identical in any process


@needs_torch
def test_cli_neural_options_and_trace(tmp_path, capsys):
    x, t, _ = correlated_gaussians(400, 2, 0.6, seed=7)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    argv = ["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "-B", "0", "--json"]
    code = main(
        [*argv, "-e", "infonce", "--hidden", "8,8", "--epochs", "2", "--batch-size", "50",
         "--lr", "0.01", "--trace", str(tmp_path / "trace.json")]
    )  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["details"]["ceiling"] == pytest.approx(math.log(50))
    trace = json.loads((tmp_path / "trace.json").read_text())
    assert trace["estimator"] == "infonce" and len(trace["epochs"]) == 2
    assert main([*argv, "-e", "mine", "--hidden", "a,b"]) == 2
    assert "--hidden" in capsys.readouterr().err
    assert main([*argv, "--trace", str(tmp_path / "k.json")]) == 2
    assert "no training trace" in capsys.readouterr().err


# --- ground truth and the paper's scale behaviour (slow) ----------------------------------------
# Seeds are fixed; tolerances are the issue's, which are about 3 sd of MINE's seed-to-seed spread
# at n = 5000 (measured 0.02-0.04 nats on these data).


@needs_torch
@pytest.mark.slow
@pytest.mark.parametrize(
    ("estimator", "options"),
    [("mine", {}), ("nwj", {}), ("infonce", {}), ("mine", {"remine_lambda": 0.1})],
    ids=["mine", "nwj", "infonce", "remine"],
)
def test_1d_gaussian_rho_09(estimator, options):
    x, t, truth = correlated_gaussians(5000, 1, 0.9, seed=3)
    assert fit(x, t, estimator, norm="none", **options).value == pytest.approx(truth, abs=0.15)


@needs_torch
@pytest.mark.slow
def test_mine_global_corrected_d4():
    x, t, truth = correlated_gaussians(5000, 4, 0.5, seed=4)
    assert truth == pytest.approx(0.575, abs=1e-3)
    assert fit(x, t, norm="global-corrected").value == pytest.approx(truth, rel=0.20)


@needs_torch
@pytest.mark.slow
def test_fig4b_scale_response():
    # I(ηX; T), rho = 0.5, d = 2 (truth 0.288). Vanilla MINE collapses as η → 0 (Prop. 6): its
    # first-layer X weights barely move. Normalised variants see the same arrays at every η.
    x, t, _ = correlated_gaussians(1000, 2, 0.5, seed=5)
    vanilla = {eta: fit(eta * x, t, norm="none").value for eta in (0.01, 1.0)}
    assert vanilla[0.01] < vanilla[1.0] - 0.15
    for norm in ("local", "global-corrected"):
        at_1 = fit(x, t, norm=norm).value
        for eta in (0.01, 10.0):
            assert fit(eta * x, t, norm=norm).value == pytest.approx(at_1, abs=0.15)
