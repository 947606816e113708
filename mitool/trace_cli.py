"""``mitool trace`` and ``mitool demo infoplane``: the information plane over training epochs."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from mitool.cli_format import PlainUsage
from mitool.engines import ADDRESS_HELP, BACKEND_HELP, SCHEDULER_HELP, check_engine, resolve_address
from mitool.errors import MitoolError, MitoolWarning
from mitool.plotting import require
from mitool.progress import stderr_is_terminal

if TYPE_CHECKING:  # the trace loads when a command runs, so --help starts at once
    from mitool.trace import TraceResult

#: ``mitool.trace.DEFAULT_PAIRS`` as the option's default (a test keeps the two equal).
DEFAULT_PAIRS = "ksg/none,ksg/global-linf"

demo_app = typer.Typer(
    no_args_is_help=True, help="Built-in demonstrations that run offline on bundled data."
)

_MAX_WARNINGS = 5
#: Where the citations in the help point.
_PAPER = "'Towards Robust Scale-Invariant Mutual Information Estimators' (anonymous, under review)"
_PLANE = (
    "Shwartz-Ziv & Tishby 2017, 'Opening the black box of deep neural networks via information'"
)


def _split(text: Optional[str]) -> Optional[list[str]]:
    if text is None:
        return None
    items = [c.strip() for c in text.split(",") if c.strip()]
    if not items:
        raise MitoolError(f"empty list '{text}'")
    return items


def trace_cmd(
    run: str = typer.Argument(
        ...,
        metavar="RUN",
        help="The run: an HDF5 file (/inputs, /labels, /epoch_<N>/<layer>) or a folder of .npy "
        "files (inputs.npy, labels.npy, epoch_<N>_<layer>.npy).",
    ),
    x: Optional[str] = typer.Option(
        None,
        "--x",
        help="Inputs: HDF5 dataset or file in the folder (default: /inputs, inputs.npy).",
    ),  # fmt: skip
    y: Optional[str] = typer.Option(None, "--y", help="Labels (default: /labels, labels.npy)."),
    y_kind: str = typer.Option(
        "auto",
        "--y-kind",
        help="auto (whole numbers with at most 256 values are classes), discrete or continuous.",
    ),  # fmt: skip
    layers: Optional[str] = typer.Option(
        None, "--layers", help="Layers, e.g. layer_3 (default: all)."
    ),
    epochs: Optional[str] = typer.Option(
        None, "--epochs", help="Epochs, e.g. 0-10,20 (default: all)."
    ),
    pairs: str = typer.Option(
        DEFAULT_PAIRS, "--pairs", help="Estimator/norm pairs, comma-separated."
    ),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    resamples: int = typer.Option(
        0, "--resamples", "-B", help="Replicates behind each interval (0: no interval)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of every random step."),
    units: str = typer.Option(
        "nats", "--units", help="nats or bits: the units of the table, the JSON and the plots."
    ),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes on this machine (default: all cores)."
    ),
    out: Optional[str] = typer.Option(
        None,
        "--out",
        help="JSON lines file of the estimates, appended to and reused "
        "(default: beside the run, RUN.trace.jsonl or FOLDER/trace.jsonl).",
    ),  # fmt: skip
    plot: Optional[str] = typer.Option(
        None,
        "--plot",
        help=f"Draw I(X; Z) against epoch with |Z| into this PNG (as in Fig. 6 of {_PAPER}).",
    ),  # fmt: skip
    plot_plane: Optional[str] = typer.Option(
        None,
        "--plot-plane",
        help=f"Draw the information plane, I(Z; Y) against I(X; Z), into this PNG ({_PLANE}).",
    ),  # fmt: skip
    backend: str = typer.Option("processes", "--backend", help=BACKEND_HELP),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", hidden=True, help=SCHEDULER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Trace I(X; Z) and I(Z; Y) of hidden layers over training epochs (the information plane)."""
    from mitool.trace import check_units, parse_epochs, read_run, trace

    require(plot)  # a missing matplotlib fails before any work
    require(plot_plane, "--plot-plane")
    check_units(units)
    address = resolve_address(address, scheduler)
    check_engine(backend, address)  # before reading the run
    loaded = read_run(
        run, x=x, y=y, layers=_split(layers), y_kind=y_kind,
        epochs=None if epochs is None else parse_epochs(epochs),
    )  # fmt: skip
    with _warnings_now():
        result = trace(
            loaded, pairs=pairs, k=k, seed=seed, resamples=resamples, jobs=jobs, out=out,
            progress=stderr_is_terminal() and not as_json, backend=backend,
            address=address, units=units,
        )  # fmt: skip
    _plots(result, plot, plot_plane)
    _report(result, as_json)


