"""``select="jmi"`` in :func:`mitool.screen` and ``mitool screen --select jmi`` (issue 22, item 1):
greedy joint mutual information (Yang & Moody 1999; J_jmi of Brown et al. 2012),
J(f) = Σ_{s selected} I((f, s); y), the first pick the most relevant feature.

The synthetic case: y = x1 + 0.7·x2 + 0.5·ε with x1, x2, ε independent standard normals; x3 =
x1 + 0.3·η is a redundant copy of x1; x4 is independent noise. Population values (Gaussian
closed forms, nats): I(x1; y) = 0.427, I(x3; y) = 0.375, I(x2; y) = 0.165, I(x4; y) = 0, so
the plain ranking puts x3 second. JMI's second step compares J(x2) = I(x1, x2; y) = 0.970 with
J(x3) = I(x1, x3; y) = 0.427 (x3 adds nothing to x1, since y ⟂ x3 | x1): x2, by 0.54. Its
third step compares J(x3) = I(x1, x3; y) + I(x2, x3; y) with J(x4) = I(x1; y) + I(x2; y): x3,
since I(x2, x3; y) > I(x2; y). mRMR takes x4 third instead: x4 scores 0 − 0 = 0, x3 scores
0.375 − (1.247 + 0)/2 = −0.25 (its redundancy with x1) — the known difference between the two
criteria (mRMR penalises any overlap; JMI rewards joint information with each selected one).
At n = 500 (seed 0) the estimates keep these margins: J(x2) 0.89 against J(x3) 0.53.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import mitool
from mitool.errors import MitoolError
from mitool.screening import SELECTIONS, _seed_of, screen


def complementary(n: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1, x2, e, h, x4 = rng.standard_normal((5, n))
    return {"x1": x1, "x2": x2, "x3": x1 + 0.3 * h, "x4": x4, "y": x1 + 0.7 * x2 + 0.5 * e}


def quiet_estimate(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mitool.MitoolWarning)
        return mitool.estimate(*args, **kwargs)


def names(result) -> list[str]:
    return [row.feature for row in result.rows]


def test_jmi_picks_the_complementary_feature_not_the_redundant_copy():
    cols = complementary()
    options = {"estimator": "ksg", "norm": "rank", "jobs": 1}
    plain = screen(cols, "y", **options)
    assert names(plain)[:2] == ["x1", "x3"]  # by relevance alone, the copy comes second
    jmi = screen(cols, "y", select="jmi", top=4, **options)
    assert names(jmi) == ["x1", "x2", "x3", "x4"]
    mrmr = screen(cols, "y", select="mrmr", top=4, **options)
    assert names(mrmr) == ["x1", "x2", "x4", "x3"]  # mRMR puts the redundant copy last
    assert jmi.select == "jmi" and jmi.selected == ["x1", "x2", "x3", "x4"]
    first, second = jmi.rows[0], jmi.rows[1]
    assert first.score is None and first.relevance == first.value  # picked by relevance
    assert second.redundancy is None and second.score > 0.7  # I(x1, x2; y) = 0.970


def test_jmi_score_sums_the_joint_terms_over_the_selected():
    """A hand computation: each J is Σ over the features selected before of the MI of the
    2-column pair with the target, by mitool.estimate with the same settings and seeds."""
    cols = {name: values[:80] for name, values in complementary(seed=3).items()}
    settings = {"estimator": "ksg", "norm": "rank", "k": 3}
    result = screen(cols, "y", select="jmi", top=3, seed=5, jobs=1, **settings)
    features = ["x1", "x2", "x3", "x4"]
    m = len(features)

    def joint(f: str, s: str) -> float:
        pair = np.column_stack([cols[f], cols[s]])
        seed = _seed_of(5, m + 1, features.index(f), features.index(s))
        return quiet_estimate(pair, cols["y"], resamples=0, seed=seed, **settings).value

    chosen = names(result)
    relevance = {f: v for f, v in zip(result.features, result.values, strict=True)}
    assert chosen[0] == max(features, key=relevance.get)
    rest = [f for f in features if f != chosen[0]]
    step2 = {f: joint(f, chosen[0]) for f in rest}
    assert chosen[1] == max(rest, key=step2.get)
    assert result.rows[1].score == pytest.approx(step2[chosen[1]], rel=1e-12)
    rest.remove(chosen[1])
    step3 = {f: step2[f] + joint(f, chosen[1]) for f in rest}
    assert chosen[2] == max(rest, key=step3.get)
    assert result.rows[2].score == pytest.approx(step3[chosen[2]], rel=1e-12)


def test_selections_are_validated_in_one_place():
    assert SELECTIONS == ("mrmr", "jmi")
    with pytest.raises(MitoolError, match="unknown selection 'mifs'; choose one of: mrmr, jmi"):
        screen(complementary(50), "y", select="mifs")


def test_cli_select_jmi_top(tmp_path, capsys):
    from mitool.cli import main

    cols = complementary(300, seed=1)
    header = list(cols)
    lines = [",".join(header)] + [
        ",".join(repr(float(cols[c][i])) for c in header) for i in range(300)
    ]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    argv = ["screen", tmp_path / "d.csv", "--target", "y", "-e", "ksg", "--norm", "rank", "-j", "1"]
    code = main([str(a) for a in [*argv, "--select", "jmi", "--top", "2", "--json"]])
    out, err = capsys.readouterr()
    assert code == 0, err
    payload = json.loads(out)
    assert payload["select"] == "jmi" and payload["selected"] == ["x1", "x2"]
    assert [row["rank"] for row in payload["rows"]] == [1, 2]
    code = main([str(a) for a in [*argv, "--select", "jmi", "--top", "2"]])
    out, err = capsys.readouterr()
    assert code == 0 and "J (sum of joint MI)" in out and "x2" in out
    assert main(["screen", "--help"]) == 0
    assert "jmi" in capsys.readouterr().out
