"""Audit findings on ``mitool trace`` (issue 19): resuming from a damaged output file, unreadable
epoch files, labels named in errors, the progress bar's units, plots, --units and the help."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import mitool
from mitool.cli import main


def _write_run(folder, n: int = 120, epochs: int = 2, labels=None) -> str:
    """A small folder run: X ~ N(0, I_2), one layer ``l1`` growing with the epoch, Y = X_0 > 0."""
    rng = np.random.default_rng(19)
    x = rng.standard_normal((n, 2))
    y = (x[:, 0] > 0).astype(np.int64) if labels is None else labels
    folder.mkdir(exist_ok=True)
    np.save(folder / "inputs.npy", x)
    np.save(folder / "labels.npy", y)
    noise = rng.standard_normal((n, 2))
    for e in range(epochs):
        np.save(folder / f"epoch_{e}_l1.npy", (e + 1) * (np.tanh(x) + 0.3 * noise))
    return str(folder)


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("mitool: error:") and len(err.splitlines()) == 1, err
    return err


# --- 1. resuming from a damaged --out file ------------------------------------------------------


def test_resume_skips_damaged_lines_recomputes_them_and_keeps_the_good_ones(tmp_path):
    import mitool.trace as tr

    run = tr.read_run(_write_run(tmp_path / "run"))
    out = tmp_path / "t.jsonl"
    first = tr.trace(run, pairs="ksg/none", jobs=1, out=str(out))
    lines = out.read_bytes().splitlines()
    assert len(lines) == first.computed == 4

    abc = json.loads(lines[2])
    abc["value"] = "abc"
    missing = json.loads(lines[3])
    del missing["value"]
    damaged = [
        lines[0],
        b"\xff\xfe" + lines[1][2:],  # not UTF-8
        json.dumps(abc).encode(),  # a value that is not a number
        json.dumps(missing).encode(),  # a key missing
        lines[0][:30] + b"\xff",  # cut short, not UTF-8 either, and no newline after it
    ]
    out.write_bytes(b"\n".join(damaged))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = tr.trace(run, pairs="ksg/none", jobs=1, out=str(out))
    notes = [str(w.message) for w in caught if issubclass(w.category, mitool.MitoolWarning)]
    assert len(notes) == 1 and "4 damaged lines" in notes[0] and "2, 3, 4, 5" in notes[0]
    assert "recomputed" in notes[0] and again.damaged_lines == [2, 3, 4, 5]
    assert again.computed == 3 and again.reused == 1  # line 1 was good and is kept
    assert [r["value"] for r in again.records] == [r["value"] for r in first.records]
    # The first new record starts a line of its own: the torn line 5 stays the only damage.
    done, still = tr.read_trace(str(out))
    assert still == [2, 3, 4, 5] and len(done) == 4
    assert out.read_bytes().splitlines()[:5] == damaged


def test_cli_reports_damaged_lines_in_one_warning(tmp_path, capsys):
    folder = _write_run(tmp_path / "run")
    out = tmp_path / "t.jsonl"
    args = ["trace", folder, "--pairs", "ksg/none", "--jobs", "1", "--out", str(out), "--json"]
    assert main(args) == 0
    capsys.readouterr()
    with open(out, "ab") as f:
        f.write(b'{"epoch": 0, "value": "abc"}\n\xc3\x28\n')
    assert main(args) == 0
    captured = capsys.readouterr()
    notes = [line for line in captured.err.splitlines() if line.startswith("mitool: warning:")]
    assert len(notes) == 1 and "2 damaged lines (lines 5, 6" in notes[0], captured.err
    payload = json.loads(captured.out)
    assert payload["computed"] == 0 and payload["reused"] == 4
    assert payload["damaged_lines"] == [5, 6]


# --- 2. an unreadable epoch file ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["epoch_1_l1.npy", "labels.npy"])
def test_an_empty_file_of_the_run_is_a_one_line_error_naming_it(tmp_path, capsys, name):
    folder = _write_run(tmp_path / "run")
    (tmp_path / "run" / name).write_bytes(b"")
    code = main(["trace", folder, "--jobs", "1", "--out", str(tmp_path / "t.jsonl")])
    err = _one_error(capsys)
    assert code == 2 and name in err and "empty" in err


# --- 3. the labels named in label errors --------------------------------------------------------


def test_a_label_seen_once_names_the_labels_file(tmp_path, capsys):
    import h5py

    labels = np.repeat([0, 1], 60)
    labels[0] = 7
    folder = _write_run(tmp_path / "run", labels=labels)
    code = main(["trace", folder, "--jobs", "1", "--out", str(tmp_path / "t.jsonl")])
    err = _one_error(capsys)
    assert code == 2 and "only one row" in err and "labels.npy" in err
    h5 = tmp_path / "run.h5"
    with h5py.File(h5, "w") as f:
        f["inputs"], f["labels"] = np.load(tmp_path / "run" / "inputs.npy"), labels
        f["epoch_0/l1"] = np.load(tmp_path / "run" / "epoch_0_l1.npy")
    code = main(["trace", str(h5), "--jobs", "1", "--out", str(tmp_path / "h.jsonl")])
    err = _one_error(capsys)
    assert code == 2 and f"{h5}:/labels" in err


# --- 4. the progress bar counts estimates -------------------------------------------------------


def test_progress_bar_counts_the_estimates_of_the_summary(tmp_path, monkeypatch):
    from contextlib import contextmanager

    import mitool.trace as tr

    bars = []

    @contextmanager
    def fake_bar(total, description, enabled):
        bar = {"total": total, "done": 0, "description": description}
        bars.append(bar)
        yield lambda steps: bar.__setitem__("done", bar["done"] + steps)

    monkeypatch.setattr(tr, "progress_bar", fake_bar)
    run = tr.read_run(_write_run(tmp_path / "run"))
    result = tr.trace(run, pairs="ksg/global-linf", jobs=1, out=str(tmp_path / "t.jsonl"))
    assert bars[0]["total"] == bars[0]["done"] == result.computed == 4
    assert "estimate" in bars[0]["description"]


# --- 5. plots: titles, legends, whole epochs on the colour bar ----------------------------------


def test_plots_have_titles_legends_and_whole_epoch_ticks(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import mitool.trace as tr

    figures = {}
    real_save = tr.save

    def keep(fig, path):
        figures[path] = (fig.get_suptitle(), list(fig.axes))
        real_save(fig, path)

    monkeypatch.setattr(tr, "save", keep)
    folder = _write_run(tmp_path / "run")
    run = tr.read_run(folder)  # two epochs: 0 and 1, where a default colour bar has 0.2 steps
    result = tr.trace(run, jobs=1, out=str(tmp_path / "t.jsonl"), units="bits")
    tr.save_trace_plot(result, str(tmp_path / "trace.png"))
    tr.save_plane_plot(result, str(tmp_path / "plane.png"))

    title, axes = figures[str(tmp_path / "trace.png")]
    assert folder in title and "I(X; Z)" in title
    panels = len(result.layers) * len(result.pairs)
    assert sum(ax.get_legend() is not None for ax in axes) == panels
    assert all("ksg/" in ax.get_title() for ax in axes if ax.get_title())
    assert any("bits" in ax.get_ylabel() for ax in axes)

    title, axes = figures[str(tmp_path / "plane.png")]
    assert folder in title and "Shwartz-Ziv" in title
    bar = [ax for ax in axes if ax.get_label() == "<colorbar>"]
    panels = [ax for ax in axes if ax.get_label() != "<colorbar>"]
    assert len(bar) == 1 and len(panels) == len(result.pairs)
    assert all(ax.get_legend() is not None for ax in panels)
    ticks = [t for t in bar[0].get_yticks() if 0 <= t <= 1]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


# --- 6. --plot without matplotlib fails before any work -----------------------------------------


@pytest.mark.parametrize("option", ["--plot", "--plot-plane"])
def test_plot_without_matplotlib_fails_before_reading_the_run(
    tmp_path, capsys, monkeypatch, option
):
    import importlib.util

    import mitool.trace as traced

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    work = []
    monkeypatch.setattr(traced, "read_run", lambda *a, **kw: work.append(a))
    monkeypatch.setattr(traced, "trace", lambda *a, **kw: work.append(a))
    folder = _write_run(tmp_path / "run")
    code = main(["trace", folder, option, str(tmp_path / "p.png"), "--out", str(tmp_path / "t")])
    err = _one_error(capsys)
    assert code == 2 and "matplotlib" in err and work == []


# --- 7. --units ---------------------------------------------------------------------------------


def test_units_bits_converts_the_report_and_says_so(tmp_path, capsys):
    folder = _write_run(tmp_path / "run")
    base = ["trace", folder, "--pairs", "ksg/none", "--jobs", "1", "--out", str(tmp_path / "t")]
    assert main([*base, "--json"]) == 0
    nats = json.loads(capsys.readouterr().out)
    assert main([*base, "--json", "--units", "bits"]) == 0
    bits = json.loads(capsys.readouterr().out)
    assert nats["units"] == "nats" and bits["units"] == "bits" and bits["computed"] == 0
    for a, b in zip(nats["rows"], bits["rows"], strict=True):
        for q in ("I(X;Z)", "I(Z;Y)"):
            v_nats, v_bits = a["estimates"]["ksg/none"][q]["value"], b["estimates"]["ksg/none"][q]
            assert v_bits["value"] == pytest.approx(v_nats / math.log(2), rel=1e-12)
    assert main([*base, "--units", "bits"]) == 0
    assert "information plane in bits" in capsys.readouterr().out
    assert main([*base, "--units", "furlongs"]) == 2
    assert "units" in _one_error(capsys)


# --- 8. the help --------------------------------------------------------------------------------


def test_help_cites_the_papers_in_words_and_names_the_argument(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["trace", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "paper 000" not in text.lower()
    assert "Towards Robust Scale-Invariant Mutual Information Estimators" in text
    assert "Shwartz-Ziv & Tishby 2017" in text
    assert "RUN" in text and "all cores" in text and "--units" in text
    assert main(["demo", "infoplane", "--help"]) == 0
    assert "paper 000" not in capsys.readouterr().out.lower()
