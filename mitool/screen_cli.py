"""``mitool screen`` and ``mitool pairwise``: many variables at once (:mod:`mitool.screening`).

Nothing heavy loads until a command runs, so ``mitool --help`` stays fast.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mitool.cli_format import PlainUsage, say, split_list
from mitool.engines import ADDRESS_HELP, BACKEND_HELP, SCHEDULER_HELP, resolve_address
from mitool.plotting import require
from mitool.progress import stderr_is_terminal

if TYPE_CHECKING:  # the screen loads when a command runs
    from mitool.screening import PairwiseResult, ScreenResult

#: Rows printed on the terminal (all of them go to --json and --out).
MAX_SHOWN = 50
#: Bars in the ranked plot, cells annotated in the heatmap.
MAX_BARS = 40
MAX_ANNOTATED = 15
#: Warnings printed per run (each feature's notes are in --json and --out).
MAX_WARNINGS = 5

ESTIMATOR_HELP = (
    "auto (diagnose each feature and choose), ksg, ksg2, bi-ksg, bi-ksg-l2, ross, mixed-ksg, "
    "gcmi, ksg-gcmi, plugin, as for estimate. -e ksg with --norm none, local or rank runs a "
    "compiled pass (fastest)."
)
NORM_HELP = "none, local, global, global-linf or rank (default: the estimator's own)."
NULL_HELP = (
    "How permutations make p-values: feature (each feature's own shuffles; p >= 1/(P+1)), "
    "pooled (every feature's shuffles as one null: exact for 1-D tie-free features under the "
    "rank norm) "
    "or auto (pooled where exact)."
)


def _number(value: Optional[float]) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    text = f"{value:.4f}"
    return text[1:] if text == "-0.0000" else text


def _p(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.3g}"


def screen_cmd(
    table: str = typer.Argument(
        ...,
        metavar="TABLE",
        help="A table: .parquet, .csv/.tsv, .h5:/dataset, .npz:key or .npy ('-': standard input).",
    ),
    target: str = typer.Option(
        ..., "--target", "-y", help="The target column (text columns are class labels)."
    ),
    features: Optional[str] = typer.Option(
        None, "--features", help="Columns to screen, e.g. a,b or 0-9 (default: all but target)."
    ),
    groups: Optional[str] = typer.Option(
        None,
        "--groups",
        help="Groups of columns screened as one feature each, e.g. 'g1=a,b;g2=c' (then only "
        "the groups and --features are screened).",
    ),
    estimator: str = typer.Option("auto", "--estimator", "-e", help=ESTIMATOR_HELP),
    norm: Optional[str] = typer.Option(None, "--norm", help=NORM_HELP),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    resamples: int = typer.Option(
        0, "--resamples", "-B", help="Subsamples behind each feature's interval (0: none)."
    ),
    permutations: int = typer.Option(
        0, "--permutations", "-P", help="Shuffles of the target per feature (0: no p-values)."
    ),
    null: str = typer.Option("auto", "--null", help=NULL_HELP),
    ci: float = typer.Option(0.95, "--ci", help="Level of the intervals."),
    fdr: Optional[float] = typer.Option(
        None, "--fdr", help="Select features with Benjamini-Hochberg q <= this (needs -P)."
    ),
    top: Optional[int] = typer.Option(
        None, "--top", help="Keep the K best (with --select: the number selected)."
    ),
    select: Optional[str] = typer.Option(
        None,
        "--select",
        help="mrmr: greedy max relevance - mean redundancy (Peng et al. 2005); jmi: greedy max "
        "sum over the selected s of I((f, s); target) (joint MI, Yang & Moody 1999); --top "
        "features (default 10).",
    ),
    seed: int = typer.Option(0, "--seed", help="Root of every feature's seed."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Workers (default: all cores); results do not depend on it."
    ),
    units: str = typer.Option("nats", "--units", help="nats or bits."),
    search: str = typer.Option(
        "auto", "--search", help="kNN search path: auto, tree, numba, brute or torch."
    ),
    backend: str = typer.Option("processes", "--backend", help=BACKEND_HELP),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", hidden=True, help=SCHEDULER_HELP),
    drop_nan: bool = typer.Option(
        False, "--drop-nan", help="Drop rows holding NaN or inf (per feature)."
    ),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format of '-' or of the file."),
    sep: Optional[str] = typer.Option(None, "--sep", help="CSV field separator."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Optional[str] = typer.Option(
        None, "--out", help="Write the ranking to a .csv, .tsv or .parquet file."
    ),
    plot: Optional[str] = typer.Option(
        None, "--plot", help="Draw the ranking (bars with interval whiskers) to this PNG."
    ),
) -> None:
    """Rank the columns of a table by their mutual information with a target column."""
    require(plot)
    from mitool.screening import screen

    result = screen(
        table,
        target,
        features=split_list(features, "--features"),
        groups=groups,
        estimator=estimator,
        norm=norm,
        k=k,
        resamples=resamples,
        permutations=permutations,
        null=null,
        ci=ci,
        fdr=fdr,
        top=top,
        select=select,
        seed=seed,
        jobs=jobs,
        units=units,
        search=search,
        drop_nan=drop_nan,
        progress=stderr_is_terminal() and not as_json,
        fmt=fmt,
        sep=sep,
        backend=backend,
        address=resolve_address(address, scheduler),
    )
    _warn_screen(result)
    if out is not None:
        result.write(out)
    if plot is not None:
        plot_ranking(result, plot)
    if as_json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        Console().print(_screen_table(result))
        if len(result.rows) > MAX_SHOWN:
            print(f"... {len(result.rows) - MAX_SHOWN} more rows (all of them in --out or --json)")


def _warn_screen(result: ScreenResult) -> None:
    for note in result.notes:
        say(f"mitool: warning: {note}")
    said = 0
    noted = [r for r in result.rows if r.notes or r.error]
    for row in noted[:MAX_WARNINGS]:
        for note in ([row.error] if row.error else []) + list(row.notes[:1]):
            say(f"mitool: warning: {row.feature}: {note}")
            said += 1
    if len(noted) > MAX_WARNINGS:
        say(f"mitool: warning: {len(noted) - MAX_WARNINGS} more feature(s) with notes (--json)")


def _screen_table(result: ScreenResult) -> Table:
    what = result.estimator if result.norm is None else f"{result.estimator}/{result.norm}"
    title = (
        f"I(feature; {result.target}) in {result.units}: {result.tested} features, "
        f"n = {result.n}, {what}"
    )
    if result.fdr is not None:
        title += f", {len(result.selected)} selected at FDR {result.fdr:g}"
    table = Table(title=escape(title))
    mrmr = result.select == "mrmr"
    columns = ["rank", "feature", "value"]
    if mrmr:
        columns += ["redundancy", "score"]
    elif result.select == "jmi":
        columns.append("J (sum of joint MI)")
    if result.resamples:
        columns.append(f"{result.ci:.0%} CI")
    if result.permutations:
        columns += ["p", "q"]
    if result.fdr is not None:
        columns.append("selected")
    if result.estimator == "auto":
        columns.append("chosen")
    for name in columns:
        table.add_column(name, justify="right" if name not in ("feature", "chosen") else "left")
    for row in result.rows[:MAX_SHOWN]:
        cells = [str(row.rank), escape(row.feature), _number(row.value)]
        if mrmr:
            cells += [_number(row.redundancy), _number(row.score)]
        elif result.select == "jmi":
            cells.append(_number(row.score))
        if result.resamples:
            cells.append(
                "-" if row.ci_low is None else f"[{_number(row.ci_low)}, {_number(row.ci_high)}]"
            )
        if result.permutations:
            cells += [_p(row.p_value), _p(row.q_value)]
        if result.fdr is not None:
            cells.append("yes" if row.selected else "")
        if result.estimator == "auto":
            cells.append(f"{row.estimator}/{row.norm}" if row.estimator else "-")
        table.add_row(*cells)
    return table


def plot_ranking(result: ScreenResult, path: str) -> None:
    """Horizontal bars of the ranked values (best at the top), interval whiskers, the selected
    features in colour."""
    from mitool.plotting import pyplot, save

    plt = pyplot()
    rows = [r for r in result.rows if math.isfinite(r.value)][:MAX_BARS]
    height = max(2.5, 0.28 * len(rows) + 1.4)
    fig, ax = plt.subplots(figsize=(7.5, height))
    names = [r.feature for r in rows][::-1]
    values = [r.value for r in rows][::-1]
    colours = [
        "tab:blue" if (r.selected or (result.fdr is None and result.select)) else "tab:gray"
        for r in rows
    ][::-1]
    if result.fdr is None and not result.select:
        colours = ["tab:blue"] * len(rows)
    errors = None
    if any(r.ci_low is not None for r in rows):
        low = [0.0 if r.ci_low is None else r.value - r.ci_low for r in rows][::-1]
        high = [0.0 if r.ci_high is None else r.ci_high - r.value for r in rows][::-1]
        errors = [low, high]
    ax.barh(range(len(rows)), values, xerr=errors, color=colours, capsize=2, ecolor="black")
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_xlabel(f"I(feature; {result.target}) [{result.units}]")
    what = result.estimator if result.norm is None else f"{result.estimator}/{result.norm}"
    title = f"{result.tested} features vs {result.target} (n = {result.n}, {what})"
    if len(result.rows) > len(rows):
        title += f"; best {len(rows)} shown"
    if result.fdr is not None:
        title += f"\nblue: selected at FDR {result.fdr:g} ({len(result.selected)})"
    elif result.select:
        title += f"\n{result.select} selection, in order"
    if any(r.ci_low is not None for r in rows):
        title += "; whiskers: intervals"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save(fig, path)


def pairwise_cmd(
    table: str = typer.Argument(
        ...,
        metavar="TABLE",
        help="A table: .parquet, .csv/.tsv, .h5:/dataset, .npz:key or .npy ('-': standard input).",
    ),
    columns: Optional[str] = typer.Option(
        None, "--columns", help="Columns, e.g. a,b,c or 0-9 (default: all)."
    ),
    estimator: str = typer.Option("auto", "--estimator", "-e", help=ESTIMATOR_HELP),
    norm: Optional[str] = typer.Option(None, "--norm", help=NORM_HELP),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    permutations: int = typer.Option(
        0, "--permutations", "-P", help="Shuffles per pair (0: no p-values)."
    ),
    null: str = typer.Option("auto", "--null", help=NULL_HELP),
    fdr: Optional[float] = typer.Option(
        None, "--fdr", help="Mark pairs with Benjamini-Hochberg q <= this (needs -P)."
    ),
    seed: int = typer.Option(0, "--seed", help="Root of every pair's seed."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", help="Workers (default: all cores)."),
    units: str = typer.Option("nats", "--units", help="nats or bits."),
    search: str = typer.Option("auto", "--search", help="kNN search path."),
    backend: str = typer.Option("processes", "--backend", help=BACKEND_HELP),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", hidden=True, help=SCHEDULER_HELP),
    drop_nan: bool = typer.Option(False, "--drop-nan", help="Drop rows holding NaN or inf."),
    fmt: Optional[str] = typer.Option(None, "--format", help="Format of '-' or of the file."),
    sep: Optional[str] = typer.Option(None, "--sep", help="CSV field separator."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    out: Optional[str] = typer.Option(
        None, "--out", help="Write the pairs as a long table (.csv, .tsv or .parquet)."
    ),
    plot: Optional[str] = typer.Option(
        None, "--plot", help="Draw the matrix as a clustered heatmap to this PNG."
    ),
) -> None:
    """The mutual information of every pair of columns of a table: a symmetric matrix."""
    require(plot)
    from mitool.screening import pairwise

    result = pairwise(
        table,
        columns=split_list(columns, "--columns"),
        estimator=estimator,
        norm=norm,
        k=k,
        permutations=permutations,
        null=null,
        fdr=fdr,
        seed=seed,
        jobs=jobs,
        units=units,
        search=search,
        drop_nan=drop_nan,
        progress=stderr_is_terminal() and not as_json,
        fmt=fmt,
        sep=sep,
        backend=backend,
        address=resolve_address(address, scheduler),
    )
    for note in result.notes:
        say(f"mitool: warning: {note}")
    if out is not None:
        result.write(out)
    if plot is not None:
        plot_heatmap(result, plot)
    if as_json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        Console().print(_pairs_table(result))


def _pairs_table(result: PairwiseResult) -> Table:
    """The pairs by decreasing value (at most MAX_SHOWN)."""
    pairs = sorted(
        result.to_long(), key=lambda r: -(r["value"] if r["value"] is not None else -math.inf)
    )
    what = result.estimator if result.norm is None else f"{result.estimator}/{result.norm}"
    title = (
        f"I(a; b) in {result.units}: {len(result.columns)} columns, {len(pairs)} pairs, "
        f"n = {result.n}, {what}"
    )
    if len(pairs) > MAX_SHOWN:
        title += f" (best {MAX_SHOWN} shown)"
    table = Table(title=escape(title))
    names = ["a", "b", "value"] + (["p", "q"] if result.permutations else [])
    names += ["selected"] if result.fdr is not None else []
    for name in names:
        table.add_column(name, justify="left" if name in ("a", "b") else "right")
    for row in pairs[:MAX_SHOWN]:
        cells = [escape(row["a"]), escape(row["b"]), _number(row["value"])]
        if result.permutations:
            cells += [_p(row["p_value"]), _p(row["q_value"])]
        if result.fdr is not None:
            cells.append("yes" if row["selected"] else "")
        table.add_row(*cells)
    return table


def plot_heatmap(result: PairwiseResult, path: str) -> None:
    """The matrix, rows and columns in the leaf order of a hierarchical clustering."""
    import numpy as np

    from mitool.plotting import pyplot, save

    plt = pyplot()
    order = result.order()
    names = [result.columns[i] for i in order]
    values = result.values[np.ix_(order, order)]
    size = len(names)
    side = min(12.0, max(4.0, 0.45 * size + 2.0))
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    shown = np.ma.masked_invalid(values)
    image = ax.imshow(shown, cmap="viridis", vmin=0.0)
    fig.colorbar(image, ax=ax, label=f"I [{result.units}]", shrink=0.8)
    ax.set_xticks(range(size), names, rotation=90, fontsize=8)
    ax.set_yticks(range(size), names, fontsize=8)
    if size <= MAX_ANNOTATED:
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        for i in range(size):
            for j in range(size):
                if i != j and np.isfinite(values[i, j]):
                    mark = ""
                    if result.q is not None and result.fdr is not None:
                        q = result.q[order[i], order[j]]
                        mark = "*" if np.isfinite(q) and q <= result.fdr else ""
                    colour = "black" if values[i, j] > 0.6 * top else "white"
                    ax.text(j, i, f"{values[i, j]:.2f}{mark}", ha="center", va="center",
                            fontsize=7, color=colour)  # fmt: skip
    what = result.estimator if result.norm is None else f"{result.estimator}/{result.norm}"
    title = f"pairwise MI (n = {result.n}, {what}); clustered order"
    if result.fdr is not None and size <= MAX_ANNOTATED:
        title += f"\n*: q <= {result.fdr:g}"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    save(fig, path)


def register(app: typer.Typer) -> None:
    """Add ``mitool screen`` and ``mitool pairwise`` to the command line."""
    app.command("screen", cls=PlainUsage)(screen_cmd)
    app.command("pairwise", cls=PlainUsage)(pairwise_cmd)
