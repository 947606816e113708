"""``auto``: the diagnosis, the choice it makes, the rank norm it relies on, and the fixes to
BI-KSG that make its global norm safe (a max over c is only taken where the edge limit is not
above 0)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.special import ndtri

import mitool
from mitool import MitoolError, MitoolWarning
from mitool.choose import choose
from mitool.diagnose import HEAVY_TAILS, POINT_MASS, diagnose
from mitool.estimators.bi_ksg import BI_KSG_L2_FORM, bi_ksg, bi_ksg_l2
from mitool.estimators.sweep import monotone_sweep
from mitool.normalize import rank


def quiet(x, t, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        return mitool.estimate(x, t, resamples=0, **kwargs)


def units(a: np.ndarray, seed: int) -> np.ndarray:
    """Each column in its own units: times 10^u, u uniform in [-2, 2]."""
    a = a.reshape(len(a), -1)
    return a * 10.0 ** np.random.default_rng(seed).uniform(-2, 2, a.shape[1])


# --- the rank norm ------------------------------------------------------------------------------


def test_rank_norm_is_normal_scores_of_average_ranks():
    """Against a brute-force rank: 1 + #smaller + (#equal − 1)/2 (the average rank of a tie)."""
    a = np.array([[3.0, 1.0], [1.0, 1.0], [2.0, 5.0], [3.0, 0.0], [-4.0, 1.0]])
    n = len(a)
    smaller = (a[None, :, :] < a[:, None, :]).sum(axis=1)
    equal = (a[None, :, :] == a[:, None, :]).sum(axis=1)
    expected = ndtri((1 + smaller + (equal - 1) / 2) / (n + 1))
    np.testing.assert_allclose(rank(a), expected, rtol=0, atol=1e-15)
    assert rank(a)[0, 0] == rank(a)[3, 0]  # a tie stays a tie


def test_rank_norm_makes_ksg_invariant_to_increasing_maps_of_each_column():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((800, 2))
    t = x[:, :1] + 0.5 * rng.standard_normal((800, 1))
    base = quiet(x, t, estimator="ksg", norm="rank").value
    moved = np.column_stack([np.exp(3 * x[:, 0]), 1e-4 * x[:, 1] ** 3])
    assert quiet(moved, 50.0 * t + 7, estimator="ksg", norm="rank").value == base
    # ...which the paper's global norm is not: one factor per variable, not per column, and
    # here exp(3x) sets it so high that the second column's bulk is invisible (8e-7 of a unit)
    with pytest.raises(MitoolError, match="column 1: under the 'global-linf' norm"):
        quiet(moved, t, estimator="ksg")


def test_rank_norm_of_a_constant_variable_is_an_error():
    with pytest.raises(MitoolError, match="rank"):
        quiet(np.full(50, 2.5), np.arange(50.0), estimator="ksg", norm="rank")


# --- the diagnosis: each built to trigger, and not to ------------------------------------------


def test_discrete_sides_are_found_by_their_distinct_values():
    rng = np.random.default_rng(0)
    n = 2000
    labels = rng.integers(0, 10, n).astype(float)
    counts = rng.integers(0, 5000, n).astype(float)  # integers, but nearly all distinct
    d = diagnose(rng.standard_normal((n, 3)), labels[:, None])
    assert d.t.discrete and d.t.symbols == 10 and not d.x.discrete
    assert not diagnose(counts[:, None], labels[:, None]).x.discrete


def test_point_masses_are_found_in_one_column():
    rng = np.random.default_rng(1)
    n = 3000
    x = rng.standard_normal((n, 3))
    t = rng.standard_normal((n, 1))
    assert diagnose(x, t).x.point_mass == 0.0
    x[rng.random(n) < 0.3, 2] = 0.0  # zero-inflated third column
    found = diagnose(x, t).x
    assert found.point_mass == pytest.approx(0.3, abs=0.03) and found.point_mass >= POINT_MASS
    assert not found.discrete


