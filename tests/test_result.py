"""mitool.result: units, the result's properties, its one-line repr and its JSON dict, on a
result built by hand (no estimator runs here)."""

from __future__ import annotations

import json
import math

import pytest

import mitool
from mitool.resample import Interval, NullTest
from mitool.result import UNITS, CurvePoint, MIResult, convert
from mitool.ties import TieStats

TIES = TieStats(1, 0, 2, 3, True, 1e-10)


def make(**kw):
    fields = {
        "value": 0.12345,
        "units": "nats",
        "estimator": "ksg",
        "norm": "global-linf",
        "k": 3,
        "n": 10,
        "d_x": 1,
        "d_t": 2,
        "scale": 0.5,
        "curve": [CurvePoint(0.5, 0.12345, 0.12345), CurvePoint(1.0, None, 0.1)],
        "ties": TIES,
        "seconds": 0.25,
        "seed": 7,
    }
    return MIResult(**{**fields, **kw})


def test_convert():
    assert UNITS == ("nats", "bits")
    assert convert(math.log(2), "bits") == pytest.approx(1.0, rel=1e-15)  # ln 2 nats = 1 bit
    assert convert(math.log(8), "bits") == pytest.approx(3.0, rel=1e-15)
    assert convert(0.7, "nats") == 0.7


def test_properties_are_none_without_interval_or_test():
    r = make()
    assert (r.ci_low, r.ci_high, r.p_value, r.corrected) == (None, None, None, None)


def test_properties_read_the_interval_and_the_test():
    interval = Interval(0.1, 0.2, 0.95, "subsample", 20, 5, 0.025, 0.11)
    null = NullTest(p_value=0.05, null_mean=0.01, null_sd=0.02, corrected=0.11345, permutations=19)
    r = make(interval=interval, null=null)
    assert (r.ci_low, r.ci_high, r.p_value, r.corrected) == (0.1, 0.2, 0.05, 0.11345)


def test_repr_is_one_line_with_four_decimals():
    assert repr(make()) == "MIResult(0.1235 nats, ksg/global-linf, n=10, d_x=1, d_t=2)"
    interval = Interval(0.1, 0.2, 0.95, "subsample", 20, 5, 0.025, 0.11)
    assert repr(make(interval=interval, units="bits")) == (
        "MIResult(0.1235 bits [0.1000, 0.2000], ksg/global-linf, n=10, d_x=1, d_t=2)"
    )


def test_to_dict_without_resampling():
    d = make(warnings=["w"], details={"a": 1}).to_dict()
    assert d["value"] == 0.12345 and d["units"] == "nats" and d["details_units"] == "nats"
    empty = ("ci_low", "ci_high", "ci_level", "ci_method", "subsample_size", "ci_widened", "sd")
    empty += ("replicate_mean", "p_value", "null_mean", "null_sd", "corrected")
    for key in empty:
        assert d[key] is None, key
    assert d["resamples"] == 0 and d["permutations"] == 0
    assert d["curve"] == [
        {"c": 0.5, "value": 0.12345, "upper_bound": 0.12345},
        {"c": 1.0, "value": None, "upper_bound": 0.1},
    ]
    assert d["ties"] == TIES.to_dict() and d["ties"]["zero_radius"] == 0
    assert (d["scale"], d["k"], d["n"], d["d_x"], d["d_t"], d["seed"]) == (0.5, 3, 10, 1, 2, 7)
    assert d["warnings"] == ["w"] and d["details"] == {"a": 1} and d["choice"] is None
    assert d["version"] == mitool.__version__ and d["dropped_rows"] == 0
    json.dumps(d)  # JSON-ready


def test_to_dict_flattens_the_interval_and_the_test():
    interval = Interval(0.1, 0.2, 0.9, "bootstrap", 18, None, 0.03, 0.5, failed=2, widened=1.5)
    null = NullTest(0.25, 0.01, 0.02, 0.11345, 3, failed=1)
    d = make(interval=interval, null=null, curve=None, scale=None).to_dict()
    ci = (d["ci_low"], d["ci_high"], d["ci_level"], d["ci_method"])
    assert ci == (0.1, 0.2, 0.9, "bootstrap")
    assert (d["resamples"], d["subsample_size"], d["ci_widened"]) == (18, None, 1.5)
    assert (d["sd"], d["replicate_mean"]) == (0.03, 0.5)
    test = (d["p_value"], d["null_mean"], d["null_sd"], d["corrected"])
    assert test == (0.25, 0.01, 0.02, 0.11345)
    assert d["permutations"] == 3 and d["curve"] is None and d["scale"] is None
