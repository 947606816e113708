"""The data must suit the estimator and norm chosen (issue 19: a constant-free but
outlier-ridden or 400-decade X read a confident wrong number under ksg/global-linf; ross and
plugin on continuous data failed with errors that named neither the file nor the cause)."""

from __future__ import annotations

import numpy as np
import pytest

import mitool
from mitool import InputError, MitoolError

RHO = 0.6
TRUTH = -0.5 * np.log(1 - RHO**2)  # I of a bivariate normal pair, 0.2231 nats


def _pair(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, RHO * x + np.sqrt(1 - RHO**2) * rng.standard_normal(n)


@pytest.mark.parametrize("norm", ["local", "global-linf"])
def test_one_extreme_value_that_hides_the_bulk_is_an_error(norm):
    x, t = _pair()
    x[0] = 1e10  # the sd becomes 5e8: the other 399 rows shrink to 2e-9 of a unit
    with pytest.raises(InputError, match=r"X: column 0: under the '.*' norm the middle half"):
        mitool.estimate(x, t, estimator="ksg", norm=norm, resamples=0)
    # the rank norm (and auto) are immune: within 0.1 nats of the truth (sd ≈ 0.04 at n = 400)
    assert mitool.estimate(x, t, estimator="ksg", norm="rank", resamples=0).value == (
        pytest.approx(TRUTH, abs=0.1)
    )


def test_a_column_400_decades_below_the_other_is_an_error_under_a_global_norm():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 500))
    x = np.column_stack([1e200 * a, 1e-200 * b])
    t = np.column_stack([a, b]) + rng.standard_normal((500, 2))
    with pytest.raises(InputError, match="column 1: under the 'global-linf' norm"):
        mitool.estimate(x, t, estimator="ksg", norm="global-linf", resamples=0)
    local = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=0)
    plain = mitool.estimate(np.column_stack([a, b]), t, estimator="ksg", norm="local", resamples=0)
    assert local.value == pytest.approx(plain.value, abs=1e-9)  # local sees both columns


def test_a_moderately_shrunk_bulk_is_a_warning_with_the_estimate():
    x, t = _pair(n=1000)
    x[:3] = [3e3, -3e3, 2.5e3]  # sd ≈ 156: the bulk (sd 1) spans about 0.006 of a unit
    with pytest.warns(mitool.MitoolWarning, match="the estimate is likely biased low"):
        result = mitool.estimate(x, t, estimator="ksg", norm="local", resamples=0)
    assert np.isfinite(result.value)


def test_gaussian_data_pass_silently():
    import warnings

    x, t = _pair()
    with warnings.catch_warnings():
        warnings.simplefilter("error", mitool.MitoolWarning)
        for norm in ("local", "global", "global-linf"):
            mitool.estimate(x, t, estimator="ksg", norm=norm, resamples=0)


def test_ross_on_continuous_labels_names_the_side_and_the_cause():
    x, t = _pair()
    with pytest.raises(
        InputError, match=r"labels\.npy: has 400 distinct values .* looks continuous"
    ):
        mitool.estimate(x, t, estimator="ross", resamples=0, names=("x.npy", "labels.npy"))


def test_a_label_on_one_row_names_the_labels():
    x, _ = _pair()
    labels = np.arange(400) % 4.0
    labels[7] = 9.0
    with pytest.raises(InputError, match=r"y\.csv: label\(s\) 9 occur in only one row"):
        mitool.estimate(x, labels, estimator="ross", resamples=0, names=("x", "y.csv"))


def test_plugin_on_continuous_data_names_the_side():
    x, _ = _pair()
    labels = np.arange(400) % 4.0
    with pytest.raises(InputError, match=r"^feature\.npy: has 400 distinct values"):
        mitool.estimate(x, labels, estimator="plugin", resamples=0, names=("feature.npy", "y"))


def test_the_same_continuous_column_on_both_sides_is_refused_from_the_command_line(
    tmp_path, capsys
):
    from mitool.cli import main

    x, t = _pair()
    path = tmp_path / "pair.csv"
    np.savetxt(path, np.column_stack([x, t]), delimiter=",", header="x,t", comments="")
    assert main(["estimate", str(path), "--x-cols", "x", "--t-cols", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "select different columns" in err[0]
    with pytest.raises(MitoolError):
        mitool.estimate(x, x, resamples=0)