def test_heavy_tails_are_found_by_the_excess_kurtosis():
    """A Gaussian's excess kurtosis is 0 ± √(24/n) (0.05 here) and a uniform's −1.2; Student-t
    with 3 degrees of freedom has an infinite one (the sample's reads in the tens)."""
    rng = np.random.default_rng(3)
    n = 10_000
    light = np.column_stack([rng.standard_normal(n), rng.uniform(size=n)])
    heavy = np.column_stack([light, rng.standard_t(3, n)])
    found = diagnose(light, light[:, :1]).x.kurtosis
    assert found == pytest.approx(0.0, abs=0.25) and found < HEAVY_TAILS
    assert diagnose(heavy, light[:, :1]).x.kurtosis > HEAVY_TAILS
    # near the float limits the moments would overflow or underflow; scaled, they read the same
    for scale in (1e200, 1e-200, 2.0**1000):
        far = diagnose(scale * heavy, light[:, :1]).x.kurtosis
        assert far == pytest.approx(diagnose(heavy, light[:, :1]).x.kurtosis, rel=1e-9)


@pytest.mark.parametrize("scale", [1e200, 1e-200, 1e300, 1e-300])
def test_auto_reads_the_same_near_the_float_limits(scale):
    """Columns in units of 1e±200 or 1e±300 once overflowed the squares of the local norm (a
    1e200 column became 0; [1e200·g0, 1e-200·g1] read 0.0 against 1.07). Scaled by powers of two
    first, they give what the same data near 1 gives (to rounding of the factor 10^k)."""
    rng = np.random.default_rng(20)
    x = rng.standard_normal((1500, 2))
    t = x[:, :1] + rng.standard_normal((1500, 1))
    base = quiet(x, t)
    assert quiet(scale * x, t).value == pytest.approx(base.value, abs=1e-9)
    mixed = np.column_stack([scale * x[:, 0], x[:, 1] / scale])
    result = quiet(mixed, t, estimator="ksg", norm="local")
    assert result.value == pytest.approx(quiet(x, t, estimator="ksg", norm="local").value, abs=1e-9)


def test_copies_of_continuous_rows_are_records_but_discrete_repeats_are_not():
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((500, 2)), rng.standard_normal((500, 1))
    assert diagnose(x, t).copies == 0
    twice = diagnose(np.vstack([x, x[:200]]), np.vstack([t, t[:200]]))
    assert twice.copies == 200 and twice.copies_are_records
    labels = rng.integers(0, 3, (700, 1)).astype(float)
    symbols = rng.integers(0, 4, (700, 1)).astype(float)
    assert not diagnose(symbols, labels).copies_are_records
    zero = np.where(rng.random((700, 1)) < 0.5, 0.0, rng.standard_normal((700, 1)))
    mixed = diagnose(np.vstack([zero, zero[:50]]), np.vstack([zero, zero[:50]]) ** 2)
    # T = X²: the point mass at 0 is one group of hundreds of equal joint rows, not a record
    assert mixed.copies > 300 and not mixed.copies_are_records


def test_the_decisions_do_not_change_with_each_columns_units():
    rng = np.random.default_rng(4)
    n = 1500
    x = np.column_stack([rng.standard_normal(n), np.where(rng.random(n) < 0.2, 0, rng.random(n))])
    t = rng.integers(0, 4, n).astype(float)
    a, b = diagnose(x, t[:, None]), diagnose(units(x, 1), units(t, 2))
    for side in ("x", "t"):
        for field in ("symbols", "discrete", "point_mass", "smallest_class", "constant"):
            assert getattr(getattr(a, side), field) == getattr(getattr(b, side), field)
        assert getattr(a, side).kurtosis == pytest.approx(getattr(b, side).kurtosis, rel=1e-9)
    assert (a.copies, a.copies_are_records) == (b.copies, b.copies_are_records)