@contextmanager
def _warnings_now() -> Iterator[None]:
    """Print each MitoolWarning of the trace (e.g. damaged lines of --out) as it happens, as one
    line, before the long computation rather than after it."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", MitoolWarning)
        shown = warnings.showwarning

        def show(message, category, *args, **kwargs):  # type: ignore[no-untyped-def]
            if issubclass(category, MitoolWarning):
                print(f"mitool: warning: {message}", file=sys.stderr)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        yield


def _plots(result: TraceResult, plot: Optional[str], plane: Optional[str]) -> None:
    from mitool.trace import save_plane_plot, save_trace_plot

    if plot is not None:
        save_trace_plot(result, plot)
    if plane is not None:
        save_plane_plot(result, plane)


def _report(result: TraceResult, as_json: bool, extra: Optional[dict] = None) -> None:
    _warn(result)
    if as_json:
        print(json.dumps({**result.to_dict(), **(extra or {})}, allow_nan=False))
        return
    console = Console(width=None if stderr_is_terminal() else 160)
    console.print(table(result))
    for layer, by_pair in result.correlations().items():
        cells = ", ".join(
            f"{pair} {'-' if r is None else f'{r:+.3f}'}" for pair, r in by_pair.items()
        )
        console.print(
            f"correlation of I(X; Z) with |Z| over epochs, {layer}: {cells}", soft_wrap=True
        )
    console.print(
        f"{result.computed} estimates computed, {result.reused} reused from {result.out} "
        f"({result.seconds:.1f} s)",
        soft_wrap=True,
    )


def _warn(result: TraceResult) -> None:
    """Each distinct warning once, with how many estimates gave it and the first of them."""
    seen: dict[str, list[str]] = {}
    for r in result.records:
        for note in r.get("warnings") or ():
            seen.setdefault(note, []).append(f"epoch {r['epoch']} {r['layer']} {r['pair']}")
    for note, where in list(seen.items())[:_MAX_WARNINGS]:
        also = f" and {len(where) - 1} more" if len(where) > 1 else ""
        print(f"mitool: warning: {note} ({where[0]}{also})", file=sys.stderr)
    if len(seen) > _MAX_WARNINGS:
        print(
            f"mitool: warning: ... and {len(seen) - _MAX_WARNINGS} other warnings (see "
            f"{result.out})",
            file=sys.stderr,
        )


def _cell(record: dict) -> str:
    value = "-" if record["value"] is None else f"{record['value']:.3f}"
    if record.get("ci_low") is not None and record.get("ci_high") is not None:
        value += f" [{record['ci_low']:.3f}, {record['ci_high']:.3f}]"
    return value


def table(result: TraceResult) -> Table:
    from mitool.trace import QUANTITIES

    """One row per epoch and layer: |Z|, then I(X; Z) and I(Z; Y) of each pair, in the result's
    units."""
    how = "ross" if result.y_discrete else "the pair's estimator"
    out = Table(title=f"{result.source}: information plane in {result.units} (I(Z; Y) by {how})")
    for column in ("epoch", "layer", "|Z|"):
        out.add_column(column, justify="right" if column != "layer" else "left", no_wrap=True)
    for pair in result.pairs:
        for quantity in QUANTITIES:
            out.add_column(
                f"{quantity.replace(';', '; ')} ({result.units})\n{pair}", justify="right"
            )
    for epoch in result.epochs:
        for layer in result.layers:
            if (epoch, layer) not in result.scales:
                continue
            cells = [
                _cell(result.reported(epoch, layer, pair, q))
                for pair in result.pairs
                for q in QUANTITIES
            ]
            out.add_row(str(epoch), layer, f"{result.scales[(epoch, layer)]:.3f}", *cells)
    return out


@demo_app.command("infoplane")
def infoplane_cmd(
    out: str = typer.Option("infoplane-demo", "--out", help="Folder for the run, trace and plots."),
    epochs: int = typer.Option(20, "--epochs", help="Training epochs (epoch 0 is the start)."),
    rows: int = typer.Option(1000, "--rows", help="Rows of the digits traced (of 1797)."),
    layers: str = typer.Option(
        "layer_2", "--layers", help="Hidden layers traced: layer_1, layer_2, layer_3."
    ),
    pairs: str = typer.Option(
        DEFAULT_PAIRS, "--pairs", help="Estimator/norm pairs, comma-separated."
    ),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    resamples: int = typer.Option(
        0, "--resamples", "-B", help="Replicates behind each interval (0: no interval)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the training and the estimates."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes (default: all cores)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Train a small MLP on scikit-learn's digits and trace a hidden layer (as in Fig. 6 of
    'Towards Robust Scale-Invariant Mutual Information Estimators', anonymous, under review).

    Needs PyTorch and matplotlib: pip install 'mitool[neural,plot]' (on a machine without a GPU,
    pip install torch==2.13.0 first, or torch from the CPU wheel index, to skip a multi-GB CUDA
    download)."""
    from mitool.demo import infoplane, require_torch

    require_torch()  # before any work, as is matplotlib for the plots it draws
    require(out, "--out")

    started = time.perf_counter()
    with _warnings_now():
        demo = infoplane(
            out, epochs=epochs, rows=rows, layers=_split(layers) or (),
            pairs=_split(pairs) or (), k=k, seed=seed, resamples=resamples, jobs=jobs,
            progress=stderr_is_terminal() and not as_json,
        )  # fmt: skip
    seconds = time.perf_counter() - started
    extra = {"accuracy": demo.accuracy, "files": demo.files, "demo_seconds": seconds}
    _report(demo.result, as_json, extra)
    if not as_json:
        console = Console(width=None if stderr_is_terminal() else 160)
        console.print(
            f"training accuracy after {epochs} epochs: {demo.accuracy[-1]:.3f}; wrote "
            + ", ".join(demo.files.values())
            + f" ({seconds:.1f} s)",
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    """Add ``mitool trace`` and ``mitool demo infoplane`` to the command line."""
    app.command("trace", cls=PlainUsage)(trace_cmd)
    app.add_typer(demo_app, name="demo")
