"""Issue 19's audit of the check commands: the exit status follows the pairs under test (the
default contrasts do not count), --plot fails before any work without matplotlib, the plot
shows verdicts, tolerance bands and the reference point, --units, --jobs, help texts, and
table titles that name the data."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import math

import numpy as np
import pytest

from mitool import checks, synthetic
from mitool.checks import Pair, check_scale, parse_pairs
from mitool.cli import main
from mitool.errors import MitoolError

TEST, CONTRAST = "test", "contrast"
# Small runs: three grid points, a few hundred rows, one process.
SCALE = ["check-scale", "--factors", "0.01,100", "-n", "200", "-j", "1"]


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- 1. the exit status follows the pairs under test ------------------------------------------


def test_default_contrasts_do_not_set_the_exit_status(capsys):
    # ksg/none fails check-scale by design (Proposition 3); only ksg/global-linf is under test.
    code, out, err = run(SCALE, capsys)
    assert code == 0 and err == ""
    assert "(contrast)" in out and "FAIL" in out and "not counted" in out
    code, out, _ = run([*SCALE, "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["passed"] is True
    roles = {p["norm"]: (p["role"], p["counts"], p["passed"]) for p in doc["pairs"]}
    assert roles == {
        "none": ("contrast", False, False),
        "local": ("contrast", False, True),
        "global-linf": ("test", True, True),
    }


@pytest.mark.parametrize(
    "extra, code",
    [
        (["--pairs", "ksg/none"], 1),  # named: under test
        (["--norm", "none,global-linf"], 1),  # every norm named is under test
        (["--estimator", "ksg"], 0),  # the usual norms keep their roles
        (["--estimator", "ksg", "--norm", "none"], 1),
        (["--pairs", "ksg/local,ksg/global-linf"], 0),
    ],
)
def test_named_pairs_are_under_test(extra, code, capsys):
    assert run([*SCALE, *extra], capsys)[0] == code


def test_roles_of_parsed_pairs():
    assert [p.role for p in parse_pairs(check="scale")] == [CONTRAST, CONTRAST, TEST]
    assert [p.role for p in parse_pairs(check="noise")] == [CONTRAST, TEST]
    assert [p.role for p in parse_pairs(["bi-ksg"], check="snr")] == [CONTRAST, TEST]
    assert [p.role for p in parse_pairs(["ksg"], ["none", "local"])] == [TEST, TEST]
    # A pair named in --pairs keeps its role when --estimator adds it again as a contrast.
    pairs = parse_pairs(["ksg"], pairs=["ksg/none"], check="scale")
    assert [(p.label, p.role) for p in pairs] == [
        ("ksg/none", TEST),
        ("ksg/local", CONTRAST),
        ("ksg/global-linf", TEST),
    ]
    assert Pair("ksg", "none", role=CONTRAST) == Pair("ksg", "none")  # the role is not identity


# --- 2. --plot without matplotlib fails before any work ---------------------------------------


def test_plot_without_matplotlib_fails_before_the_check_runs(monkeypatch, tmp_path, capsys):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else find_spec(name, *a),
    )

    def never(**kwargs):
        raise AssertionError("the check ran before matplotlib was looked for")

    monkeypatch.setattr(checks, "check_scale", never)
    code, out, err = run(["check-scale", "--plot", tmp_path / "p.png"], capsys)
    assert code == 2 and out == ""
    assert "pip install 'mitool[plot]'" in err and err.count("\n") == 1
    assert not (tmp_path / "p.png").exists()


# --- 3. the plot ------------------------------------------------------------------------------


@pytest.fixture
def drawn(monkeypatch):
    """save_plot's figure, kept open instead of written."""
    figures = []
    monkeypatch.setattr(checks, "save", lambda fig, path: figures.append(fig))
    yield figures
    import matplotlib.pyplot as plt

    for fig in figures:
        plt.close(fig)


def test_plot_shows_verdicts_bands_reference_and_data(drawn):
    pytest.importorskip("matplotlib")
    from matplotlib.collections import PolyCollection

    r = check_scale(factors=(0.01, 100.0), samples=200, jobs=1)
    checks.save_plot(r, "unused.png")
    (ax,) = drawn[0].axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("ksg/global-linf — PASS") for t in labels)
    assert any(t.startswith("ksg/none — FAIL (contrast") for t in labels)
    assert any("tolerance" in t for t in labels)  # the band's entry
    assert any("reference point (η = 1)" in t for t in labels)
    title = ax.get_title()
    assert "check-scale" in title and "built-in correlated Gaussians" in title
    # The tolerance band of the pair under test: shaded from reference − tol to reference + tol.
    linf = r.pairs[-1]
    shaded = [c for c in ax.collections if isinstance(c, PolyCollection)]
    spans = [tuple(np.round(np.ptp(c.get_paths()[0].vertices, axis=0), 9)) for c in shaded]
    assert any(math.isclose(h, 2 * linf.tolerance, rel_tol=1e-6) for _, h in spans)
    # The reference point is starred on each curve.
    stars = [line for line in ax.lines if line.get_marker() == "*"]
    assert len(stars) == 3 and all(s.get_xdata()[0] == 1.0 for s in stars)


