"""Entropy (mitool.entropies): closed forms, the shift under rescaling, Miller-Madow, the CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import typer

from mitool import InputError, MitoolError, MitoolWarning
from mitool.cli_format import WholeSummaries
from mitool.entropies import CONTINUOUS_NOTE, entropy, kozachenko_leonenko
from mitool.info_cli import register

# n = 5000: Kozachenko-Leonenko's sd is about 0.01-0.02 nats here; a bounded support (uniform,
# exponential at 0) biases it upwards near the edges, more in higher d (the study prints it).
N = 5000
TOL = 0.05


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_gaussian(d):
    rng = np.random.default_rng(d)
    a = rng.standard_normal((d, d)) * 0.5 + np.eye(d)
    x = rng.standard_normal((N, d)) @ a.T
    truth = 0.5 * np.log((2 * np.pi * np.e) ** d * np.linalg.det(a @ a.T))
    result = entropy(x)
    assert result.method == "kozachenko-leonenko" and not result.discrete
    assert result.value == pytest.approx(truth, abs=TOL)


@pytest.mark.parametrize("d", [1, 2])
def test_uniform_is_log_volume(d):
    rng = np.random.default_rng(10 + d)
    sides = np.array([0.5, 3.0])[:d]
    x = rng.uniform(0, 1, (N, d)) * sides - 7.0
    assert entropy(x).value == pytest.approx(np.log(sides).sum(), abs=TOL)


@pytest.mark.parametrize("rate", [0.5, 2.0])
def test_exponential(rate):
    x = np.random.default_rng(3).exponential(1 / rate, N)
    assert entropy(x).value == pytest.approx(1 - np.log(rate), abs=TOL)


def test_max_norm_ball_convention():
    # Eq. 20 with ε(i) = 2 × the k-th neighbour distance and c_d = 1, written out by hand.
    from scipy.spatial.distance import cdist
    from scipy.special import digamma

    x = np.random.default_rng(4).standard_normal((200, 3))
    dist = cdist(x, x, "chebyshev")
    np.fill_diagonal(dist, np.inf)
    eps = 2 * np.sort(dist, axis=1)[:, 2]
    by_hand = -digamma(3) + digamma(200) + 3 * np.mean(np.log(eps))
    assert kozachenko_leonenko(x, 3) == pytest.approx(by_hand, abs=1e-12)


def test_rescaling_shifts_by_d_log_a():
    x = np.random.default_rng(5).standard_normal((2000, 3))
    base = entropy(x)
    assert "not scale-invariant" in base.note and base.note == CONTINUOUS_NOTE
    assert entropy(-4.0 * x).value - base.value == pytest.approx(3 * np.log(4.0), abs=1e-9)
    per_column = np.array([1e-3, 2.0, 50.0])
    assert entropy(x * per_column + 9.0).value - base.value == pytest.approx(
        np.log(per_column).sum(), abs=1e-9
    )


def test_raw_columns_of_very_different_units_are_biased():
    # The max-norm cube on raw columns is set by the widest one; standardising repairs it.
    x = np.random.default_rng(13).standard_normal((N, 3)) * [1e-3, 2.0, 50.0]
    truth = 1.5 * np.log(2 * np.pi * np.e) + np.log([1e-3, 2.0, 50.0]).sum()
    assert entropy(x).value == pytest.approx(truth, abs=TOL)
    assert entropy(x, standardize=False).value > truth + 3.0


def test_extreme_units():
    x = np.random.default_rng(14).standard_normal((1000, 2))
    shift = 2 * np.log(1e-200)
    assert entropy(1e-200 * x).value == pytest.approx(entropy(x).value + shift, rel=1e-12)


def test_bits():
    x = np.random.default_rng(6).standard_normal(1000)
    assert entropy(x, units="bits").value == pytest.approx(entropy(x).value / np.log(2))


# --- discrete ---------------------------------------------------------------------------------


def test_discrete_is_miller_madow():
    rng = np.random.default_rng(7)
    x = rng.choice([3.5, -1.0, 8.0, 100.0], size=2000, p=[0.4, 0.3, 0.2, 0.1])
    result = entropy(x)
    assert result.discrete and result.method == "miller-madow" and result.symbols == 4
    p = np.unique(x, return_counts=True)[1] / len(x)
    plug_in = -np.sum(p * np.log(p))
    assert result.value == pytest.approx(plug_in + 3 / (2 * len(x)), abs=1e-12)
    truth = -np.sum(np.array([0.4, 0.3, 0.2, 0.1]) * np.log([0.4, 0.3, 0.2, 0.1]))
    assert result.value == pytest.approx(truth, abs=0.02)
    assert "units" in result.note  # relabelling or rescaling the symbols changes nothing
    assert entropy(1e6 * x).value == result.value


def test_miller_madow_corrects_the_plug_in_bias():
    # 50 equiprobable symbols, n = 500: the plug-in reads low by about (m - 1)/(2n) = 0.049.
    values = [np.random.default_rng(s).integers(0, 50, 500) for s in range(40)]
    mm = np.mean([entropy(v, discrete=True).value for v in values])
    assert abs(mm - np.log(50)) < 0.015


def test_discrete_rows_of_several_columns():
    rng = np.random.default_rng(8)
    x = rng.integers(0, 2, (4000, 2))
    result = entropy(x)
    assert result.symbols == 4 and result.value == pytest.approx(np.log(4), abs=0.01)


def test_forcing_continuous_on_discrete_data_is_refused():
    x = np.random.default_rng(9).integers(0, 5, 1000)
    with pytest.raises(InputError, match="^X: .*repeated more than k = 3 times.*discrete"):
        entropy(x, discrete=False)


def test_a_few_copies_are_jittered_and_reported():
    x = np.random.default_rng(10).standard_normal((1000, 2))
    x = np.vstack([x, x[:10]])
    with pytest.warns(MitoolWarning, match="jitter"):
        result = entropy(x)
    assert result.jittered and not result.discrete


def test_constant_column_is_refused():
    x = np.column_stack([np.random.default_rng(15).standard_normal(100), np.full(100, 2.0)])
    with pytest.raises(InputError, match=r"^X: column\(s\) 1 are constant"):
        entropy(x, discrete=False)


def test_errors():
    with pytest.raises(InputError, match="^X: contains NaN or inf in 1 row"):
        entropy(np.array([1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(InputError, match="^X: has 3 rows; k = 3"):
        entropy(np.array([1.0, 2.0, 3.5]), discrete=False)
    with pytest.raises(MitoolError, match="unknown units"):
        entropy(np.arange(10.0), units="hartleys")
    with pytest.raises(InputError, match="^k: "):
        entropy(np.arange(10.0), k=0)


def test_result_is_json_ready():
    result = entropy(np.random.default_rng(11).standard_normal(500))
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["method"] == "kozachenko-leonenko" and payload["k"] == 3
    assert payload["note"] == CONTINUOUS_NOTE


# --- the command line -------------------------------------------------------------------------


def run_cli(argv, capsys):
    app = typer.Typer(cls=WholeSummaries, pretty_exceptions_enable=False, rich_markup_mode=None)

    @app.callback()
    def _main() -> None:
        """mitool"""

    register(app)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            app(args=[str(a) for a in argv], prog_name="mitool", standalone_mode=False)
        code = 0
    except MitoolError as exc:
        print(f"mitool: error: {exc}", file=__import__("sys").stderr)
        code = 2
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_json_and_columns(tmp_path, capsys):
    x = np.random.default_rng(12).standard_normal((800, 2))
    lines = ["a,b,label"] + [f"{p:.17g},{q:.17g},{i % 3}" for i, (p, q) in enumerate(x)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(["entropy", tmp_path / "d.csv", "--cols", "a,b", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["value"] == pytest.approx(entropy(x).value)
    code, out, _ = run_cli(["entropy", tmp_path / "d.csv", "--cols", "label"], capsys)
    assert code == 0 and "miller-madow" in out
    code, out, _ = run_cli(
        ["entropy", tmp_path / "d.csv", "--cols", "a", "--units", "bits"], capsys
    )
    assert code == 0 and "bits" in out and "not scale-invariant" in out


def test_cli_error_is_one_line(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.array([1.0, np.nan, 3.0, 4.0, 5.0]))
    code, _, err = run_cli(["entropy", tmp_path / "x.npy"], capsys)
    assert code == 2 and err.startswith("mitool: error: ") and err.count("\n") == 1