# --- the choice -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "estimator", "norm", "swap"),
    [
        ("continuous", "ksg-gcmi", "local", False),
        ("heavy tails", "ksg-gcmi", "rank", False),
        ("labels in T", "ross", "local", False),
        ("labels in X", "ross", "local", True),
        ("heavy labelled", "ross", "rank", False),
        ("discrete x discrete", "plugin", "none", False),
        ("zero-inflated", "mixed-ksg", "rank", False),
        ("constant", "ksg", "none", False),
    ],
)
def test_auto_chooses_by_the_shape_of_the_data(case, estimator, norm, swap):
    rng = np.random.default_rng(5)
    n = 2000
    g = rng.standard_normal((n, 2))
    labels = rng.integers(0, 6, n).astype(float)
    x, t = {
        "continuous": (g, g[:, :1] + rng.standard_normal((n, 1))),
        "heavy tails": (g, rng.standard_cauchy((n, 1)) + g[:, :1]),
        "labels in T": (g, labels),
        "heavy labelled": (g**3, labels),
        "labels in X": (labels, g),
        "discrete x discrete": (labels, labels % 3),
        "zero-inflated": (np.where(labels < 3, 0.0, g[:, 0]), g[:, 1]),
        "constant": (np.full(n, 7.3), labels),
    }[case]
    choice = choose(diagnose(*(np.reshape(a, (n, -1)) for a in (x, t))))
    assert (choice.estimator, choice.norm, choice.swap) == (estimator, norm, swap)
    result = quiet(x, t)
    assert (result.estimator, result.norm) == (estimator, norm)
    assert result.choice["reason"] == choice.reason and "diagnosis" in result.choice


def test_auto_on_independent_labels_reads_zero():
    """10 classes independent of a 5-D X, n = 2000: the default once read 0.128 nats (ksg with
    the global norm). Ross's sd here is about 0.01; |I| < 0.03 is three of them."""
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((2000, 5)), rng.integers(0, 10, 2000)
    assert abs(quiet(x, y).value) < 0.03


