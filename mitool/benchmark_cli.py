"""``mitool benchmark``: the paper's accuracy study (§5.2) as a command."""

from __future__ import annotations

import csv
import json
import math
import sys
import time
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console
from rich.table import Table

from mitool.engines import ADDRESS_HELP, BACKEND_HELP, SCHEDULER_HELP, check_engine, resolve_address
from mitool.errors import MitoolError
from mitool.paper_tables import KSG_PAIRS, PRESETS
from mitool.progress import stderr_is_terminal

if TYPE_CHECKING:  # the study loads when the command runs, so --help starts at once
    from mitool.benchmark import Row, RowResult


def _ints(text: str, option: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise MitoolError(f"{option} must be comma-separated whole numbers, got '{text}'") from None
    if not values or min(values) < 1:
        raise MitoolError(f"{option} must be positive whole numbers, got '{text}'")
    return values


def _rows(base: str, transforms: str, dims: str, n: int, ordered: bool) -> list[Row]:
    from mitool.benchmark import BASES, Row
    from mitool.transforms import canonical, parse

    if base not in BASES:
        raise MitoolError(f"unknown base '{base}'; choose one of: {', '.join(BASES)}")
    if n < 10:
        raise MitoolError(f"--samples must be at least 10, got {n}")
    sets = [parse(s) for s in transforms.split(";")]
    sets = [s if ordered else canonical(s) for s in sets]
    return [Row(base, s, d, n) for s in sets for d in _ints(dims, "--dims")]


def _old_names(
    n: Optional[int], old_n: Optional[int], pairs: Optional[str], old_pairs: Optional[str]
) -> tuple[Optional[int], Optional[str]]:
    """``--n`` and ``--estimators`` are the old names of ``--samples`` and ``--pairs`` (the
    names every other command uses), accepted for one more release with a warning."""
    for old, new, given, current in (
        ("--n", "--samples", old_n, n),
        ("--estimators", "--pairs", old_pairs, pairs),
    ):
        if given is not None:
            if current is not None:
                raise MitoolError(f"{old} is the old name of {new}; give only {new}")
            print(f"mitool: warning: {old} is now {new}", file=sys.stderr)
    return (n if old_n is None else old_n), (pairs if old_pairs is None else old_pairs)


def benchmark_cmd(
    preset: Optional[str] = typer.Option(
        None, "--preset", help=f"Run exactly the rows of a paper table: {', '.join(PRESETS)}."
    ),
    base: str = typer.Option("additive", "--base", help="additive (T = X + noise) or correlated."),
    transforms: str = typer.Option(
        "none",
        "--transforms",
        help="MI-preserving transforms of X: rm, cb, sg, ds, dn, e.g. sg,ds; several rows "
        "with ';' (e.g. 'sg;sg,dn').",
    ),
    ordered: bool = typer.Option(
        False, "--ordered", help="Apply the transforms in the order given, not dn,ds,rm,cb,sg."
    ),
    dims: str = typer.Option("2", "--dims", help="Dimensions d per side, e.g. 2,4,6."),
    n: Optional[int] = typer.Option(
        None,
        "--samples",
        "-n",
        help="Rows per trial (default 1000; 5000 per task with --suite).",
        show_default=False,
    ),
    trials: int = typer.Option(40, "--trials", help="Trials per row."),
    estimators: Optional[str] = typer.Option(
        None,
        "--pairs",
        help="estimator/norm pairs (default: ksg/none,bi-ksg/none,ksg/local,ksg/global,"
        "ksg/global-linf).",
    ),
    old_n: Optional[int] = typer.Option(None, "--n", hidden=True, help="Old name of --samples."),
    old_pairs: Optional[str] = typer.Option(
        None, "--estimators", hidden=True, help="Old name of --pairs."
    ),
    k: int = typer.Option(3, "-k", "--neighbors", help="Neighbours of the kNN estimators."),
    seed: int = typer.Option(0, "--seed", help="Seed of every trial."),
    jobs: Optional[int] = typer.Option(
        None, "--jobs", "-j", help="Worker processes (default: all cores, at most one per task)."
    ),
    backend: str = typer.Option("processes", "--backend", help=BACKEND_HELP),
    address: Optional[str] = typer.Option(None, "--address", help=ADDRESS_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", hidden=True, help=SCHEDULER_HELP),
    units: str = typer.Option(
        "nats", "--units", help="nats or bits: truths, bias and RMSE (the other scores are ratios)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    csv_path: Optional[str] = typer.Option(None, "--csv", help="Also write the scores to a CSV."),
    suite: Optional[str] = typer.Option(
        None,
        "--suite",
        help="Run the accuracy suite (tasks with exact MI, mitool.suite) instead: tuning or "
        "heldout. --pairs are the pairs (estimator/norm or estimator), --samples the rows "
        "per task; prints per-group MAE, Spearman, within x1.5 and every task (markdown or "
        "--json).",
    ),
) -> None:
    """Estimators against known ground truth: normalized RMSE, Spearman and bias.

    The study of §5.2 of 'Towards Robust Scale-Invariant Mutual Information Estimators'
    (anonymous, under review), or mitool's accuracy suite (--suite)."""
    from mitool.benchmark import Row, parse_pairs, run
    from mitool.result import UNITS

    n, estimators = _old_names(n, old_n, estimators, old_pairs)
    where = {"backend": backend, "address": resolve_address(address, scheduler)}
    check_engine(**where)
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    if suite is not None and units != "nats":
        raise MitoolError(
            "--suite reports its errors in nats (as RESULTS.md); --units is for the study"
        )
    if suite is not None:
        if preset is not None:
            raise MitoolError("--suite and --preset are different studies; give one of them")
        _run_suite(suite, estimators, 5000 if n is None else n, seed, jobs, as_json, where)
        return
    if preset is not None and n is not None:
        raise MitoolError(
            "--samples does not apply to --preset: a preset runs the paper's rows at the paper's n"
        )
    n = 1000 if n is None else n
    paper: list[dict[str, float | None]] | None = None
    if preset is not None:
        if preset not in PRESETS:
            raise MitoolError(f"unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}")
        base, paper_rows, default_pairs = PRESETS[preset]
        rows = [Row(base, r.transforms, r.d, r.n) for r in paper_rows]
        paper = [r.values for r in paper_rows]
    else:
        rows = _rows(base, transforms, dims, n, ordered)
        default_pairs = KSG_PAIRS
    pairs = parse_pairs(estimators if estimators is not None else default_pairs)
    started = time.perf_counter()
    results = run(
        rows,
        pairs,
        trials=trials,
        k=k,
        seed=seed,
        jobs=jobs,
        progress=stderr_is_terminal() and not as_json,
        **where,
    )
    seconds = time.perf_counter() - started
    results = [r.in_units(units) for r in results]
    if csv_path is not None:
        _write_csv(csv_path, results, paper)
    if as_json:
        print(
            json.dumps(
                {**_payload(results, paper, preset, trials, seed, k, seconds), "units": units}
            )
        )
        return
    console = Console(width=None if stderr_is_terminal() else 200)
    for measure in ("nrmse", "spearman", "bias"):
        console.print(_table(results, pairs, measure, paper, units))
    console.print(f"{len(rows)} rows × {trials} trials in {seconds:.1f} s")


SUITE_PAIRS = "ksg/none,ksg/global-linf,ksg/local,ksg2/none,bi-ksg/none"


def _run_suite(
    split: str,
    estimators: str | None,
    n: int,
    seed: int,
    jobs: int | None,
    as_json: bool,
    where: dict[str, str | None],
) -> None:
    from mitool.suite import SPLITS
    from mitool.suite_score import report_markdown, run_suite

    if split not in SPLITS:
        raise MitoolError(f"unknown split '{split}'; choose one of: {', '.join(SPLITS)}")
    results = run_suite(
        estimators if estimators is not None else SUITE_PAIRS,
        split,
        n=n,
        seed=seed,
        jobs=jobs,
        progress=stderr_is_terminal() and not as_json,
        **where,
    )
    if as_json:
        from mitool import __version__

        print(json.dumps({**results.to_dict(), "version": __version__}))
    else:
        print(report_markdown(results), end="")


def _fmt(value: float | None) -> str:
    return (
        "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"
    )


TITLES = {
    "nrmse": "normalized RMSE (lower is better; > 1 is worse than guessing)",
    "spearman": "Spearman correlation with the truth (higher is better)",
    "bias": "bias, mean(estimate − truth) in {units}",
}


def _table(
    results: list[RowResult],
    pairs: tuple[str, ...],
    measure: str,
    paper: list[dict[str, float | None]] | None,
    units: str = "nats",
) -> Table:
    title = TITLES[measure].format(units=units)
    title += " — ours (paper)" if paper and measure == "nrmse" else ""
    table = Table(title=f"{title}, {results[0].row.base} base")
    for column in ("transforms", "d", "n", "truth"):
        table.add_column(column, no_wrap=True)
    for pair in pairs:
        table.add_column(pair, justify="right", no_wrap=True)
    for i, result in enumerate(results):
        values = {p: getattr(result.scores[p], measure) for p in pairs}
        best = (
            min(values, key=lambda p: values[p])
            if measure == "nrmse"
            else max(values, key=lambda p: values[p])
            if measure == "spearman"
            else min(values, key=lambda p: abs(values[p]))
        )
        cells = []
        for pair in pairs:
            cell = _fmt(values[pair])
            if result.scores[pair].failed:
                cell += f" ({result.scores[pair].failed} failed)"
            if paper and measure == "nrmse":
                cell += f" ({_fmt(paper[i].get(pair))})"
            cells.append(f"[bold]{cell}[/bold]" if pair == best else cell)
        row = result.row
        truth = f"{result.truths.mean():.2f}±{result.truths.std():.2f}"
        table.add_row(row.label, str(row.d), str(row.n), truth, *cells)
    return table


def _payload(
    results: list[RowResult],
    paper: list[dict[str, float | None]] | None,
    preset: str | None,
    trials: int,
    seed: int,
    k: int,
    seconds: float,
) -> dict:
    from mitool import __version__

    return {
        "preset": preset,
        "trials": trials,
        "seed": seed,
        "k": k,
        "seconds": seconds,
        "version": __version__,
        "rows": [
            {
                "base": r.row.base,
                "transforms": list(r.row.transforms),
                "d": r.row.d,
                "n": r.row.n,
                "truth_mean": float(r.truths.mean()),
                "scores": {
                    pair: {
                        "nrmse": s.nrmse,
                        "spearman": s.spearman,
                        "bias": s.bias,
                        "rmse": s.rmse,
                        "failed": s.failed,
                        **({"paper_nrmse": paper[i].get(pair)} if paper else {}),
                    }
                    for pair, s in r.scores.items()
                },
            }
            for i, r in enumerate(results)
        ],
    }


def _write_csv(
    path: str, results: list[RowResult], paper: list[dict[str, float | None]] | None
) -> None:
    try:
        with open(path, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(
                ["base", "transforms", "d", "n", "pair", "nrmse", "spearman", "bias", "rmse",
                 "paper_nrmse"]
            )  # fmt: skip
            for i, r in enumerate(results):
                for pair, s in r.scores.items():
                    reference = paper[i].get(pair) if paper else None
                    out.writerow(
                        [r.row.base, r.row.label, r.row.d, r.row.n, pair, s.nrmse, s.spearman,
                         s.bias, s.rmse, "" if reference is None else reference]
                    )  # fmt: skip
    except OSError as exc:
        raise MitoolError(f"{path}: cannot write the CSV ({exc.strerror})") from None


def register(app: typer.Typer) -> None:
    """Add ``mitool benchmark`` to the command line."""
    app.command("benchmark")(benchmark_cmd)
