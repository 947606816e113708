"""The sanity-check commands: ``mitool check-scale``, ``check-noise``, ``check-duplicate``,
``check-snr``. They parse, call :mod:`mitool.checks` and print.

Exit status: 0 when every estimator/norm pair under test passes, 1 when one of them fails, 2 on
bad input (via :func:`mitool.cli.main`). Under test are the pairs the user names (``--pairs``,
``--norm``; ``--estimator`` with the check's recommended norm, or with every norm it is given),
and by default the recommended pair ``ksg/global-linf``. The other default pairs (``ksg/none``,
``ksg/local``) are contrasts: the paper's figures show them failing, so their verdicts are
printed, plotted and in the JSON (``"role": "contrast"``, ``"counts": false``) but do not set
the exit status.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mitool import plotting
from mitool.cli_format import side_names
from mitool.errors import MitoolError
from mitool.progress import stderr_is_terminal

if TYPE_CHECKING:  # the checks load when a command runs, so --help starts at once
    from mitool import checks
    from mitool.checks import CheckResult

#: ``checks.NOISE_SD`` and ``checks.MIN_SPEARMAN`` as the options' defaults (a test keeps them
#: equal).
NOISE_SD = 0.04
MIN_SPEARMAN = 0.9

#: How the help texts cite the paper whose figures the checks reproduce.
PAPER = "'Towards Robust Scale-Invariant Mutual Information Estimators' (anonymous, under review)"
#: What sets the exit status, for the commands' help.
EXIT_HELP = (
    "Exit status 0 when every pair under test passes, 1 when one fails, 2 on bad input. Under "
    "test: the pairs you name (--pairs, --norm; --estimator alone: with the recommended norm "
    "global-linf), or by default ksg/global-linf. The other default pairs (ksg/none, "
    "ksg/local) are contrasts: shown with their verdicts, which do not count."
)

XArg = Annotated[
    Optional[str],
    typer.Argument(
        metavar="X",
        help="X: .npy, .npz:key, .h5:/dataset, .parquet or .csv; '-' reads standard input. "
        "Omit X and T for built-in data with known MI.",
        show_default=False,
    ),
]
TArg = Annotated[
    Optional[str],
    typer.Argument(
        metavar="T",
        help="T, like X (omit it when X holds both: --x-cols, --t-cols).",
        show_default=False,
    ),
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
    typer.Option(
        "--estimator",
        "-e",
        help="Estimators, comma-separated (default: ksg). Without --norm each runs under the "
        "check's usual norms; only the one with global-linf is under test.",
    ),
]
Norms = Annotated[
    Optional[str],
    typer.Option(
        "--norm",
        help="Norms, comma-separated; every estimator runs under every norm, and every such "
        "pair is under test (default: the check's usual pairs).",
    ),
]
Pairs = Annotated[
    Optional[str],
    typer.Option(
        "--pairs",
        help="Estimator/norm pairs, e.g. ksg/none,bi-ksg/local; each is under test.",
    ),
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
        "--tolerance",
        help="Largest deviation allowed, in --units (default: the larger of 0.05 nats = 0.072 "
        "bits and 5% of the pair's value at the reference point).",
    ),
]
Units = Annotated[
    str,
    typer.Option(
        "--units", help="nats or bits: of the estimates, the truth, deviations and tolerance."
    ),
]
Samples = Annotated[int, typer.Option("--samples", "-n", help="Rows of the built-in data.")]
Jobs = Annotated[
    Optional[int],
    typer.Option(
        "--jobs",
        "-j",
        help="Worker processes over grid points and trials (default: all cores, at most one per "
        "grid point and trial; -2: all but one). 1 runs in this process, where each neighbour "
        "query already uses every core: faster on 2 cores.",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
Plot = Annotated[
    Optional[str],
    typer.Option(
        "--plot",
        help="Draw the curves, verdicts and tolerance bands into this PNG file (needs "
        "matplotlib: pip install 'mitool[plot]').",
    ),
]


def register(app: typer.Typer) -> None:
    """Add the four check commands to ``app``."""
    app.command("check-scale", epilog=EXIT_HELP)(check_scale_cmd)
    app.command("check-noise", epilog=EXIT_HELP)(check_noise_cmd)
    app.command("check-duplicate", epilog=EXIT_HELP)(check_duplicate_cmd)
    app.command("check-snr", epilog=EXIT_HELP)(check_snr_cmd)


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
        str,
        typer.Option(
            "--side",
            help="Rescale x, t or both by the factor η: I(ηX; T), I(X; ηT), I(ηX; ηT).",
        ),
    ] = "t",
    factors: Annotated[
        Optional[str],
        typer.Option(
            "--factors",
            help="Scale factors η, comma-separated (default: 1e-2 … 1e3, 5 per decade; 1, the "
            "reference point, is always added).",
        ),
    ] = None,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = None,
    units: Units = "nats",
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Is the estimate unchanged when T (or X, or both) is rescaled by a factor η?

    Estimates I(X; ηT) (--side t), I(ηX; T) (x) or I(ηX; ηT) (both) for η from 1e-2 to 1e3;
    the true MI does not depend on η. Reproduces Fig. 4 of 'Towards Robust Scale-Invariant
    Mutual Information Estimators' (anonymous, under review). A pair passes when its largest
    deviation |Î(η) − Î(η = 1)| is within --tolerance.
    """
    from mitool import checks

    _run(
        checks.check_scale,
        "scale",
        x,
        t,
        x_cols,
        t_cols,
        fmt,
        estimator,
        norm,
        pairs,
        as_json,
        plot,
        factors=checks.SCALE_FACTORS if factors is None else _numbers(factors, "--factors"),
        side=side,
        k=k,
        trials=trials,
        seed=seed,
        resamples=resamples,
        tolerance=tolerance,
        samples=samples,
        jobs=jobs,
        units=units,
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
        typer.Option(
            "--columns",
            help="Numbers m of noise columns appended to X, comma-separated (default: 0,2,…,20; "
            "0, the reference point, is always added).",
        ),
    ] = None,
    noise_sd: Annotated[
        float,
        typer.Option(
            "--noise-sd",
            help="σ': the noise columns' sd in units of X's spread s (the mean of its columns' "
            "sds).",
        ),
    ] = NOISE_SD,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = None,
    units: Units = "nats",
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Does the estimate hold when low-energy noise columns are appended to X?

    Estimates I([X, ε_1, …, ε_m]; T) for m = 0, 2, …, 20 noise columns ε_i ~ N(0, (σ'·s)²),
    where s is X's spread (the mean of its columns' sds) and σ' is --noise-sd; the true MI
    does not depend on m. Reproduces Fig. 1a of 'Towards Robust Scale-Invariant Mutual
    Information Estimators' (anonymous, under review). A pair passes when its largest drop
    Î(0) − Î(m) is within --tolerance.
    """
    from mitool import checks

    _run(
        checks.check_noise,
        "noise",
        x,
        t,
        x_cols,
        t_cols,
        fmt,
        estimator,
        norm,
        pairs,
        as_json,
        plot,
        columns=checks.NOISE_COLUMNS if columns is None else _numbers(columns, "--columns"),
        noise_sd=noise_sd,
        k=k,
        trials=trials,
        seed=seed,
        resamples=resamples,
        tolerance=tolerance,
        samples=samples,
        jobs=jobs,
        units=units,
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
        typer.Option(
            "--copies",
            help="Numbers of copies of X, comma-separated (default: 1,11,…,91; 1, the "
            "reference point, is always added).",
        ),
    ] = None,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    tolerance: Tolerance = None,
    samples: Samples = 1000,
    jobs: Jobs = None,
    units: Units = "nats",
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Is the estimate unchanged when X is duplicated, X' = [X, …, X]?

    Estimates I([X, …, X]; T) for 1, 11, …, 91 copies of X; the true MI does not depend on
    the copies. Reproduces Fig. 3a of 'Towards Robust Scale-Invariant Mutual Information
    Estimators' (anonymous, under review). A pair passes when its largest deviation
    |Î(K copies) − Î(1 copy)| is within --tolerance.
    """
    from mitool import checks

    _run(
        checks.check_duplicate,
        "duplicate",
        x,
        t,
        x_cols,
        t_cols,
        fmt,
        estimator,
        norm,
        pairs,
        as_json,
        plot,
        copies=checks.COPIES if copies is None else _numbers(copies, "--copies"),
        k=k,
        trials=trials,
        seed=seed,
        resamples=resamples,
        tolerance=tolerance,
        samples=samples,
        jobs=jobs,
        units=units,
    )


def check_snr_cmd(
    estimator: Estimators = None,
    norm: Norms = None,
    pairs: Pairs = None,
    snr: Annotated[
        Optional[str],
        typer.Option(
            "--snr",
            help="Signal-to-noise ratios SNR = 1/σ², comma-separated (default: 0.5,1,…,5).",
        ),
    ] = None,
    min_spearman: Annotated[
        float,
        typer.Option(
            "--min-spearman",
            help="Smallest Spearman (rank) correlation of the estimates with the truth that "
            "passes.",
        ),
    ] = MIN_SPEARMAN,
    k: K = 3,
    trials: Trials = 1,
    seed: Seed = 0,
    resamples: Resamples = 0,
    samples: Samples = 1000,
    jobs: Jobs = None,
    units: Units = "nats",
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Does the estimate rise with the true MI as the signal-to-noise ratio grows?

    Estimates I(X; T') with T' = 0.1·(X + ε), X ~ N(0, I_2), ε ~ N(0, σ²·I) and SNR = 1/σ²
    from 0.5 to 5 (built-in data only); the true MI, ln(1 + SNR), rises with the SNR.
    Reproduces Fig. 5 of 'Towards Robust Scale-Invariant Mutual Information Estimators'
    (anonymous, under review). A pair passes when the Spearman (rank) correlation of its
    estimates with the truth reaches --min-spearman.
    """
    from mitool import checks

    _run(
        checks.check_snr,
        "snr",
        None,
        None,
        None,
        None,
        None,
        estimator,
        norm,
        pairs,
        as_json,
        plot,
        snrs=checks.SNRS if snr is None else _numbers(snr, "--snr"),
        min_spearman=min_spearman,
        k=k,
        trials=trials,
        seed=seed,
        resamples=resamples,
        samples=samples,
        jobs=jobs,
        units=units,
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
    """Load the files (if any), run the check, print it, draw it, and exit 1 if a pair under
    test failed."""
    from mitool import checks
    from mitool.io import load_pair

    plotting.require(plot)  # a missing matplotlib is an error before any work
    chosen = checks.parse_pairs(_split(estimator), _split(norm), _split(pairs), check=name)
    if x is not None:
        tx, tt = load_pair(x, t, x_cols=_split(x_cols), t_cols=_split(t_cols), fmt=fmt)
        selected = (x_cols, t_cols)
        names = side_names(tx, tt, one_table=t is None, selected=selected, tag_sides=False)
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
    """Rows: grid points (the reference in bold); one column per pair, contrasts marked; the
    verdicts below. The title names the check, the estimand, the units and the data."""
    snr = result.reference_index is None
    tested = result.under_test
    contrasts = [p.label for p in result.pairs if not p.counts]
    caption = [
        f"k = {result.k}, {result.trials} trial{'s' * (result.trials > 1)}, seed {result.seed}"
        + (f", {result.resamples} resamples per interval" if result.resamples else ""),
        f"statistic: {result.statistic}",
    ]
    if result.truth is None:
        caption.append("truth unknown (your data): only the response to the change is judged")
    verdict = "[green]PASS[/green]" if result.passed else "[red]FAIL[/red]"
    caption.append(
        f"verdict: {verdict} (exit status {0 if result.passed else 1}), from the pairs under "
        f"test: {', '.join(p.label for p in tested) or 'none'}"
    )
    if contrasts:
        caption.append(
            f"contrast{'s' * (len(contrasts) > 1)}, shown for comparison and not counted: "
            + ", ".join(contrasts)
        )
    out = Table(
        title=escape(
            f"check-{result.check}: {result.estimand}, in {result.units}\non {result.data}"
        ),
        caption="\n".join(caption),
        caption_justify="left",
    )
    header = "copies (d_X')" if result.check == "duplicate" else result.parameter
    out.add_column(header, justify="right")
    if result.truth is not None:
        out.add_column("truth", justify="right")
    for pair in result.pairs:
        if pair.counts:
            out.add_column(pair.label, justify="right")
        else:
            out.add_column(f"{pair.label}\n(contrast)", justify="right", style="dim")
    for j, value in enumerate(result.grid):
        cells = [_grid_label(result, value)]
        if result.truth is not None:
            cells.append(f"{result.truth[j]:.4f}")
        cells += [_cell(pair, j) for pair in result.pairs]
        out.add_row(
            *cells,
            style="bold" if j == result.reference_index else None,
            end_section=j == len(result.grid) - 1,
        )
    blank = [""] if result.truth is not None else []
    statistic = (
        "Spearman ρ"
        if snr
        else ("largest drop" if result.check == "noise" else "largest deviation")
    )
    out.add_row(statistic, *blank, *(_number(p.statistic) for p in result.pairs))
    out.add_row(
        "tolerance",
        *blank,
        *((f"≥ {p.tolerance:.2f}" if snr else f"≤ {p.tolerance:.4f}") for p in result.pairs),
    )
    out.add_row("result", *blank, *(_verdict(p) for p in result.pairs))
    if contrasts:
        out.add_row("counts", *blank, *("yes" if p.counts else "no" for p in result.pairs))
    return out


def _verdict(pair: checks.PairResult) -> str:
    """PASS in green, FAIL in red; a contrast's verdict in the column's dim text."""
    if not pair.counts:
        return "PASS" if pair.passed else "FAIL"
    return "[green]PASS[/green]" if pair.passed else "[red]FAIL[/red]"


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
    if value != value:  # NaN: not computed
        return "-"
    text = f"{value:.{digits}f}"
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text  # no "-0.0000"


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