def test_auto_drops_duplicated_records_and_reads_as_without_them():
    """Every row twice made KSG read 1.46 nats against 0.69; auto drops the copies, keeping the
    first of each in order, so it reads exactly what it reads on the rows without copies."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1500, 2))
    t = x + rng.standard_normal((1500, 2))
    clean = quiet(x, t)
    copied = quiet(np.vstack([x, x[:750]]), np.vstack([t, t[:750]]))
    assert copied.value == clean.value and copied.n == 1500
    assert copied.choice["dropped_copies"] and "duplicated record" in copied.choice["reason"]
    assert quiet(np.vstack([x, x]), np.vstack([t, t]), estimator="ksg").value > clean.value + 0.3


@pytest.mark.parametrize("case", ["continuous", "labels", "zero-inflated", "discrete"])
def test_auto_does_not_move_with_each_columns_units(case):
    rng = np.random.default_rng(8)
    n = 1500
    g = rng.standard_normal((n, 3))
    labels = rng.integers(0, 4, n).astype(float)
    x, t = {
        "continuous": (g, g[:, :2] ** 3 + rng.standard_normal((n, 2))),
        "labels": (g + labels[:, None], labels),
        "zero-inflated": (np.where(labels[:, None] < 2, 0.0, g), g[:, :1]),
        "discrete": (labels, (labels + rng.integers(0, 2, n)) % 4),
    }[case]
    assert quiet(units(x, 9), units(t, 10)).value == quiet(x, t).value


def test_auto_reads_discrete_data_with_a_discrete_estimator():
    """Discrete X on 5 values, T = X + N(0, 1) (truth 0.536 nats by quadrature): ksg2 read 0.214
    with no warning. auto takes X as classes (Ross) and reads within 0.05; ksg2 now warns."""
    rng = np.random.default_rng(11)
    x = rng.integers(0, 5, 5000).astype(float)
    t = x + rng.standard_normal(5000)
    assert quiet(x, t).value == pytest.approx(0.536, abs=0.05)
    with pytest.warns(MitoolWarning, match="only 5 distinct values"):
        mitool.estimate(x, t, estimator="ksg2", resamples=0)


def test_auto_with_a_norm_is_an_error():
    with pytest.raises(MitoolError, match="name an estimator"):
        mitool.estimate(np.arange(20.0), np.arange(20.0), norm="local")


# --- BI-KSG ---------------------------------------------------------------------------------------


def test_max_norm_bi_ksg_under_a_global_norm_reads_zero_on_independent_data():
    """Independent 5 x 5 Gaussians, n = 2000: the L2 form's max over c read 1.88 nats at the grid's
    edge. The max-norm form tends to ψ(k) − ln k < 0 at the edges, so the maximum is near 0 (its
    sd here is about 0.02; 0.08 leaves room for the max over c's small positive bias)."""
    rng = np.random.default_rng(12)
    x, t = rng.standard_normal((2000, 5)), rng.standard_normal((2000, 5))
    assert abs(quiet(x, t, estimator="bi-ksg").value) < 0.08
    with pytest.raises(MitoolError, match="grid's edge"):
        quiet(x, t, estimator="bi-ksg-l2", norm="global-linf")
    curve = bi_ksg_l2(x, t, (0.01,), 3).values[0]  # what the refused maximum would pick
    assert curve > 1.0


def test_l2_bi_ksg_counts_are_floored_at_the_joint_neighbours():
    """k = 1, 7-D X, binary T (jittered as the API does): the joint and marginal squared
    distances round differently, and a marginal count missed the one joint neighbour (ln 0:
    an infinite estimate). The floor at k + 1 (self included) is the proven minimum."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 7))
    t = rng.integers(0, 2, (2000, 1)).astype(float)
    x, t = x - x.mean(axis=0), t - t.mean(axis=0)
    x, t = (a / np.mean(np.abs(a).max(axis=1)) for a in (x, t))  # the global-linf norm
    x, t = (a + 1e-10 * a.std(axis=0) * rng.standard_normal(a.shape) for a in (x, t))
    with np.errstate(divide="ignore"):
        unfloored = monotone_sweep(x, t, (1.0,), 1, BI_KSG_L2_FORM).values[0]
    assert unfloored == math.inf  # the case is really triggered
    assert math.isfinite(bi_ksg_l2(x, t, (1.0,), 1).values[0])
    assert math.isfinite(bi_ksg(x, t, (1.0,), 1).values[0])


# --- ksg-gcmi: auto's estimator for continuous data -------------------------------------------


def test_ksg_gcmi_is_the_larger_of_its_two_parts():
    """An independent formula: max(KSG algorithm 1, GCMI) on the same normalised arrays."""
    from mitool.estimators.gcmi import gcmi_value
    from mitool.estimators.ksg import ksg1
    from mitool.estimators.ksg_gcmi import ksg_gcmi

    rng = np.random.default_rng(13)
    for t_of in (lambda x, e: x[:, :1] + e, lambda x, e: np.cos(3 * x[:, :1]) + 0.3 * e):
        x = rank(rng.standard_normal((1500, 2)))
        t = rank(t_of(x, rng.standard_normal((1500, 1))))
        curve = ksg_gcmi(x, t, (1.0,), 3)
        ksg, copula = ksg1(x, t, (1.0,), 3).values[0], gcmi_value(x, t)[0]
        assert curve.values[0] == max(ksg, copula)
        assert curve.details["larger"] == ("gcmi" if copula > ksg else "ksg")


def test_auto_holds_in_high_dimension_where_ksg_reads_low():
    """Sparse 25 x 25 Gaussians (two coupled pairs, ρ = 0.8 and 0.6; truth 0.734 nats), n = 3000:
    KSG reads about 0.1; auto (GCMI's side of the max) within 0.05 of the truth (GCMI's sd here
    is about 0.015)."""
    rng = np.random.default_rng(14)
    x, t = rng.standard_normal((3000, 25)), rng.standard_normal((3000, 25))
    for i, rho in enumerate((0.8, 0.6)):
        t[:, i] = rho * x[:, i] + math.sqrt(1 - rho**2) * t[:, i]
    truth = -0.5 * (math.log(1 - 0.64) + math.log(1 - 0.36))
    result = quiet(x, t)
    assert result.value == pytest.approx(truth, abs=0.05)
    assert result.details["larger"] == "gcmi" and result.details["ksg"] < 0.3


# --- small n: no overconfident interval ---------------------------------------------------------


def test_below_thirty_rows_there_is_no_interval_but_a_warning():
    """n = 10 independent rows once gave [0.06, 0.28] around 0.17: an interval excluding the
    truth 0, from half-samples whose spread was a third of the estimator's real sd."""
    rng = np.random.default_rng(15)
    with pytest.warns(MitoolWarning, match="no interval: below 30 rows"):
        r = mitool.estimate(rng.standard_normal(10), rng.standard_normal(10), jobs=1)
    assert r.interval is None and r.ci_low is None


def test_below_a_hundred_rows_the_interval_is_widened_one_and_a_half_times(monkeypatch):
    rng = np.random.default_rng(16)
    x, t = rng.standard_normal(60), rng.standard_normal(60)
    with pytest.warns(MitoolWarning, match="widened 1.5x"):
        wide = mitool.estimate(x, t, estimator="ksg", norm="none", resamples=20, jobs=1)
    monkeypatch.setattr("mitool.api.small_sample_policy", lambda n: (True, 1.0))
    plain = mitool.estimate(x, t, estimator="ksg", norm="none", resamples=20, jobs=1)
    assert wide.value == plain.value and wide.interval.widened == 1.5
    assert wide.ci_high - wide.value == pytest.approx(1.5 * (plain.ci_high - plain.value))
    assert wide.value - wide.ci_low == pytest.approx(1.5 * (plain.value - plain.ci_low))


# --- text class labels ----------------------------------------------------------------------------


def _labelled_csv(path, n=600, kinds=("cat", "dog", "bird"), seed=17):
    rng = np.random.default_rng(seed)
    labels = rng.choice(list(kinds), n)
    x = rng.standard_normal((n, 2)) + (labels == kinds[1])[:, None]
    with open(path, "w") as f:
        f.write("a,b,label\n")
        f.writelines(f"{float(x[i, 0])!r},{float(x[i, 1])!r},{labels[i]}\n" for i in range(n))
    codes = np.searchsorted(np.array(sorted(kinds)), labels).astype(float)
    return x, codes


def test_text_labels_are_classes_for_auto_ross_and_plugin(tmp_path, capsys):
    """A text column reads as codes of its sorted distinct texts: the same estimate as the
    integer codes through the API, to the bit."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from mitool.cli import main

    x, codes = _labelled_csv(tmp_path / "l.csv")
    kinds = np.array(["bird", "cat", "dog"])
    table = {"a": x[:, 0], "b": x[:, 1], "label": kinds[codes.astype(int)].tolist()}
    pq.write_table(pa.table(table), tmp_path / "l.parquet")
    for name in ("l.csv", "l.parquet"):
        argv = ["estimate", str(tmp_path / name), "--x-cols", "a,b", "--t-cols", "label"]
        for extra in ([], ["-e", "ross"]):
            assert main([*argv, *extra, "-B", "0", "--json"]) == 0
            payload = json.loads(capsys.readouterr().out)
            expected = quiet(x, codes, **({"estimator": "ross"} if extra else {}))
            assert payload["estimator"] == "ross" and payload["value"] == expected.value


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--x-cols", "label", "--t-cols", "a", "-e", "ross"], "ross takes class labels in T"),
        (["--x-cols", "a,b", "--t-cols", "label", "-e", "ksg"], "not numeric"),
        (["--x-cols", "a,b", "--t-cols", "id"], "too many to read as class labels"),
    ],
)
def test_text_where_it_cannot_be_labels_is_a_one_line_error(tmp_path, capsys, extra, message):
    from mitool.cli import main

    rng = np.random.default_rng(18)
    with open(tmp_path / "t.csv", "w") as f:
        f.write("a,b,label,id\n")
        f.writelines(f"{rng.normal()},{rng.normal()},{'xy'[i % 2]},row{i}\n" for i in range(200))
    assert main(["estimate", str(tmp_path / "t.csv"), *extra, "-B", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_diagnose_prints_what_auto_sees_and_would_run(tmp_path, capsys):
    import json

    from mitool.cli import main

    rng = np.random.default_rng(19)
    np.save(tmp_path / "x.npy", rng.standard_normal((400, 2)))
    np.save(tmp_path / "y.npy", rng.integers(0, 4, 400))
    assert main(["diagnose", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["diagnosis"]["t"]["symbols"] == 4 and payload["diagnosis"]["t"]["discrete"]
    assert payload["choice"]["estimator"] == "ross"
    assert main(["diagnose", str(tmp_path / "x.npy"), str(tmp_path / "y.npy")]) == 0
    assert "auto would run: ross" in capsys.readouterr().out


def test_the_checks_take_auto_as_a_pair():
    from mitool.checks import Pair, parse_pairs

    assert parse_pairs(pairs=["auto", "ksg/none"]) == (Pair("auto", None), Pair("ksg", "none"))
    assert parse_pairs(["auto"], None)[0].label == "auto"


def test_the_paper_study_takes_auto_as_a_pair():
    from mitool.benchmark import Row, parse_pairs, run

    assert parse_pairs("auto, ksg/none") == ("auto", "ksg/none")
    (row,) = run([Row("additive", ("sg",), 2, 300)], "auto,ksg/none", trials=2, jobs=1)
    assert set(row.estimates) == {"auto", "ksg/none"}
    assert np.all(np.isfinite(row.estimates["auto"]))


def test_a_handful_of_rows_gets_an_estimate_and_no_interval():
    """n = 5 and 8 with the default interval once failed on the subsample size (n/2 rows
    cannot hold k + 2); the interval is withheld below 30 rows anyway."""
    rng = np.random.default_rng(21)
    for n in (5, 8):
        with pytest.warns(MitoolWarning, match="no interval"):
            r = mitool.estimate(rng.standard_normal(n), rng.standard_normal(n), jobs=1)
        assert r.interval is None and math.isfinite(r.value)


def test_an_estimate_above_log_n_is_flagged():
    """One-hot 16 x 16 (truth ln 16 = 2.77): the L2 BI-KSG read 8.37 nats at n = 5000 (11.93
    with a maximum over c, above ln n = 8.52, which bounds what n rows can show); at n = 1000
    it reads above ln n = 6.91 and is flagged. The max-norm form reads ln 16."""
    rng = np.random.default_rng(7)
    onehot = np.eye(16)[rng.integers(0, 16, 1000)]
    with pytest.warns(MitoolWarning, match="above ln n"):
        r = mitool.estimate(onehot, onehot.copy(), estimator="bi-ksg-l2", resamples=0)
    assert r.value > math.log(1000)
    assert quiet(onehot, onehot.copy(), estimator="bi-ksg").value == pytest.approx(
        math.log(16), abs=0.05
    )


@pytest.mark.parametrize("value", [2.5, 3.7, 7.3])
@pytest.mark.parametrize("estimator", ["ross", "ksg"])
def test_a_constant_is_found_exactly_whatever_its_value(value, estimator):
    """The mean of n copies of 3.7 or 7.3 is not the value in floating point: a constant X of
    7.3 against labels once read −8.23 nats with ross. A dividing norm now refuses it (the
    documented error), auto gives 0, and a constant column among others changes nothing."""
    rng = np.random.default_rng(22)
    labels = rng.integers(0, 2, 3000).astype(float)
    constant = np.full(3000, value)
    with pytest.raises(MitoolError, match="zero spread"):
        quiet(constant, labels, estimator=estimator, norm="global-linf")
    assert quiet(constant, labels).value == 0.0
    x = rng.standard_normal(3000) + labels
    with_constant = np.column_stack([constant, x])
    for norm in ("local", "global-linf"):
        alone = quiet(x, labels, estimator=estimator, norm=norm).value
        assert quiet(with_constant, labels, estimator=estimator, norm=norm).value == pytest.approx(
            alone, abs=1e-9
        )


def test_the_json_of_auto_stays_valid_for_columns_400_decades_apart(tmp_path, capsys):
    """The spread ratio of [1e200·g, 1e-200·g] is 1e400, beyond the floats: as a ratio it broke
    the JSON ("Out of range float values"); it is reported in decades."""
    import json

    from mitool.cli import main

    rng = np.random.default_rng(23)
    g = rng.standard_normal((300, 2))
    np.save(tmp_path / "x.npy", np.column_stack([1e200 * g[:, 0], 1e-200 * g[:, 1]]))
    np.save(tmp_path / "t.npy", g[:, 0] + rng.standard_normal(300))
    assert main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["choice"]["diagnosis"]["x"]["spread_decades"] == pytest.approx(400, abs=1)
