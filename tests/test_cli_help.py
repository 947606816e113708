"""What the command line says about itself: usage lines, help, names, and how a run ends
(issue 19: "<bool>" on every flag, "{x} [t]", summaries cut at "Fig.", titles that do not name
the selected columns, Ctrl-C with no message, --backend meaning two things)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mitool
from mitool.cli import main


def _help(capsys, *argv: str) -> str:
    assert main([*argv, "--help"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("command", ["estimate", "diagnose"])
def test_usage_reads_x_and_optional_t(capsys, command):
    text = _help(capsys, command)
    assert f"Usage: mitool {command} [OPTIONS] X [T]" in text
    assert "<bool>" not in text and "{" not in text.splitlines()[0]


def test_the_command_list_keeps_whole_summaries(capsys):
    text = _help(capsys)
    assert "..." not in text.split("Commands:")[1]
    assert "Estimate the mutual information I(X; T) between two arrays" in text


def test_no_flag_shows_a_bool_metavar(capsys):
    for argv in (["estimate"], ["benchmark"], []):
        assert "<bool>" not in _help(capsys, *argv)


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(300)
    path = tmp_path / "data.csv"
    rows = np.column_stack([a, a + rng.standard_normal(300), rng.standard_normal(300)])
    np.savetxt(path, rows, delimiter=",", header="a,b,c", comments="")
    return path


def test_the_title_names_the_selected_columns(capsys, table, monkeypatch):
    monkeypatch.chdir(table.parent)  # a short name: a long path wraps the title anywhere
    argv = ["estimate", table.name, "--x-cols", "a", "--t-cols", "b", "-e", "ksg", "-B", "0"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "data.csv[a] (X)" in out and "data.csv[b] (T)" in out


def test_backend_is_the_old_name_of_search(capsys, table):
    argv = ["estimate", str(table), "--x-cols", "a", "--t-cols", "b", "-e", "ksg", "-B", "0"]
    assert main([*argv, "--search", "brute", "--json"]) == 0
    new = json.loads(capsys.readouterr().out)["value"]
    assert main([*argv, "--backend", "brute", "--json"]) == 0
    old = capsys.readouterr()
    assert json.loads(old.out)["value"] == new
    assert "--backend is now --search" in old.err


def test_a_best_scale_at_the_grid_edge_is_flagged(capsys, table):
    argv = ["estimate", str(table), "--x-cols", "a", "--t-cols", "b", "-e", "ksg", "-B", "0"]
    assert main([*argv, "--norm", "global-linf", "--scales", "1,2"]) == 0  # c* is at an edge
    assert "at the grid's edge" in capsys.readouterr().out
    assert main([*argv, "--norm", "global-linf", "--scales", "1"]) == 0  # no maximum over c
    assert "grid's edge" not in capsys.readouterr().out


def test_ctrl_c_is_one_line_and_exit_130(capsys, table, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("mitool.api.estimate", interrupted)
    assert main(["estimate", str(table), "--x-cols", "a", "--t-cols", "b"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["mitool: interrupted"]


def test_an_end_of_file_inside_a_reader_is_an_error_not_an_abort(capsys, table, monkeypatch):
    def ended(*args, **kwargs):
        raise EOFError("no data")

    monkeypatch.setattr("mitool.api.estimate", ended)
    assert main(["estimate", str(table), "--x-cols", "a", "--t-cols", "b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mitool: error:")


def test_one_row_is_not_rows():
    with pytest.raises(mitool.MitoolError, match="has 1 row usable; k = 1 neighbour needs"):
        mitool.estimate([1.0, np.nan], [2.0, 3.0], estimator="ksg", k=1, drop_nan=True)


def test_the_demo_says_it_needs_pytorch_before_any_work(capsys, monkeypatch, tmp_path):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert main(["demo", "infoplane", "--out", str(tmp_path / "demo")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PyTorch" in err[0] and "torch==2.13.0" in err[0]
    assert not (tmp_path / "demo").exists()  # nothing was trained or written
    assert "Needs PyTorch" in _help(capsys, "demo", "infoplane")