def test_plot_keeps_identical_curves_visible(drawn):
    pytest.importorskip("matplotlib")
    r = check_scale(pairs=[Pair("ksg", "local")], factors=(10.0,), samples=200, jobs=1)
    twin = dataclasses.replace(r.pairs[0], estimator="ksg-twin")
    r = dataclasses.replace(r, pairs=(r.pairs[0], twin))
    checks.save_plot(r, "unused.png")
    (ax,) = drawn[0].axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("ksg-twin/local" in t and "same values as ksg/local" in t for t in labels)
    curves = [line for line in ax.lines if line.get_marker() not in ("*", "None", None)]
    curves = [line for line in curves if len(line.get_xdata()) == 2]
    assert len(curves) == 2
    a, b = curves
    assert (a.get_marker(), a.get_linestyle()) != (b.get_marker(), b.get_linestyle())
    assert a.get_markersize() > b.get_markersize()  # the one drawn below shows round it


# --- 4. --units and --jobs --------------------------------------------------------------------


def test_units_bits_convert_values_and_tolerance(capsys):
    argv = ["check-duplicate", "--copies", "3", "-n", "200", "-j", "1", "--json"]
    nats = json.loads(run(argv, capsys)[1])
    code, out, _ = run([*argv, "--units", "bits"], capsys)
    bits = json.loads(out)
    assert code == 0 and nats["units"] == "nats" and bits["units"] == "bits"
    np.testing.assert_allclose(bits["truth"], np.array(nats["truth"]) / math.log(2))
    for pn, pb in zip(nats["pairs"], bits["pairs"], strict=True):
        np.testing.assert_allclose(pb["mean"], np.array(pn["mean"]) / math.log(2))
        reference = pb["reference"]
        assert pb["tolerance"] == pytest.approx(max(0.05 / math.log(2), 0.05 * reference))
    code, out, _ = run([*argv[:-1], "--units", "bits", "--tolerance", "0.5"], capsys)
    assert code == 0 and "in bits" in out and "≤ 0.5000" in out
    code, _, err = run([*argv, "--units", "bans"], capsys)
    assert code == 2 and "unknown units 'bans'" in err


def test_jobs_default_to_all_cores(monkeypatch, capsys):
    assert inspect.signature(check_scale).parameters["jobs"].default is None
    seen = {}

    def capture(**kwargs):
        seen.update(kwargs)
        raise MitoolError("stop")

    monkeypatch.setattr(checks, "check_noise", capture)
    assert run(["check-noise"], capsys)[0] == 2
    assert seen["jobs"] is None and seen["units"] == "nats"
    _, out, _ = run(["check-noise", "--help"], capsys)
    assert "default: all cores" in " ".join(out.split())


# --- 5. help texts ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["scale", "noise", "duplicate", "snr"])
def test_help_cites_the_paper_and_says_what_sets_the_exit_status(name, capsys):
    code, out, _ = run([f"check-{name}", "--help"], capsys)
    text = " ".join(out.split())
    assert code == 0
    assert "paper 000" not in text
    assert "Towards Robust Scale-Invariant Mutual Information Estimators" in text
    assert "under test" in text and "contrast" in text and "Exit status" in text
    if name != "snr":
        assert "[X] [T]" in out.splitlines()[0]
    if name == "scale":
        assert "factor η" in text


# --- 6. table titles name the data ------------------------------------------------------------


def test_table_title_names_the_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a short path, so that the title does not wrap inside it
    x, t, _ = synthetic.additive_gaussian(200, 2, 0.7, seed=4)
    rows = [",".join(f"{v:.17g}" for v in row) for row in np.column_stack([x, t])]
    (tmp_path / "d.csv").write_text("\n".join(["a,b,c,d", *rows]) + "\n")
    code, out, _ = run(
        [
            "check-duplicate",
            "d.csv",
            "--x-cols",
            "a,b",
            "--t-cols",
            "c,d",
            "--copies",
            "2",
            "-j",
            "1",
        ],
        capsys,
    )
    title = " ".join(" ".join(out.splitlines()[:3]).split())
    assert code == 0
    assert "d.csv[a,b]" in title and "d.csv[c,d]" in title and "in nats" in title
    code, out, _ = run(SCALE, capsys)
    title = " ".join(" ".join(out.splitlines()[:3]).split())
    assert "built-in correlated Gaussians" in title
