"""Numeric options are checked at the boundary, and an estimate that is not a number never
leaves the API (issue 19: a seed of -1 or 2^70 and k = 3.0 failed inside numpy and numba, and
a diverged MINE printed -1.3e14 nats with exit 0)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

import mitool
from mitool import MitoolError
from mitool.cli import main


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 1))
    return x, x + rng.standard_normal((200, 1))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seed": -1}, "seed must be from 0"),
        ({"seed": 2**70}, "seed must be from 0"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"seed": True}, "seed must be a whole number"),
        ({"k": 2.5}, "k must be a whole number"),
        ({"k": 0}, "k must be at least 1"),
        ({"k": "3"}, "k must be a whole number"),
    ],
)
def test_bad_whole_numbers_are_one_line_errors(pair, options, message):
    with pytest.raises(MitoolError, match=message):
        mitool.estimate(*pair, resamples=0, **options)


def test_integral_floats_are_whole_numbers(pair):
    one = mitool.estimate(*pair, estimator="ksg", k=3.0, seed=7.0, resamples=0)
    two = mitool.estimate(*pair, estimator="ksg", k=3, seed=7, resamples=0)
    assert (one.value, one.k, one.seed) == (two.value, 3, 7)


def test_a_negative_seed_on_the_command_line_exits_2(tmp_path, capsys, pair):
    np.save(tmp_path / "x.npy", pair[0])
    np.save(tmp_path / "t.npy", pair[1])
    assert main(["estimate", str(tmp_path / "x.npy"), str(tmp_path / "t.npy"), "--seed", "-1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "seed must be from 0" in err[0]


def test_no_arguments_print_the_help_and_no_empty_error_line(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert "Usage" in captured.out + captured.err
    assert "mitool: error:" not in captured.err


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs PyTorch")
def test_a_diverged_training_is_an_error_not_an_estimate(pair):
    """Adam at a rate of 1e6 throws the critic far off: the bound read about -1e13 nats."""
    with pytest.raises(MitoolError, match="training diverged"):
        mitool.estimate(*pair, estimator="mine", resamples=0, options={"lr": 1e6, "epochs": 3})


def test_the_same_continuous_column_on_both_sides_is_an_error(pair):
    """--x-cols f1 --t-cols f1 read 6.68 nats with no warning: I(X; X) is infinite, so any
    number is wrong; discrete copies (I = H, finite) are fine."""
    x = np.column_stack([pair[0], pair[1]])
    with pytest.raises(MitoolError, match="X column 1 and T column 0 hold the same continuous"):
        mitool.estimate(x, x[:, 1], estimator="ksg", resamples=0)
    labels = np.arange(200) % 3.0
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", mitool.MitoolWarning)
        assert mitool.estimate(labels, labels, resamples=0).value == pytest.approx(
            np.log(3), abs=0.01
        )


def test_an_npy_stream_is_recognised_without_format(tmp_path, capsys, pair, monkeypatch):
    import io
    import json

    buffer = io.BytesIO()
    np.save(buffer, np.column_stack(pair))
    stream = io.BytesIO(buffer.getvalue())
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(stream))
    argv = ["estimate", "-", "--x-cols", "0", "--t-cols", "1", "-B", "0", "--json", "-e", "ksg"]
    assert main(argv) == 0
    value = json.loads(capsys.readouterr().out)["value"]
    assert value == mitool.estimate(*pair, estimator="ksg", resamples=0).value


def test_a_preset_refuses_n(capsys):
    assert main(["benchmark", "--preset", "table2", "--n", "300"]) == 2
    err = capsys.readouterr().err
    assert "--n is now --samples" in err and "--samples does not apply to --preset" in err


def test_old_option_names_are_accepted_with_a_warning(capsys):
    argv = ["benchmark", "--transforms", "none", "--dims", "1", "--trials", "2", "-j", "1"]
    assert main([*argv, "--n", "60", "--estimators", "ksg/none", "--json"]) == 0
    old = capsys.readouterr()
    assert "--estimators is now --pairs" in old.err
    assert main([*argv, "-n", "60", "--pairs", "ksg/none", "--json"]) == 0
    new = capsys.readouterr()
    drop = ("seconds",)
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k not in drop}  # noqa: E731
    assert strip(old.out) == strip(new.out)
    assert main([*argv, "--n", "60", "-n", "60"]) == 2
    assert "give only --samples" in capsys.readouterr().err


def test_a_zero_estimate_prints_without_a_sign():
    from mitool.cli import _nats

    assert _nats(-0.00001) == "0.0000" and _nats(-0.5) == "-0.5000" and _nats(0.25) == "0.2500"


def test_a_p_value_at_its_floor_is_flagged_and_the_repr_is_one_line(pair):
    with pytest.warns(mitool.MitoolWarning, match="smallest 19 permutations can give"):
        r = mitool.estimate(*pair, resamples=0, permutations=19, jobs=1)
    assert r.p_value == pytest.approx(1 / 20)
    text = repr(r)
    assert "\n" not in text and text.startswith("MIResult(") and "curve" not in text
    assert r.to_dict()["details_units"] == "nats"


def test_the_api_names_its_own_drop_nan(pair):
    x = pair[0].copy()
    x[3] = np.nan
    with pytest.raises(mitool.InputError, match=r"drop_nan=True"):
        mitool.estimate(x, pair[1], resamples=0)


def test_integers_beyond_2_to_53_keep_their_values_in_the_api():
    """2^62 + round(100x) as int64 collapsed to a few float64 values and read 0.01 nats."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000)
    t = x + rng.standard_normal(1000)
    big = np.int64(2**62) + np.round(100 * x).astype(np.int64)
    shifted = mitool.estimate(big, t, estimator="ksg", norm="none", resamples=0).value
    plain = mitool.estimate(np.round(100 * x), t, estimator="ksg", norm="none", resamples=0).value
    assert shifted == plain
    wide = np.array([-(2**62), 2**62 + 1] * 50, dtype=np.int64)
    with pytest.raises(MitoolError, match="X: column '0' holds integers beyond 2\\^53"):
        mitool.estimate(wide, np.arange(100.0), resamples=0)
