"""The sanity-check commands: ``mitool check-scale``, ``check-noise``, ``check-duplicate``,
``check-snr``. They parse, call :mod:`mitool.checks` and print; exit status 0 when every
estimator/norm pair passes, 1 when any fails, 2 on bad input (via :func:`mitool.cli.main`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from mitool import checks
from mitool.checks import CheckResult
from mitool.errors import MitoolError
from mitool.io import load_pair
from mitool.progress import stderr_is_terminal

XArg = Annotated[
    Optional[str],
    typer.Argument(
        help="X: .npy, .npz:key, .h5:/dataset, .parquet or .csv; '-' reads standard input. "
        "Omit X and T for built-in data with known MI.",
        show_default=False,
    ),
]
TArg = Annotated[
    Optional[str],
    typer.Argument(help="T, like X (omit it when X holds both: --x-cols, --t-cols).",
                   show_default=False),
]
XCols = Annotated[Optional[str], typer.Option("--x-cols", help="Columns of X, e.g. a,b.")]
TCols = Annotated[Optional[str], typer.Option("--t-cols", help="Columns of T, e.g. c.")]
Format = Annotated[
    Optional[str],
    typer.Option(
        "--format", help="Format of '-' (csv or npy) or of a file with another extension."
    ),
]
Estimators = Annotated[
    Optional[str],
    typer.Option("--estimator", "-e", help="Estimators, comma-separated (default: ksg)."),
]
Norms = Annotated[
    Optional[str],
    typer.Option(
        "--norm", help="Norms, comma-separated; every estimator runs under every norm "
        "(default: the check's usual pairs)."
    ),
]
Pairs = Annotated[
    Optional[str],
    typer.Option("--pairs", help="Estimator/norm pairs, e.g. ksg/none,bi-ksg/local."),
]
K = Annotated[int, typer.Option("-k", "--neighbors", help="Number of nearest neighbours.")]
Trials = Annotated[
    int,
    typer.Option("--trials", help="Independent draws of the built-in data (mean ± sd shown)."),
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of every random step.")]
Resamples = Annotated[
    int,
    typer.Option("--resamples", "-B", help="Replicates behind each estimate's interval (0: none)."),
]
Tolerance = Annotated[
    Optional[float],
    typer.Option(
        "--tolerance", help="Largest deviation allowed, in nats (default: the larger of 0.05 "
        "nats and 5% of the pair's reference value)."
    ),
]
Samples = Annotated[int, typer.Option("--samples", "-n", help="Rows of the built-in data.")]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs", "-j", help="Worker processes over grid points and trials (-1: all cores); "
        "worth it on many cores, since each neighbour query already uses every core."
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
Plot = Annotated[
    Optional[str],
    typer.Option("--plot", help="Draw the curves into this PNG file (needs matplotlib)."),
]


def register(app: typer.Typer) -> None:
    """Add the four check commands to ``app``."""
    app.command("check-scale")(check_scale_cmd)
    app.command("check-noise")(check_noise_cmd)
    app.command("check-duplicate")(check_duplicate_cmd)
    app.command("check-snr")(check_snr_cmd)


def check_scale_cmd(
    x: XArg = None,
    t: TArg = None,
    x_cols: XCols = None,
    t_cols: TCols = None,
    fmt: Format = None,
    estimator: Estimators = None,
    norm: Norms = None,
    pairs: Pairs = None,
    side: Annotated[
        str, typer.Option("--side", help="Rescale x, t or both: I(ηX; T), I(X; ηT), I(ηX; ηT).")
    ] = "t",
    factors: Annotated[
        Optional[str],
        typer.Option("--factors", help="Values of η, comma-separated (default: 1e-2 … 1e3, "
                     "5 per decade)."),
    ] = None,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = 1,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Is the estimate unchanged when X or T is rescaled? I(X; ηT) over η (paper 000, Fig. 4)."""
    _run(
        checks.check_scale, "scale", x, t, x_cols, t_cols, fmt, estimator, norm, pairs,
        as_json, plot,
        factors=checks.SCALE_FACTORS if factors is None else _numbers(factors, "--factors"),
        side=side, k=k, trials=trials, seed=seed, resamples=resamples, tolerance=tolerance,
        samples=samples, jobs=jobs,
    )


