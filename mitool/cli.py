"""The ``mitool`` command line: parse, call the Python API, print. No estimation happens here."""

from __future__ import annotations

import json
import os
import sys
import warnings
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.exceptions import TyperException

from mitool import __version__
from mitool.cli_format import PlainUsage, WholeSummaries, side_names
from mitool.engines import ADDRESS_HELP, SCHEDULER_HELP, check_engine, resolve_address
from mitool.errors import Interrupted, MitoolError, MitoolWarning
from mitool.progress import stderr_is_terminal

if TYPE_CHECKING:  # the data path loads when a command runs, so --help starts at once
    from mitool.io import Table as FileTable
    from mitool.result import MIResult

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # click's plain help: no "<bool>" metavar on every flag
    cls=WholeSummaries,
    help="Scale-invariant mutual information estimation from files.",
)


def _say(message: str) -> None:
    """One unwrapped line on stderr (errors and warnings)."""
    print(message, file=sys.stderr)


def _version(value: bool) -> None:
    if value:
        print(f"mitool {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Scale-invariant mutual information estimation from files."""


X_COLS_HELP = (
    "Columns of X: names or 0-based indices, ranges allowed, e.g. a,b or 0-2 (default: all; "
    "with one table, every column not in --t-cols)."
)
SEP_HELP = "CSV field separator, e.g. ';' or tab (default: found from the first line)."
T_COLS_HELP = "Columns of T, like --x-cols (with one table, default: every column not in X)."


def _split(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _parse_scales(text: Optional[str]) -> tuple[float, ...]:
    if text is None:
        from mitool.api import DEFAULT_SCALES

        return DEFAULT_SCALES
    try:
        return tuple(float(c) for c in text.split(","))
    except ValueError:
        raise MitoolError(f"--scales must be comma-separated numbers, got '{text}'") from None


@app.command("estimate", cls=PlainUsage)
def estimate_cmd(
    ctx: typer.Context,
    x: str = typer.Argument(
        ...,
        metavar="X",
        help="X: .npy, .npz:key, .h5:/dataset, .parquet or .csv; '-' reads standard input.",
    ),
    t: Optional[str] = typer.Argument(
        None,
        metavar="T",
        help="T, like X. Omit it when X is one table holding both (--x-cols, --t-cols).",
    ),
    x_cols: Optional[str] = typer.Option(None, "--x-cols", help=X_COLS_HELP),
    t_cols: Optional[str] = typer.Option(None, "--t-cols", help=T_COLS_HELP),
    given: Optional[str] = typer.Option(
        None,
        "--given",
        metavar="Z",
        help="Z, read like X: estimate I(X; T | Z) as mitool cmi X T Z does (KSG-CMI; auto routes "
        "discrete variables; norm local by default; -P: local permutations). With one table X, "
        "--given X and --z-cols.",
    ),
    z_cols: Optional[str] = typer.Option(
        None, "--z-cols", help="Columns of Z (--given), like --x-cols."
    ),
    fmt: Optional[str] = typer.Option(
        None, "--format", help="Format of '-' (csv or npy) or of a file with another extension."
    ),
    sep: Optional[str] = typer.Option(None, "--sep", help=SEP_HELP),
    estimator: str = typer.Option(
        "auto",
        "--estimator",
        "-e",
        help="auto (diagnose the data and choose), ksg, ksg2, bi-ksg, bi-ksg-l2, ross (T = "
        "class labels), mixed-ksg, gcmi, plugin (discrete x discrete), or (with PyTorch) mine, "
        "nwj, infonce.",
    ),
    norm: Optional[str] = typer.Option(
        None,
        "--norm",
        help="none, local, global, global-linf (kNN), global-corrected (neural) or rank "
        "(default: global-linf for kNN, global-corrected for neural; auto picks its own).",
    ),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    scales: Optional[str] = typer.Option(
        None, "--scales", help="Grid of c for the global norms (default: 0.1,0.2,...,2.0)."
    ),
    units: str = typer.Option("nats", "--units", help="nats or bits."),
    seed: int = typer.Option(
        0, "--seed", help="Seed of every random step (tie jitter, resampling, permutations)."
    ),
    ci: float = typer.Option(0.95, "--ci", help="Level of the confidence interval."),
    resamples: int = typer.Option(
        100, "--resamples", "-B", help="Replicate estimates behind the interval (0: none)."
    ),
    ci_method: str = typer.Option(
        "subsample",
        "--ci-method",
        help="subsample (without replacement; valid for kNN) or bootstrap (with replacement).",
    ),
    subsample: Optional[int] = typer.Option(
        None,
        "--subsample-size",
        help="Rows of each subsample (default: n/2 up to 4000 rows, then max(2000, n/50)).",
    ),
    permutations: int = typer.Option(
        0, "--permutations", "-P", help="Shuffles of T for a test of independence (0: none)."
    ),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes for replicates (default: all cores)."
    ),
    drop_nan: bool = typer.Option(
        False, "--drop-nan", help="Drop rows holding NaN or inf (and say how many)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    hidden: Optional[str] = typer.Option(
        None, "--hidden", help="Neural: critic hidden widths, e.g. 20 or 100,100 (default: 20)."
    ),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Neural: epochs (default: 50)."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Neural: Adam's rate (default: 1e-3)."),
    batch_size: Optional[int] = typer.Option(
        None, "--batch-size", help="Neural: rows per batch (default: 100)."
    ),
    device: Optional[str] = typer.Option(
        None,
        "--device",
        help="cpu, cuda or auto: where a neural estimator trains, or where kNN searches run "
        "(all pairs in torch) (default: cpu).",
    ),
    search: str = typer.Option(
        "auto",
        "--search",
        help="kNN search path: auto, tree, numba, brute or torch (identical results).",
    ),
    backend: Optional[str] = typer.Option(
        None,
        "--backend",
        help="Where the replicates and permutations run: processes (--jobs), dask or ray (the "
        "cluster at --address). A search path (auto, tree, ...) is the old name of --search.",
    ),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", hidden=True, help=SCHEDULER_HELP),
    evaluation: Optional[str] = typer.Option(
        None, "--eval", help="Neural: train (the bound on the training rows) or heldout."
    ),
    remine_lambda: Optional[float] = typer.Option(
        None, "--remine-lambda", help="MINE: ReMINE regulariser weight (e.g. 0.1) (default: 0)."
    ),
    remine_c: Optional[float] = typer.Option(
        None, "--remine-c", help="MINE: ReMINE target C for log E_Q[e^F] (default: 0)."
    ),
    trace: Optional[str] = typer.Option(
        None, "--trace", help="Neural: write the per-epoch training terms to this JSON file."
    ),
) -> None:
    """Estimate the mutual information I(X; T) between two arrays read from files.

    With --given Z, the conditional MI I(X; T | Z), read and printed as by mitool cmi X T Z."""
    from mitool.api import estimate
    from mitool.io import load_pair
    from mitool.search.plan import SEARCH_PATHS

    if given is not None or z_cols is not None:  # I(X; T | Z)
        _estimate_given(ctx)
        return
    options = _neural_options(
        hidden=hidden,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        eval=evaluation,
        remine_lambda=remine_lambda,
        remine_c=remine_c,
    )
    if backend in SEARCH_PATHS:  # the old meaning of --backend
        _say(
            "mitool: warning: --backend is now --search (the kNN search path); --backend "
            "names where the replicates run (processes, dask, ray), as in mitool trace"
        )
        search, backend = backend, None
    address = resolve_address(address, scheduler)
    check_engine(backend, address)  # before reading the data
    labels = estimator in TEXT_LABEL_ESTIMATORS
    tx, tt = load_pair(
        x, t, x_cols=_split(x_cols), t_cols=_split(t_cols), fmt=fmt, text_labels=labels, sep=sep
    )
    names = side_names(tx, tt, one_table=t is None, selected=(x_cols, t_cols))
    _check_text_labels(estimator, (tx, tt), names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        result = estimate(
            tx.data,
            tt.data,
            estimator=estimator,
            norm=norm,
            k=k,
            scales=_parse_scales(scales),
            units=units,
            seed=seed,
            drop_nan=drop_nan,
            ci=ci,
            resamples=resamples,
            ci_method=ci_method,
            subsample=subsample,
            permutations=permutations,
            jobs=jobs,
            progress=stderr_is_terminal() and not as_json,
            options=options,
            search=search,
            device=device,
            names=names,
            backend=backend,
            address=address,
        )
    if trace is not None:
        _write_trace(trace, result)
    for note in result.warnings:
        _say(f"mitool: warning: {note}")
    if as_json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        Console().print(_table(result, names, norm_by_default=norm is None and not result.choice))


#: The options of ``mitool estimate`` that --given passes on to conditional MI; any other option
#: set on the command line is a one-line error (:data:`mitool.conditional.GIVEN_REFUSES`: why).
GIVEN_TAKES = (
    "x",
    "t",
    "x_cols",
    "t_cols",
    "given",
    "z_cols",
    "fmt",
    "sep",
    "estimator",
    "norm",
    "k",
    "units",
    "seed",
    "permutations",
    "jobs",
    "as_json",
)
#: Options refused with --given for the estimate() setting they belong to (neural ones).
_GIVEN_KEYS = dict.fromkeys(
    ("hidden", "epochs", "lr", "batch_size", "evaluation", "remine_lambda", "remine_c", "trace"),
    "options",
)


def _estimate_given(ctx: typer.Context) -> None:
    """``mitool estimate X T --given Z``: I(X; T | Z) by ``estimate(x, t, given=z)``
    (:func:`mitool.conditional.estimate_given`), X, T and Z read and the result printed as
    ``mitool cmi X T Z`` reads and prints them (the same JSON for the same options)."""
    from mitool.api import estimate
    from mitool.conditional import refused_with_given
    from mitool.info_cli import load_triple, show_cmi

    p = ctx.params
    if p["given"] is None:
        raise MitoolError("--z-cols selects the columns of Z: give Z with --given")
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)  # click's enum (typer may vendor click)
        if param.name not in GIVEN_TAKES and getattr(source, "name", "DEFAULT") != "DEFAULT":
            key = _GIVEN_KEYS.get(param.name, param.name)
            raise refused_with_given(param.opts[0], key, "--given")
    if p["estimator"] != "auto":
        raise refused_with_given(f"--estimator {p['estimator']}", "estimator", "--given")
    if p["t"] is None and p["given"] != p["x"]:
        raise MitoolError(
            "with one table X and no T, Z is columns of it too (--given X --z-cols ...); or "
            "give T as a file"
        )
    z = None if p["t"] is None else p["given"]
    cols = (p["x_cols"], p["t_cols"], p["z_cols"])
    (tx, tt, tz), names = load_triple(p["x"], p["t"], z, *cols, p["fmt"], p["sep"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        result = estimate(
            tx.data, tt.data, given=tz.data, norm=p["norm"], k=p["k"], units=p["units"],
            seed=p["seed"], permutations=p["permutations"], jobs=p["jobs"], names=names,
        )  # fmt: skip
    show_cmi(result, names, p["as_json"])


#: Estimators that read text columns as class labels: those that treat a side as symbols.
TEXT_LABEL_ESTIMATORS = ("auto", "ross", "plugin")


def _check_text_labels(
    estimator: str, tables: tuple[FileTable, FileTable], names: tuple[str, str]
) -> None:
    """Text columns are class labels: only where the estimator treats their side as discrete
    (T for ross; either side for plugin; for auto, a side with few enough distinct values that
    its diagnosis reads it as discrete)."""
    from mitool.diagnose import ROWS_PER_SYMBOL, few_symbols, first_rows

    for side, (table, name) in enumerate(zip(tables, names, strict=True)):
        if not table.text_columns:
            continue
        column = table.text_columns[0]
        if estimator == "ross" and side == 0:
            raise MitoolError(
                f"{name}: column '{column}' holds text; ross takes class labels in T only"
            )
        import numpy as np  # here: the command line loads numpy only to compute

        finite = table.data[np.all(np.isfinite(table.data), axis=1)]
        symbols = len(first_rows(finite))
        if not few_symbols(symbols, len(table.data)):
            raise MitoolError(
                f"{name}: column '{column}' holds text with {symbols} distinct values in "
                f"{len(table.data)} rows, too many to read as class labels (at most one per "
                f"{ROWS_PER_SYMBOL} rows)"
            )


def _neural_options(**given: object) -> dict[str, object]:
    """The neural settings given on the command line (the others keep their defaults)."""
    options = {name: value for name, value in given.items() if value is not None}
    if "hidden" in options:
        try:
            options["hidden"] = tuple(int(w) for w in str(options["hidden"]).split(","))
        except ValueError:
            raise MitoolError(
                f"--hidden must be comma-separated widths, got '{given['hidden']}'"
            ) from None
    return options


def _write_trace(path: str, result: MIResult) -> None:
    if "trace" not in result.details:
        raise MitoolError(f"--trace: {result.estimator} has no training trace to write")
    try:
        with open(path, "w") as f:
            payload = {"estimator": result.estimator, "norm": result.norm}
            json.dump({**payload, "epochs": result.details["trace"]}, f, indent=1)
    except OSError as exc:
        raise MitoolError(f"{path}: cannot write the trace ({exc.strerror})") from None


def _table(result: MIResult, names: tuple[str, str], norm_by_default: bool = False) -> Table:
    table = Table(title=escape(f"I({names[0]}; {names[1]})"), show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    ties = result.ties
    rows = [
        ("estimate", f"{_nats(result.value)} {result.units}"),
        *_uncertainty_rows(result),
        ("estimator", result.estimator),
        ("norm", result.norm + (" (the default for this estimator)" if norm_by_default else "")),
        ("k", str(result.k)),
        ("n", str(result.n)),
        ("d_x, d_t", f"{result.d_x}, {result.d_t}"),
        ("c*", "-" if result.scale is None else _best_scale(result)),
        (
            "ties",
            f"{ties.duplicate_rows} duplicate rows, {ties.zero_radius} zero radii"
            + (", jittered" if ties.jittered else ""),
        ),
        ("time", f"{result.seconds:.3f} s"),
    ]
    from mitool.estimators import get_estimator

    if not get_estimator(result.estimator).uses_k:
        rows = [row for row in rows if row[0] != "k"]
    if result.scale is None:  # no maximum over c was taken
        rows = [row for row in rows if row[0] != "c*"]
    if result.choice is not None:
        rows.insert(1 + len(_uncertainty_rows(result)), ("chosen", _chosen(result.choice)))
    if "ceiling" in result.details:
        rows.insert(1, ("ceiling", f"{result.details['ceiling']:.4f} nats (log batch size)"))
    if result.details.get("eval") == "heldout":
        rows.insert(1, ("evaluated on", "held-out rows"))
    if result.dropped_rows:
        rows.insert(5, ("dropped rows", str(result.dropped_rows)))
    for field, value in rows:
        table.add_row(field, value)
    return table


def _best_scale(result: MIResult) -> str:
    """c* and what it is: the c on the grid where Î(X; c·T) was largest (the estimate)."""
    grid = [point.c for point in result.curve or ()]
    where = f" on the grid {min(grid):g}-{max(grid):g}" if grid else ""
    text = f"{result.scale:g} (the c of the largest Î(X; c·T){where}; T scaled by c after the norm)"
    if grid and result.scale in (min(grid), max(grid)):
        text += "; at the grid's edge, so the largest may lie beyond it (widen --scales to see)"
    return text


def _nats(value: float) -> str:
    """Four decimals, without a sign on a value that rounds to zero ("-0.0000")."""
    text = f"{value:.4f}"
    return text[1:] if text == "-0.0000" else text


def _chosen(choice: dict) -> str:
    """``auto``'s choice in words: "ross, rank norm: T holds 10 classes, ..."."""
    return f"{choice['estimator']}, {choice['norm']} norm (auto): {choice['reason']}"


def _uncertainty_rows(result: MIResult) -> list[tuple[str, str]]:
    rows = []
    ci = result.interval
    if ci is not None:
        how = (
            f"{ci.resamples} disjoint subsamples of {ci.subsample_size} rows"
            if ci.method == "subsample"
            else f"{ci.resamples} bootstrap resamples, with replacement"
        )
        if ci.widened != 1.0:
            how += f", widened {ci.widened:g}x for a small n"
        rows.append((f"{ci.level:.0%} CI", f"[{_nats(ci.low)}, {_nats(ci.high)}] ({how})"))
        rows.append(("CI covers", "the estimator's mean at this n, not its bias"))
    null = result.null
    if null is not None:
        rows += [
            ("p-value", f"{null.p_value:.4g} ({null.permutations} permutations of T)"),
            ("null mean ± sd", f"{null.null_mean:.4f} ± {null.null_sd:.4f}"),
            ("corrected", f"{null.corrected:.4f} (estimate − null mean)"),
        ]
    return rows


@app.command("diagnose", cls=PlainUsage)
def diagnose_cmd(
    x: str = typer.Argument(..., metavar="X", help="X, as for estimate."),
    t: Optional[str] = typer.Argument(None, metavar="T", help="T, as for estimate."),
    x_cols: Optional[str] = typer.Option(None, "--x-cols", help=X_COLS_HELP),
    t_cols: Optional[str] = typer.Option(None, "--t-cols", help=T_COLS_HELP),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format, as for estimate."),
    sep: Optional[str] = typer.Option(None, "--sep", help=SEP_HELP),
    drop_nan: bool = typer.Option(False, "--drop-nan", help="Drop rows holding NaN or inf."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Print what --estimator auto sees in the data and what it would choose, without estimating."""
    from mitool.choose import choose
    from mitool.diagnose import diagnose
    from mitool.io import load_pair
    from mitool.validate import check_pair

    tx, tt = load_pair(
        x, t, x_cols=_split(x_cols), t_cols=_split(t_cols), fmt=fmt, text_labels=True, sep=sep
    )
    names = side_names(tx, tt, one_table=t is None, selected=(x_cols, t_cols))
    _check_text_labels("auto", (tx, tt), names)
    xs, ts, dropped = check_pair(tx.data, tt.data, k=1, names=names, drop_nan=drop_nan)
    diagnosis = diagnose(xs, ts)
    choice = choose(diagnosis, names)
    if as_json:
        payload = {"diagnosis": diagnosis.to_dict(), "choice": choice.to_dict()}
        print(json.dumps({**payload, "dropped_rows": dropped}))
        return
    table = Table(title=escape(f"diagnosis of ({names[0]}, {names[1]})"))
    table.add_column("", style="bold")
    table.add_column(escape(names[0]))
    table.add_column(escape(names[1]))
    for field, label in (
        ("columns", "columns"),
        ("symbols", "distinct rows"),
        ("discrete", "discrete"),
        ("smallest_class", "rows of the rarest value"),
        ("point_mass", "share of repeated values (largest column)"),
        ("constant_columns", "constant columns"),
        ("kurtosis", "excess kurtosis (largest column)"),
        ("spread_decades", "decades between column sds"),
    ):
        a, b = getattr(diagnosis.x, field), getattr(diagnosis.t, field)
        table.add_row(label, *(f"{v:.3g}" if isinstance(v, float) else str(v) for v in (a, b)))
    Console().print(table)
    print(f"rows: {diagnosis.n}, copies of an earlier row: {diagnosis.copies}")
    print(f"auto would run: {_chosen(choice.to_dict())}")


from mitool.benchmark_cli import register as _register_benchmark  # noqa: E402

_register_benchmark(app)

from mitool.check_cli import register as _register_checks  # noqa: E402

_register_checks(app)

from mitool.trace_cli import register as _register_trace  # noqa: E402

_register_trace(app)

from mitool.info_cli import register as _register_info  # noqa: E402

_register_info(app)

from mitool.screen_cli import register as _register_screen  # noqa: E402

_register_screen(app)


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point: run the app, turning every user error into one line and exit status 2.

    numpy's RuntimeWarnings (overflow, division by zero inside a computation) are silenced: the
    conditions that matter are checked and reported as one-line errors or warnings."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            code = app(args=argv, prog_name="mitool", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except MitoolError as exc:
        _say(f"mitool: error: {exc}")
        return 2
    except TyperException as exc:  # a usage error: unknown option, bad value, missing argument
        message = exc.format_message()
        if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help says it all
            print(message)
        elif message:
            _say(f"mitool: error: {message}")
        return 2
    except (Interrupted, KeyboardInterrupt, typer.Abort):
        _say("mitool: interrupted")
        return 130
    except MemoryError:
        _say("mitool: error: out of memory; try fewer rows")
        return 1
    except Exception as exc:  # a bug: still one line, unless MITOOL_DEBUG asks for the traceback
        if os.environ.get("MITOOL_DEBUG"):
            raise
        _say(f"mitool: internal error: {type(exc).__name__}: {exc}")
        return 1


def run() -> None:
    """Console-script entry point. After Ctrl-C the process ends at once (``os._exit``): a
    compiled search still running in its thread (:func:`mitool.search.threads.call`) cannot be
    stopped, and the interpreter's shutdown would wait for it or crash under it."""
    code = main()
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)
