"""``mitool entropy`` and ``mitool cmi``: the entropy of one variable and I(X; T | Z) from files.

They parse, call :func:`mitool.entropies.entropy` and :func:`mitool.conditional.conditional_mi`,
and print; errors are :class:`mitool.errors.MitoolError` lines (exit status 2 through
:func:`mitool.cli.main`).
"""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mitool.cli_format import PlainUsage, say, split_list
from mitool.errors import InputError, MitoolError, MitoolWarning

if TYPE_CHECKING:  # the data path loads when a command runs, so --help starts at once
    from mitool.conditional import ConditionalResult
    from mitool.io import Table as FileTable

#: The standard-input spec of :mod:`mitool.io`.
STDIN = "-"
SOURCE_HELP = ".npy, .npz:key, .h5:/dataset, .parquet or .csv; '-' reads standard input"
SEP_HELP = "CSV field separator, e.g. ';' or tab (default: found from the first line)."
FORMAT_HELP = "Format of '-' (csv or npy) or of a file with another extension."


def _label(table: FileTable, chosen: Optional[list[str]]) -> str:
    """The source, and the columns when a selection picked them ("data.csv[a,b]")."""
    if chosen is None:
        return table.source
    cols = table.columns
    shown = ",".join(cols) if len(cols) <= 6 else f"{','.join(cols[:5])},… {len(cols)} columns"
    return f"{table.source}[{shown}]"


def _number(value: float) -> str:
    text = f"{value:.4f}"
    return text[1:] if text == "-0.0000" else text