def check_noise_cmd(
    x: XArg = None,
    t: TArg = None,
    x_cols: XCols = None,
    t_cols: TCols = None,
    fmt: Format = None,
    estimator: Estimators = None,
    norm: Norms = None,
    pairs: Pairs = None,
    columns: Annotated[
        Optional[str],
        typer.Option("--columns", help="Numbers of noise columns appended to X, comma-separated "
                     "(default: 0,2,…,20)."),
    ] = None,
    noise_sd: Annotated[
        float,
        typer.Option("--noise-sd", help="Noise sd σ' in units of X's spread (the mean of its "
                     "columns' sds)."),
    ] = checks.NOISE_SD,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = 1,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Does the estimate hold when low-energy noise columns are appended to X? (Fig. 1a)"""
    _run(
        checks.check_noise, "noise", x, t, x_cols, t_cols, fmt, estimator, norm, pairs,
        as_json, plot,
        columns=checks.NOISE_COLUMNS if columns is None else _numbers(columns, "--columns"),
        noise_sd=noise_sd, k=k, trials=trials, seed=seed, resamples=resamples,
        tolerance=tolerance, samples=samples, jobs=jobs,
    )


def check_duplicate_cmd(
    x: XArg = None,
    t: TArg = None,
    x_cols: XCols = None,
    t_cols: TCols = None,
    fmt: Format = None,
    estimator: Estimators = None,
    norm: Norms = None,
    pairs: Pairs = None,
    copies: Annotated[
        Optional[str],
        typer.Option("--copies", help="Numbers of copies of X, comma-separated "
                     "(default: 1,11,…,91)."),
    ] = None,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = 1,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Is the estimate unchanged when X is duplicated, X' = [X, …, X]? (Fig. 3a)"""
    _run(
        checks.check_duplicate, "duplicate", x, t, x_cols, t_cols, fmt, estimator, norm, pairs,
        as_json, plot,
        copies=checks.COPIES if copies is None else _numbers(copies, "--copies"),
        k=k, trials=trials, seed=seed, resamples=resamples, tolerance=tolerance,
        samples=samples, jobs=jobs,
    )


def check_snr_cmd(
    estimator: Estimators = None,
    norm: Norms = None,
    pairs: Pairs = None,
    snr: Annotated[
        Optional[str],
        typer.Option("--snr", help="Signal-to-noise ratios, comma-separated "
                     "(default: 0.5,1,…,5)."),
    ] = None,
    min_spearman: Annotated[
        float,
        typer.Option("--min-spearman", help="Smallest Spearman correlation with the truth "
                     "that passes."),
    ] = checks.MIN_SPEARMAN,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    samples: Samples = 1000,
    jobs: Jobs = 1,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Does the estimate rise with the true MI? T' = 0.1·(X + ε) over the SNR (Fig. 5)."""
    _run(
        checks.check_snr, "snr", None, None, None, None, None, estimator, norm, pairs,
        as_json, plot,
        snrs=checks.SNRS if snr is None else _numbers(snr, "--snr"),
        min_spearman=min_spearman, k=k, trials=trials, seed=seed, resamples=resamples,
        samples=samples, jobs=jobs,
    )


def _run(
    check: Callable[..., CheckResult],
    name: str,
    x: Optional[str],
    t: Optional[str],
    x_cols: Optional[str],
    t_cols: Optional[str],
    fmt: Optional[str],
    estimator: Optional[str],
    norm: Optional[str],
    pairs: Optional[str],
    as_json: bool,
    plot: Optional[str],
    **settings: object,
) -> None:
    """Load the files (if any), run the check, print it, draw it, and exit 1 if it failed."""
    chosen = checks.parse_pairs(_split(estimator), _split(norm), _split(pairs), check=name)
    if x is not None:
        tx, tt = load_pair(x, t, x_cols=_split(x_cols), t_cols=_split(t_cols), fmt=fmt)
        names = (tx.source, tt.source) if t is not None else (f"{tx.source} (X)",
                                                                f"{tx.source} (T)")
        settings.update(x=tx.data, t=tt.data, names=names)
    elif t is not None or x_cols is not None or t_cols is not None:
        raise MitoolError("--x-cols, --t-cols and T need X")
    result = check(pairs=chosen, progress=stderr_is_terminal() and not as_json, **settings)
    for note in result.warnings:
        print(f"mitool: warning: {note}", file=sys.stderr)
    if plot is not None:
        checks.save_plot(result, plot)
    if as_json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        Console().print(table(result))
    if not result.passed:
        raise typer.Exit(code=1)


def table(result: CheckResult) -> Table:
    """Rows: grid points (the reference in bold); one column per pair; the verdict below."""
    snr = result.reference_index is None
    caption = [
        result.data,
        f"k = {result.k}, {result.trials} trial{'s' * (result.trials > 1)}, seed {result.seed}"
        + (f", {result.resamples} resamples per interval" if result.resamples else ""),
        f"statistic: {result.statistic}",
    ]
    if result.truth is None:
        caption.append("truth unknown (your data): only the response to the change is judged")
    out = Table(
        title=f"check-{result.check}: {result.estimand} (nats)",
        caption="\n".join(caption),
        caption_justify="left",
    )
    header = "copies (d_X')" if result.check == "duplicate" else result.parameter
    out.add_column(header, justify="right")
    if result.truth is not None:
        out.add_column("truth", justify="right")
    for pair in result.pairs:
        out.add_column(pair.label, justify="right")
    for j, value in enumerate(result.grid):
        cells = [_grid_label(result, value)]
        if result.truth is not None:
            cells.append(f"{result.truth[j]:.4f}")
        cells += [_cell(pair, j) for pair in result.pairs]
        out.add_row(*cells, style="bold" if j == result.reference_index else None,
                    end_section=j == len(result.grid) - 1)
    blank = [""] if result.truth is not None else []
    statistic = "Spearman ρ" if snr else (
        "largest drop" if result.check == "noise" else "largest deviation"
    )
    out.add_row(statistic, *blank, *(_number(p.statistic) for p in result.pairs))
    out.add_row(
        "tolerance", *blank,
        *((f"≥ {p.tolerance:.2f}" if snr else f"≤ {p.tolerance:.4f}") for p in result.pairs),
    )
    out.add_row(
        "result", *blank,
        *("[green]PASS[/green]" if p.passed else "[red]FAIL[/red]" for p in result.pairs),
    )
    return out


def _grid_label(result: CheckResult, value: float) -> str:
    if result.check == "duplicate":
        return f"{int(value)} ({int(value) * result.d_x})"
    if result.check == "scale":
        return f"{value:.3g}"
    return f"{value:g}"


def _cell(pair: checks.PairResult, j: int) -> str:
    text = _number(pair.mean[j])
    if pair.sd is not None:
        text += f" ± {pair.sd[j]:.4f}"
    if pair.ci_low is not None and pair.ci_high is not None:
        text += f" [{_number(pair.ci_low[j], 3)}, {_number(pair.ci_high[j], 3)}]"
    return text


def _number(value: float, digits: int = 4) -> str:
    return "-" if value != value else f"{value:.{digits}f}"  # NaN: not computed


def _split(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [c.strip() for c in text.split(",") if c.strip()]


def _numbers(text: str, option: str) -> Sequence[float]:
    try:
        values = [float(c) for c in _split(text) or []]
    except ValueError:
        raise MitoolError(f"{option} must be comma-separated numbers, got '{text}'") from None
    if not values:
        raise MitoolError(f"{option} needs at least one number")
    return values
