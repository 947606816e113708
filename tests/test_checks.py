"""The sanity checks reproduce the paper's evidence (paper 000, §5.1.1–5.1.4, Appendix C.1),
and the check commands work end to end: exit status, JSON, plot, files, errors."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

from mitool import synthetic
from mitool.checks import (
    ABSOLUTE_TOLERANCE,
    COPIES,
    SCALE_FACTORS,
    Pair,
    check_duplicate,
    check_noise,
    check_scale,
    check_snr,
    parse_pairs,
    save_plot,
)
from mitool.cli import main
from mitool.errors import MitoolError

# Exact invariances (Prop. 2 and the definitions of the norms) hold up to the rounding of one
# normalization constant, far below any statistical tolerance.
EXACT = 1e-9


def by_label(result):
    return {p.label: p for p in result.pairs}


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- built-in data ----------------------------------------------------------------------------


def test_generators_have_the_paper_truths_and_are_seeded():
    x, t, truth = synthetic.correlated_gaussians(50_000, 2, 0.8, seed=3)
    assert truth == pytest.approx(1.0216512475)  # −(2/2)·ln(1 − 0.64)
    # 50 000 rows: the sample correlation's sd is about 0.002, so 0.01 is 5 sd.
    assert np.corrcoef(x[:, 0], t[:, 0])[0, 1] == pytest.approx(0.8, abs=0.01)
    assert abs(np.corrcoef(x[:, 0], t[:, 1])[0, 1]) < 0.02
    _, _, truth = synthetic.additive_gaussian(10, 2, 1 / math.sqrt(2), seed=0)
    assert truth == pytest.approx(math.log(3))  # σ = 1/√2 in d = 2: Fig. 1a and 3a
    x, t, truth = synthetic.snr_gaussian(10, 2, 4.0, seed=5)
    assert truth == pytest.approx(math.log(5))
    x2, t2, _ = synthetic.additive_gaussian(10, 2, 0.5, seed=5)
    np.testing.assert_allclose(t, 0.1 * t2)  # T' = 0.1·(X + ε), σ = 1/√SNR
    np.testing.assert_array_equal(x, x2)
    a = synthetic.correlated_gaussians(20, 3, 0.5, seed=np.random.SeedSequence(9))
    b = synthetic.correlated_gaussians(20, 3, 0.5, seed=np.random.SeedSequence(9))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.t, b.t)


def test_transformations_keep_x():
    x = np.arange(6.0).reshape(3, 2)
    assert synthetic.duplicate_self(x, 3).shape == (3, 6)
    np.testing.assert_array_equal(synthetic.duplicate_self(x, 3)[:, 4:], x)
    noisy = synthetic.duplicate_noise(x, 4, 0.2, seed=1)
    assert noisy.shape == (3, 6)
    np.testing.assert_array_equal(noisy[:, :2], x)
    with pytest.raises(MitoolError):
        synthetic.duplicate_self(x, 0)
    with pytest.raises(MitoolError):
        synthetic.correlated_gaussians(10, 2, 1.0, seed=0)


# --- the paper's evidence ---------------------------------------------------------------------


@pytest.mark.slow  # about 10 s: with the statistical suites
def test_scale_plain_ksg_fails_and_the_normalized_pass():
    r = check_scale(jobs=1)
    assert r.grid == SCALE_FACTORS and r.grid[r.reference_index] == 1.0 and len(r.grid) == 26
    assert r.truth[0] == pytest.approx(1.0216512475)
    pairs = by_label(r)
    assert list(pairs) == ["ksg/none", "ksg/local", "ksg/global-linf"]
    none = pairs["ksg/none"]
    # Prop. 3 for algorithm 1: the estimate tends to 0 at both ends (digest §8: below 0.002 at
    # η = 1e-2 and 1e2 for n = 1000); 0.05 is the default tolerance's absolute part.
    assert abs(none.mean[0]) < 0.05 and abs(none.mean[-1]) < 0.05
    assert none.statistic > 0.9 and not none.passed
    for label in ("ksg/local", "ksg/global-linf"):
        assert pairs[label].statistic < EXACT and pairs[label].passed
    # Only the recommended pair is under test; plain and local KSG are the paper's contrasts.
    assert [p.role for p in r.pairs] == ["contrast", "contrast", "test"]
    assert r.passed


def test_scale_both_sides_is_exact_for_plain_ksg():
    # Prop. 2: KSG(ηX; ηT) = KSG(X; T) bit for bit, whatever η.
    r = check_scale(
        pairs=[Pair("ksg", "none")], side="both", factors=(1e-3, 0.37, 1e3), samples=300, jobs=1
    )
    assert r.estimand == "I(ηX; ηT)" and r.grid == (1e-3, 0.37, 1.0, 1e3)
    assert r.pairs[0].statistic == 0.0 and r.passed


def test_noise_local_fails_and_global_linf_passes():
    r = check_noise(jobs=1)
    assert r.grid == tuple(range(0, 21, 2)) and r.truth[0] == pytest.approx(math.log(3))
    local, linf = by_label(r)["ksg/local"], by_label(r)["ksg/global-linf"]
    # Fig. 1a / digest §6: local scaling drops from about 1.1 to about 0.13 at 20 columns; a
    # drop of more than half the estimate is far beyond the 0.05-nat tolerance.
    assert local.mean[-1] < 0.5 * local.mean[0] and not local.passed
    # Noise at sd 0.04 barely moves L∞ distances; the digest measured no change to 3 decimals.
    assert linf.statistic < 0.02 and linf.passed
    assert linf.statistic >= 0  # the drop is taken from k = 0, so it is never negative


def test_duplicate_ksg_variants_pass():
    # Three points of the grid keep the default run short; the full grid is a slow test.
    r = check_duplicate(copies=(21, 91), jobs=1)
    assert r.grid == (1, 21, 91)
    for pair in r.pairs:  # exact invariances: L∞ distances and per-column spreads unchanged
        assert pair.statistic < EXACT and pair.passed, pair.label
    assert r.passed


def test_snr_local_and_global_linf_track_the_truth():
    r = check_snr(jobs=1)
    assert r.grid == tuple(0.5 * i for i in range(1, 11))
    np.testing.assert_allclose(r.truth, np.log1p(r.grid))
    for pair in r.pairs:
        # The truth rises by ≥ 0.08 nats between neighbouring SNRs against a KSG sd of about
        # 0.03 at n = 1000, and the draws are paired, so the ranks should agree exactly.
        assert pair.statistic >= 0.9 and pair.passed, pair.label
        assert pair.tolerance == 0.9 and pair.reference is None


# --- settings, determinism, tolerance ---------------------------------------------------------


def test_same_seed_same_result_whatever_the_jobs():
    kwargs = dict(factors=(0.1, 10.0), samples=300, trials=2, seed=7)
    a = check_scale(jobs=1, **kwargs)
    b = check_scale(jobs=2, **kwargs)
    c = check_scale(jobs=1, **{**kwargs, "seed": 8})
    assert [p.values for p in a.pairs] == [p.values for p in b.pairs]
    assert [p.values for p in a.pairs] != [p.values for p in c.pairs]


def test_trials_give_mean_and_sd():
    r = check_noise(columns=(4,), samples=300, trials=3, jobs=1)
    pair = r.pairs[0]
    assert len(pair.values) == 3 and pair.sd is not None
    assert pair.values[0] != pair.values[1]  # independent draws of the built-in data
    assert pair.mean[0] == pytest.approx(np.mean([v[0] for v in pair.values]))
    assert pair.sd[0] == pytest.approx(np.std([v[0] for v in pair.values], ddof=1))


def test_tolerance_rule_and_override():
    r = check_duplicate(copies=(2,), samples=200, jobs=1)
    for pair in r.pairs:  # the larger of 0.05 nats and 5% of the reference value
        assert pair.tolerance == max(ABSOLUTE_TOLERANCE, 0.05 * abs(pair.reference))
    r = check_scale(
        pairs=[Pair("ksg", "none")], factors=(1e-2,), samples=300, tolerance=2.0, jobs=1
    )
    assert r.pairs[0].tolerance == 2.0 and r.passed


def test_resamples_give_intervals():
    r = check_scale(pairs=[Pair("ksg", "local")], factors=(10.0,), samples=200, resamples=4, jobs=1)
    pair = r.pairs[0]
    # An interval per factor, centred on that factor's mean with a positive width; ksg/local
    # is exactly invariant to the factor, its replicates included, so the two intervals are
    # identical (replicates drawn with a seed that depends on the factor would differ).
    for lo, m, hi in zip(pair.ci_low, pair.mean, pair.ci_high, strict=True):
        assert hi - lo > 0.01 and m == pytest.approx((lo + hi) / 2)
    assert pair.ci_low[0] == pair.ci_low[1] and pair.ci_high[0] == pair.ci_high[1]
    assert check_scale(factors=(10.0,), samples=200, jobs=1).pairs[0].ci_low is None


def test_pairs():
    assert parse_pairs(check="noise") == (Pair("ksg", "local"), Pair("ksg", "global-linf"))
    assert parse_pairs(["ksg", "bi-ksg"], ["none", "local"]) == (
        Pair("ksg", "none"),
        Pair("ksg", "local"),
        Pair("bi-ksg", "none"),
        Pair("bi-ksg", "local"),
    )
    assert parse_pairs(pairs=["ksg/none", "bi-ksg/local"]) == (
        Pair("ksg", "none"),
        Pair("bi-ksg", "local"),
    )
    assert parse_pairs(["ksg2"], check="noise") == (
        Pair("ksg2", "local"),
        Pair("ksg2", "global-linf"),
    )
    assert parse_pairs(norms=["global"]) == (Pair("ksg", "global"),)
    for bad in (dict(estimators=["nope"]), dict(norms=["cube"]), dict(pairs=["ksg"])):
        with pytest.raises(MitoolError):
            parse_pairs(**bad)


def test_grids_are_checked_and_get_their_reference():
    assert check_noise(columns=(3,), samples=100, jobs=1).grid == (0, 3)
    for bad in (
        dict(factors=(0.0,)),
        dict(factors=(math.inf,)),
        dict(side="y"),
        dict(trials=0),
        dict(samples=3),
        dict(resamples=1),
        dict(tolerance=-1.0),
    ):
        with pytest.raises(MitoolError):
            check_scale(**bad)
    with pytest.raises(MitoolError):
        check_duplicate(copies=(1.5,))
    with pytest.raises(MitoolError):
        check_snr(snrs=(1.0, 2.0))


def test_user_data_truth_unknown_and_noise_relative_to_spread():
    x, t, _ = synthetic.correlated_gaussians(300, 2, 0.8, seed=2)
    # Rescaling X by 1e3 leaves the noise check unchanged: σ' is relative to X's spread.
    a = check_noise(x, t, columns=(6,), jobs=1)
    b = check_noise(1e3 * x, t, columns=(6,), jobs=1)
    assert a.truth is None and "unknown" in a.data and (a.n, a.d_x, a.d_t) == (300, 2, 2)
    for pa, pb in zip(a.pairs, b.pairs, strict=True):
        np.testing.assert_allclose(pa.mean, pb.mean, atol=EXACT)
    with pytest.raises(MitoolError):
        check_noise(x, None)


# --- the command line -------------------------------------------------------------------------


def test_cli_exit_status_follows_the_verdict(capsys):
    code, out, err = run(
        ["check-scale", "--norm", "none,local", "--factors", "0.01,100", "-n", "300", "-j", "1"],
        capsys,
    )
    assert code == 1 and err == ""
    assert "FAIL" in out and "PASS" in out and "ksg/none" in out and "truth" in out
    code, out, _ = run(
        [
            "check-scale",
            "--pairs",
            "ksg/local,bi-ksg/local",
            "--factors",
            "0.01,100",
            "-n",
            "300",
            "-j",
            "1",
        ],
        capsys,
    )
    assert code == 0 and "bi-ksg/local" in out and "FAIL" not in out
    code, out, _ = run(
        [
            "check-scale",
            "--norm",
            "none",
            "--factors",
            "0.01",
            "-n",
            "300",
            "--tolerance",
            "5",
            "-j",
            "1",
        ],
        capsys,
    )
    assert code == 0


def test_cli_json_is_one_object(capsys):
    code, out, err = run(
        [
            "check-snr",
            "--norm",
            "local",
            "-n",
            "300",
            "--snr",
            "1,2,3",
            "--json",
            "--trials",
            "2",
            "-j",
            "1",
        ],
        capsys,
    )
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["check"] == "snr" and doc["passed"] is True and doc["trials"] == 2
    assert doc["grid"] == [1.0, 2.0, 3.0] and len(doc["truth"]) == 3
    (pair,) = doc["pairs"]
    assert pair["estimator"] == "ksg" and pair["norm"] == "local"
    assert len(pair["values"]) == 2 and len(pair["sd"]) == 3


def test_cli_same_seed_same_output(capsys):
    argv = ["check-duplicate", "--copies", "3", "-n", "200", "--json", "--seed", "5", "-j", "1"]
    first = json.loads(run(argv, capsys)[1])
    second = json.loads(run(argv, capsys)[1])
    for doc in (first, second):
        doc.pop("seconds")
    assert first == second


def test_cli_plot_writes_a_png(tmp_path, capsys):
    path = tmp_path / "scale.png"
    code, _, _ = run(
        [
            "check-scale",
            "--factors",
            "0.1,10",
            "-n",
            "200",
            "--plot",
            path,
            "--trials",
            "2",
            "-j",
            "1",
        ],
        capsys,
    )
    assert code == 0  # ksg/none fails even on this short grid, but it is a contrast
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_how_to_install(monkeypatch, tmp_path):
    r = check_scale(pairs=[Pair("ksg", "local")], factors=(2.0,), samples=100, jobs=1)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(MitoolError, match=r"pip install 'mitool\[plot\]'"):
        save_plot(r, str(tmp_path / "p.png"))


def test_cli_reads_files_like_estimate(tmp_path, capsys):
    x, t, _ = synthetic.additive_gaussian(300, 2, 0.7, seed=4)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "t.npy", t)
    rows = [",".join(f"{v:.17g}" for v in row) for row in np.column_stack([x, t])]
    (tmp_path / "d.csv").write_text("\n".join(["a,b,c,d", *rows]) + "\n")
    code, out, _ = run(
        [
            "check-noise",
            tmp_path / "x.npy",
            tmp_path / "t.npy",
            "--columns",
            "8",
            "--json",
            "-j",
            "1",
        ],
        capsys,
    )
    from_npy = json.loads(out)
    assert code == 0 and from_npy["truth"] is None and from_npy["n"] == 300
    assert [p["passed"] for p in from_npy["pairs"]] == [False, True]  # ksg/local: a contrast
    code, out, _ = run(
        [
            "check-noise",
            tmp_path / "d.csv",
            "--x-cols",
            "a,b",
            "--t-cols",
            "c,d",
            "--columns",
            "8",
            "--json",
            "-j",
            "1",
        ],
        capsys,
    )
    assert code == 0
    assert json.loads(out)["pairs"][0]["mean"] == from_npy["pairs"][0]["mean"]
    code, out, _ = run(
        ["check-duplicate", tmp_path / "x.npy", tmp_path / "t.npy", "--copies", "4", "-j", "1"],
        capsys,
    )
    assert code == 0 and "unknown" in out and "truth" not in out.split("\n")[2]


@pytest.mark.parametrize(
    "argv",
    [
        ["check-scale", "--estimator", "nope"],
        ["check-scale", "--norm", "cube"],
        ["check-scale", "--pairs", "ksg"],
        ["check-scale", "--factors", "a,b"],
        ["check-scale", "--factors", "-1"],
        ["check-scale", "--side", "left"],
        ["check-noise", "--trials", "0"],
        ["check-noise", "--noise-sd", "0"],
        ["check-duplicate", "--copies", "0"],
        ["check-snr", "--snr", "1,2"],
        ["check-scale", "missing.npy", "t.npy"],
        ["check-scale", "--x-cols", "a"],
        ["check-scale", "--bogus"],
    ],
)
def test_cli_bad_input_is_one_line_and_status_2(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.startswith("mitool: error: ") and err.count("\n") == 1


# --- slow: the full grids and several trials --------------------------------------------------


@pytest.mark.slow
def test_duplicate_full_grid_three_trials():
    # Fig. 3a: d_X' up to 182, averaged over trials; the invariances are exact in every trial.
    r = check_duplicate(trials=3, seed=1)
    assert r.grid == COPIES
    for pair in r.pairs:
        assert pair.statistic < EXACT and pair.passed, pair.label


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_noise_and_snr_hold_over_seeds_and_trials(seed):
    r = check_noise(trials=3, seed=seed)
    assert [p.passed for p in r.pairs] == [False, True]
    r = check_snr(trials=3, seed=seed)
    assert r.passed
    r = check_scale(trials=2, seed=seed, side="x")
    assert [p.passed for p in r.pairs] == [False, True, True]