def entropy_cmd(
    x: str = typer.Argument(..., metavar="X", help=f"X: {SOURCE_HELP}."),
    cols: Optional[str] = typer.Option(
        None,
        "--cols",
        help="Columns of X: names or 0-based indices, ranges allowed (default: all).",
    ),
    fmt: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
    sep: Optional[str] = typer.Option(None, "--sep", help=SEP_HELP),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    discrete: Optional[bool] = typer.Option(
        None,
        "--discrete/--continuous",
        help="Read X as symbols (Miller-Madow) or as continuous (Kozachenko-Leonenko) "
        "(default: discrete when it has few distinct rows).",
        show_default=False,
    ),
    units: str = typer.Option("nats", "--units", help="nats or bits."),
    seed: int = typer.Option(0, "--seed", help="Seed of the jitter that separates copies."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Estimate the entropy of X: differential (Kozachenko-Leonenko, max-norm) for continuous
    data, plug-in with the Miller-Madow correction for discrete data.

    Differential entropy is not scale-invariant: rescaling X by a adds d*log|a|, so the value
    depends on the units of every column; compare only entropies of data in the same units."""
    from mitool import __version__
    from mitool.entropies import entropy
    from mitool.io import load_table

    chosen = split_list(cols, "--cols")
    table = load_table(x, columns=chosen, fmt=fmt, sep=sep)
    name = _label(table, chosen)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        result = entropy(table.data, k=k, discrete=discrete, units=units, seed=seed, name=name)
    for note in result.warnings:
        say(f"mitool: warning: {note}")
    if as_json:
        print(json.dumps({**result.to_dict(), "version": __version__}, allow_nan=False))
        return
    out = Table(title=escape(f"H({name})"), show_header=False)
    out.add_column("field", style="bold")
    out.add_column("value")
    lines = [
        ("estimate", f"{_number(result.value)} {result.units}"),
        ("method", result.method),
        ("k" if result.k is not None else "symbols", str(result.k or result.symbols)),
        ("n, d", f"{result.n}, {result.d}"),
        ("note", result.note),
        ("time", f"{result.seconds:.3f} s"),
    ]
    for field, value in lines:
        out.add_row(field, escape(value))
    Console().print(out)


def cmi_cmd(
    x: str = typer.Argument(
        ...,
        metavar="X",
        help=f"X: {SOURCE_HELP}. Alone, one table holding X, T and Z (--t-cols, --z-cols).",
    ),
    t: Optional[str] = typer.Argument(None, metavar="T", help="T, like X."),
    z: Optional[str] = typer.Argument(None, metavar="Z", help="Z, the conditioning variable."),
    x_cols: Optional[str] = typer.Option(
        None,
        "--x-cols",
        help="Columns of X (default: all; with one table, every column not in T or Z).",
    ),
    t_cols: Optional[str] = typer.Option(None, "--t-cols", help="Columns of T, like --x-cols."),
    z_cols: Optional[str] = typer.Option(None, "--z-cols", help="Columns of Z, like --x-cols."),
    fmt: Optional[str] = typer.Option(None, "--format", help=FORMAT_HELP),
    sep: Optional[str] = typer.Option(None, "--sep", help=SEP_HELP),
    k: int = typer.Option(3, "-k", "--neighbors", help="Number of nearest neighbours."),
    norm: str = typer.Option(
        "rank",
        "--norm",
        help="rank (normal scores), none, local, global or global-linf, applied to X, T and Z "
        "alike.",
    ),
    correction: str = typer.Option(
        "copula",
        "--correction",
        help="copula (subtract KSG-CMI's bias measured on Gaussian-copula surrogates of the "
        "data: needed in high dimension, costs 2 more estimates) or none.",
    ),
    units: str = typer.Option("nats", "--units", help="nats or bits."),
    seed: int = typer.Option(0, "--seed", help="Seed of the tie jitter and the permutations."),
    permutations: int = typer.Option(
        0,
        "--permutations",
        "-P",
        help="Permutations of T for a test of conditional independence (0: none).",
    ),
    null: str = typer.Option(
        "local",
        "--null",
        help="local (T drawn among each row's neighbours in Z, Runge 2018; within the values "
        "of a discrete Z) or shuffle (all rows: for comparison only, not a conditional test).",
    ),
    local_neighbors: int = typer.Option(
        5, "--local-neighbors", help="Neighbours in Z from which each row's T is drawn."
    ),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes for the permutations (default: all cores)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Estimate the conditional mutual information I(X; T | Z) (KSG-CMI of Frenzel & Pompe
    2007; a discrete Z is conditioned on exactly), with a local permutation test.

    Give three sources X T Z, or one table X with --t-cols and --z-cols (and optionally
    --x-cols; X then defaults to every other numeric column)."""
    from mitool.conditional import conditional_mi

    (tx, tt, tz), names = load_triple(x, t, z, x_cols, t_cols, z_cols, fmt, sep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MitoolWarning)
        result = conditional_mi(
            tx.data,
            tt.data,
            tz.data,
            k=k,
            norm=norm,
            correction=correction,
            seed=seed,
            permutations=permutations,
            local_neighbors=local_neighbors,
            null=null,
            units=units,
            jobs=jobs,
            names=names,
        )
    show_cmi(result, names, as_json)


def show_cmi(result: ConditionalResult, names: tuple[str, str, str], as_json: bool) -> None:
    """Print an estimate of I(X; T | Z): its warnings on stderr, then one JSON object or the
    table, on stdout (``mitool cmi`` and ``mitool estimate --given``)."""
    from mitool import __version__

    for note in result.warnings:
        say(f"mitool: warning: {note}")
    if as_json:
        print(json.dumps({**result.to_dict(), "version": __version__}, allow_nan=False))
        return
    out = Table(title=escape(f"I({names[0]}; {names[1]} | {names[2]})"), show_header=False)
    out.add_column("field", style="bold")
    out.add_column("value")
    lines = [("estimate", f"{_number(result.value)} {result.units}")]
    if result.correction == "copula":
        shift = result.copula_cmi - result.surrogate_cmi
        lines.append(
            (
                "bias correction",
                f"{shift:+.4f} (KSG-CMI read {_number(result.statistic)}; Gaussian-copula "
                f"surrogates read {_number(result.surrogate_cmi)} where theirs is "
                f"{_number(result.copula_cmi)})",
            )
        )
    if result.p_value is not None:
        how = "local permutations" if result.null == "local" else "plain shuffles (not conditional)"
        lines += [
            ("p-value", f"{result.p_value:.4g} ({result.permutations} {how} of T)"),
            (
                "null mean ± sd",
                f"{_number(result.null_mean)} ± {result.null_sd:.4f}"
                + (" (of KSG-CMI before the correction)" if result.correction == "copula" else ""),
            ),
        ]
    discrete = [side for side, flag in result.discrete.items() if flag]
    lines += [
        ("method", result.method),
        ("norm", result.norm),
        ("k", str(result.k)),
        ("n", str(result.n)),
        ("d_x, d_t, d_z", f"{result.d_x}, {result.d_t}, {result.d_z}"),
        ("discrete", ", ".join(discrete) if discrete else "none"),
        ("time", f"{result.seconds:.3f} s"),
    ]
    if result.strata is not None:
        lines.insert(-1, ("strata", f"{result.strata} values of Z"))
    for field, value in lines:
        out.add_row(field, escape(value))
    Console().print(out)


def load_triple(
    x: str,
    t: Optional[str],
    z: Optional[str],
    x_cols: Optional[str],
    t_cols: Optional[str],
    z_cols: Optional[str],
    fmt: Optional[str],
    sep: Optional[str],
) -> tuple[tuple[FileTable, FileTable, FileTable], tuple[str, str, str]]:
    """X, T and Z from three sources, or from one table by columns, and their names."""
    from mitool.io import load_pair, load_table

    xc, tc, zc = (
        split_list(x_cols, "--x-cols"),
        split_list(t_cols, "--t-cols"),
        split_list(z_cols, "--z-cols"),
    )
    if t is not None and z is None:
        raise MitoolError("give Z as a third source (X T Z), or one table with --t-cols, --z-cols")
    if t is None:
        if tc is None or zc is None:
            raise InputError(
                x, "one table holds X, T and Z, so name the columns of T and Z (--t-cols, --z-cols)"
            )
        if x == STDIN:
            raise InputError(
                "<stdin>",
                "one table from standard input cannot be split three ways; save it to a file",
            )
        if xc is None:  # X takes every other numeric column
            tx, _ = load_pair(x, None, t_cols=tc + zc, fmt=fmt, sep=sep)
        else:
            tx = load_table(x, columns=xc, fmt=fmt, sep=sep)
        tt = load_table(x, columns=tc, fmt=fmt, sep=sep)
        tz = load_table(x, columns=zc, fmt=fmt, sep=sep)
        tables = (tx, tt, tz)
        chosen: tuple[Optional[list[str]], ...] = (xc or tx.columns, tc, zc)
    else:
        if [x, t, z].count(STDIN) > 1:
            raise InputError("<stdin>", "standard input can only be read once")
        tables = tuple(
            load_table(spec, columns=cols, fmt=fmt, sep=sep)
            for spec, cols in ((x, xc), (t, tc), (z, zc))
        )
        chosen = (xc, tc, zc)
    labels = [_label(table, cols) for table, cols in zip(tables, chosen, strict=True)]
    if t is None:
        labels = [f"{label} ({side})" for label, side in zip(labels, "XTZ", strict=True)]
    return (tables[0], tables[1], tables[2]), (labels[0], labels[1], labels[2])


def register(app: typer.Typer) -> None:
    """Add ``mitool entropy`` and ``mitool cmi`` to the command line."""
    app.command("entropy", cls=PlainUsage)(entropy_cmd)
    app.command("cmi", cls=PlainUsage)(cmi_cmd)
