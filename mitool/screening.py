"""Many variables at once: rank features by their MI with a target, or estimate every pair.

:func:`screen` estimates I(feature; target) for each feature (a column, or a group of columns)
with :func:`mitool.estimate`'s estimators, norms and ``auto`` choice, and ranks them, with an
interval, a permutation p-value and a Benjamini–Hochberg q-value per feature when asked for;
``select="mrmr"`` (Peng, Long & Ding 2005) or ``select="jmi"`` (joint mutual information, Yang &
Moody 1999) picks a redundancy-aware subset. :func:`pairwise` estimates the symmetric matrix of
all pairs of columns.

**Seeds.** Feature j (in input order) runs with its own seed, the child
``SeedSequence(seed).spawn(m)[j]`` made an integer: its row is what ``mitool.estimate(x_j, y,
seed=row.seed, ...)`` returns, and no result depends on ``jobs`` or on how features are shared
among workers. The pair (i, j) of :func:`pairwise`, the redundancy terms of mRMR and the joint
terms of JMI use the children ``SeedSequence(seed, spawn_key=(i, j))``, ``(m, f, s)`` and
``(m + 1, f, s)``.

**Paths.** Every feature runs through :func:`mitool.estimate` (``auto`` diagnoses each feature
and chooses for it) except on the compiled path: a 1-D feature, ``estimator="ksg"`` with the
``none``, ``local`` or ``rank`` norm, and neither the feature nor the pair repeating rows. There
KSG algorithm 1 runs in one compiled pass per feature (:func:`ksg_value`: a sorted-strip
search for the k-th max-norm neighbour, galloping counts in the sorted marginals, the same
subtraction as the trees, so the counts are exactly the trees'), without the per-call
validation and diagnosis; the values equal ``estimate``'s to rounding in the last digits (the
sum of the ψ terms is taken in another order), and where the pass cannot vouch for them (rows
that repeat, a search that would cost more than a tree's) it hands the feature back to
mitool's own estimator. Without intervals or permutations those features run on threads (the
pass releases the GIL); everything else runs on worker processes through
:func:`mitool.parallel.parallel_map`, each task a block of column indices into one shared
array (joblib memory-maps it once for all workers), or on the Dask or Ray cluster named by
``backend`` and ``address`` (:mod:`mitool.engines`; the array is sent to the workers once).

**Significance.** ``permutations=P`` shuffles the target against each feature P times, exactly
as ``estimate`` does (the same generator draws). With ``null="feature"`` each feature's p-value
comes from its own shuffles, (1 + #{null ≥ Î}) / (1 + P), which can never fall below
1 / (P + 1): Benjamini–Hochberg over m features needs p ≤ q/m for a first discovery, so P would
have to exceed m/q (20,000 shuffles per feature for m = 1,000 at q = 0.05). With
``null="pooled"`` the m·P shuffled values of all features form one null distribution, and
p_j = (1 + #{pooled null ≥ Î_j}) / (1 + m·P): resolution 1/(mP) for the cost of P shuffles a
feature. That is exact when every feature has the same null distribution, which holds for 1-D
tie-free features whenever the estimate depends on each column only through its ranks (the
``rank`` norm, ``gcmi``): under independence the pair's ranks are then a uniformly random
permutation, whatever the marginals, so the null law depends on n and k alone. For other
norms it is an approximation (KSG's null depends a little on each feature's marginal
distribution). ``null="auto"`` pools exactly in the exact case and keeps each feature's own
shuffles otherwise. q-values are :func:`scipy.stats.false_discovery_control` (BH).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from mitool.engines import check_engine, engine
from mitool.errors import InputError, MitoolError, MitoolWarning
from mitool.search.strips import CONSTANT, COSTLY, OK, ksg_columns, ksg_permuted, ksg_value
from mitool.validate import MAX_SEED, whole_number

#: The estimator name that lets :func:`mitool.estimate` diagnose each feature and choose.
AUTO = "auto"
#: Estimators that read a text target as class labels (as on ``mitool estimate``).
TEXT_LABEL_ESTIMATORS = ("auto", "ross", "plugin")
#: Norms under which KSG runs on the compiled path (each a map of one column at a time).
FAST_NORMS = ("none", "local", "rank")
#: Ways to turn shuffles into p-values (module docstring).
NULLS = ("auto", "feature", "pooled")
#: Redundancy-aware selections (greedy): mRMR (Peng et al. 2005) and JMI (Yang & Moody 1999).
SELECTIONS = ("mrmr", "jmi")


@dataclass(frozen=True)
class _Tables:
    """What every compiled estimate on n rows shares: ``psi[c]`` = ψ(c) for c = 0..n (ψ(0) =
    −inf is never looked up: counts include the point itself), ``offset`` = ψ(k) + ψ(n), and
    the normal scores Φ⁻¹(r / (n + 1)) of the ranks r = 1..n (the rank norm of tie-free data)."""

    n: int
    k: int
    psi: np.ndarray
    offset: float
    scores: np.ndarray

    @classmethod
    def of(cls, n: int, k: int, known: Sequence[_Tables] = ()) -> _Tables:
        for tables in known:
            if (tables.n, tables.k) == (n, k):
                return tables
        from scipy.special import digamma, ndtri

        with np.errstate(divide="ignore", invalid="ignore"):
            psi = digamma(np.arange(n + 1, dtype=np.float64))
        scores = ndtri(np.arange(1, n + 1, dtype=np.float64) / (n + 1))
        return cls(n, k, psi, float(digamma(k) + digamma(n)), scores)


def _normalized(
    v: np.ndarray, order: np.ndarray | None, norm: str, name: str, tables: _Tables
) -> np.ndarray:
    """``mitool.normalize.normalize(v[:, None], norm, name)[:, 0]``, bit for bit; under the rank
    norm a tie-free column's normal scores come from its sort (``order``) and ``tables``."""
    if norm == "none":
        return v
    if norm == "rank":
        order = np.argsort(v) if order is None else order
        ordered = v[order]
        if ordered[0] != ordered[-1] and not np.any(ordered[1:] == ordered[:-1]):
            out = np.empty(len(v))
            out[order] = tables.scores
            return out
    from mitool.normalize import normalize

    return normalize(v[:, None], norm, name)[:, 0]


@dataclass(frozen=True)
class _Target:
    """One side shared by many compiled estimates: its column, order, ranks, and ties."""

    values: np.ndarray
    order: np.ndarray
    rank: np.ndarray
    ties: bool

    @classmethod
    def of(cls, column: np.ndarray, order: np.ndarray | None = None) -> _Target:
        """``order`` sorts ``column`` (computed when None)."""
        column = np.ascontiguousarray(column, dtype=np.float64)
        order = np.argsort(column) if order is None else order
        rank = np.empty(len(column), np.int64)
        rank[order] = np.arange(len(column))
        ordered = column[order]
        return cls(column, order, rank, bool(np.any(ordered[1:] == ordered[:-1])))

    def value(
        self, x: np.ndarray, k: int, order: np.ndarray | None = None, tables: _Tables | None = None
    ) -> tuple[float, int]:
        """The compiled KSG of the 1-D ``x`` (sorted by ``order``) with this side."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        tables = _Tables.of(len(x), k) if tables is None else tables
        order = np.argsort(x) if order is None else order
        return ksg_value(
            x, order, self.values, self.order, self.rank, self.ties, k, tables.offset,
            tables.psi,
        )  # fmt: skip


def fast_point(
    x: np.ndarray,
    t: np.ndarray,
    seed: int,
    *,
    k: int,
    norm: str,
    search: str,
    tables: tuple[_Tables, ...] = (),
) -> float:
    """``mitool.api.point_value`` for KSG (algorithm 1, one column per side, no sweep over c),
    on the compiled pass where it applies: normalise each side, then estimate; mitool's own
    estimator where the pass does not vouch for the value. ``tables`` holds precomputed
    :class:`_Tables` (for the subsample size, say). Picklable as a partial: what each replicate
    of an interval or a permutation test computes."""
    xv, tv = x[:, 0], t[:, 0]
    n = len(xv)
    shared = _Tables.of(n, k, tables)
    ox, ot = np.argsort(xv), np.argsort(tv)
    xn = _normalized(xv, ox, norm, "X", shared)  # a normalisation error is point_value's too
    tn = _normalized(tv, ot, norm, "T", shared)
    value, status = _Target.of(tn, ot).value(xn, k, ox, shared)
    if status != OK:
        from mitool.api import point_value

        return point_value(x, t, seed, estimator="ksg", norm=norm, k=k, grid=(1.0,), backend=search)
    return float(value)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenRow:
    """One feature's line of a screen (values in the result's units).

    ``rank`` is 1 for the largest estimate (with ``select``, the order of selection).
    ``ci_low``/``ci_high`` are None without resamples, ``p_value``/``q_value`` without
    permutations, ``selected`` without ``fdr``. ``estimator`` and ``norm`` are what ran on this
    feature (``auto``'s choice), ``seed`` the seed it ran with (``mitool.estimate(x, y,
    seed=row.seed, ...)`` reproduces it), ``notes`` the estimate's warnings, ``error`` why it
    has no value. With mRMR, ``relevance`` is I(f; y), ``redundancy`` the mean I(f; s) over the
    features selected before it and ``score`` their difference. With JMI, ``relevance`` is
    I(f; y) and ``score`` is J_jmi(f) = Σ_s I((f, s); y) over the features s selected before it
    (None for the first, which is picked by relevance); ``redundancy`` is None.
    """

    feature: str
    columns: tuple[str, ...]
    value: float
    rank: int
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    selected: bool | None = None
    estimator: str = ""
    norm: str = ""
    seed: int = 0
    notes: tuple[str, ...] = ()
    error: str | None = None
    relevance: float | None = None
    redundancy: float | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "feature": self.feature,
            "columns": list(self.columns),
            "value": _finite_or_none(self.value),
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "q_value": self.q_value,
            "selected": self.selected,
            "estimator": self.estimator,
            "norm": self.norm,
            "seed": self.seed,
            "relevance": self.relevance,
            "redundancy": self.redundancy,
            "score": self.score,
            "notes": list(self.notes),
            "error": self.error,
        }


#: Columns of the tables that ``ScreenResult.write`` and ``PairwiseResult.write`` produce.
ROW_FIELDS = (
    "rank", "feature", "columns", "value", "ci_low", "ci_high", "p_value", "q_value", "selected",
    "estimator", "norm", "seed", "relevance", "redundancy", "score", "notes", "error",
)  # fmt: skip
PAIR_FIELDS = ("a", "b", "value", "p_value", "q_value", "selected")


@dataclass(frozen=True)
class ScreenResult:
    """A ranked screen: ``rows`` best first (only the ``top`` best when it was given).

    ``features``, ``values``, ``p_values`` cover every screened feature in input order (what
    :func:`mitool.sklearn.mi_score` returns); ``tested`` is how many there were. ``null`` is how
    the p-values were made (``feature`` or ``pooled``, None without permutations).
    """

    rows: tuple[ScreenRow, ...]
    target: str
    n: int
    units: str
    estimator: str
    norm: str | None
    k: int
    resamples: int
    permutations: int
    null: str | None
    fdr: float | None
    select: str | None
    seed: int
    seconds: float
    features: tuple[str, ...]
    values: tuple[float, ...]
    p_values: tuple[float, ...] | None = None
    notes: tuple[str, ...] = ()
    ci: float = 0.95

    @property
    def tested(self) -> int:
        return len(self.features)

    @property
    def selected(self) -> list[str]:
        """The features selected: q ≤ fdr (with ``fdr``), else those kept by mRMR, else []."""
        if self.fdr is not None:
            return [r.feature for r in self.rows if r.selected]
        return [r.feature for r in self.rows] if self.select else []

    def __repr__(self) -> str:
        shown = ", ".join(f"{r.feature}={r.value:.3f}" for r in self.rows[:5])
        more = ", ..." if len(self.rows) > 5 else ""
        return (
            f"ScreenResult({self.tested} features vs {self.target}, n={self.n}, "
            f"{self.estimator}; {shown}{more} {self.units})"
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the settings and the ranked rows."""
        from mitool import __version__

        return {
            "target": self.target,
            "n": self.n,
            "units": self.units,
            "estimator": self.estimator,
            "norm": self.norm,
            "k": self.k,
            "resamples": self.resamples,
            "ci_level": self.ci if self.resamples else None,
            "permutations": self.permutations,
            "null": self.null,
            "fdr": self.fdr,
            "select": self.select,
            "seed": self.seed,
            "tested": self.tested,
            "selected": self.selected,
            "seconds": self.seconds,
            "notes": list(self.notes),
            "rows": [row.to_dict() for row in self.rows],
            "version": __version__,
        }

    def records(self) -> list[dict[str, Any]]:
        """One flat dict per row (columns and notes joined), as :meth:`write` stores them."""
        out = []
        for row in self.rows:
            record = row.to_dict()
            record["columns"] = ",".join(row.columns)
            record["notes"] = " | ".join(row.notes)
            out.append(record)
        return out

    def write(self, path: str) -> None:
        """The ranked rows as a table: ``.csv``/``.tsv``, or ``.parquet``."""
        write_records(path, self.records(), ROW_FIELDS)


@dataclass(frozen=True)
class PairwiseResult:
    """The symmetric matrix of I(a; b) over ``columns`` (diagonal NaN), in ``units``; ``p`` and
    ``q`` (same shape) with permutations, ``selected`` pairs with q ≤ fdr."""

    columns: tuple[str, ...]
    values: np.ndarray
    p: np.ndarray | None
    q: np.ndarray | None
    n: int
    units: str
    estimator: str
    norm: str | None
    k: int
    permutations: int
    null: str | None
    fdr: float | None
    seed: int
    seconds: float
    chosen: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_long(self) -> list[dict[str, Any]]:
        """One row per pair (a before b in ``columns``): a, b, value, p_value, q_value,
        selected."""
        out = []
        for i in range(len(self.columns)):
            for j in range(i + 1, len(self.columns)):
                p = None if self.p is None else _finite_or_none(self.p[i, j])
                q = None if self.q is None else _finite_or_none(self.q[i, j])
                out.append(
                    {
                        "a": self.columns[i],
                        "b": self.columns[j],
                        "value": _finite_or_none(self.values[i, j]),
                        "p_value": p,
                        "q_value": q,
                        "selected": None if self.fdr is None or q is None else q <= self.fdr,
                    }
                )
        return out

    def order(self) -> list[int]:
        """The columns in the leaf order of an average-linkage clustering on the distance
        1 − √(1 − e^(−2I)) (one minus Linfoot's informational coefficient of correlation)."""
        if len(self.columns) < 3:
            return list(range(len(self.columns)))
        from scipy.cluster.hierarchy import leaves_list, linkage
        from scipy.spatial.distance import squareform

        nats = self.values * (math.log(2) if self.units == "bits" else 1.0)
        nats = np.where(np.isfinite(nats), np.maximum(nats, 0.0), 0.0)
        distance = 1.0 - np.sqrt(1.0 - np.exp(-2.0 * nats))
        np.fill_diagonal(distance, 0.0)
        distance = (distance + distance.T) / 2
        return [int(i) for i in leaves_list(linkage(squareform(distance), "average"))]

    def to_dict(self) -> dict[str, Any]:
        from mitool import __version__

        def matrix(a: np.ndarray | None) -> list[list[float | None]] | None:
            return None if a is None else [[_finite_or_none(v) for v in row] for row in a]

        return {
            "columns": list(self.columns),
            "n": self.n,
            "units": self.units,
            "estimator": self.estimator,
            "norm": self.norm,
            "k": self.k,
            "permutations": self.permutations,
            "null": self.null,
            "fdr": self.fdr,
            "seed": self.seed,
            "seconds": self.seconds,
            "values": matrix(self.values),
            "p": matrix(self.p),
            "q": matrix(self.q),
            "pairs": self.to_long(),
            "notes": list(self.notes),
            "version": __version__,
        }

    def write(self, path: str) -> None:
        """The long table (:meth:`to_long`): ``.csv``/``.tsv``, or ``.parquet``."""
        write_records(path, self.to_long(), PAIR_FIELDS)


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def write_records(path: str, records: list[dict[str, Any]], fields: Sequence[str]) -> None:
    """Write ``records`` with the columns ``fields``: CSV (tab-separated for ``.tsv``), or
    parquet (pyarrow) for ``.parquet``. An unwritable path is a one-line error."""
    import os

    extension = os.path.splitext(path)[1].lower()
    if extension not in (".csv", ".tsv", ".parquet"):
        raise MitoolError(f"{path}: --out writes .csv, .tsv or .parquet, got '{extension}'")
    try:
        if extension == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            columns = {name: [r.get(name) for r in records] for name in fields}
            pq.write_table(pa.table(columns), path)
            return
        import csv

        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, delimiter="\t" if extension == ".tsv" else ",")
            writer.writerow(fields)
            for record in records:
                writer.writerow(["" if record.get(f) is None else record.get(f) for f in fields])
    except OSError as exc:
        raise MitoolError(f"{path}: cannot write the table ({exc.strerror})") from None


# --- options ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """What every task needs to know (picklable, shipped with each block of features)."""

    estimator: str
    norm: str | None
    k: int
    resamples: int
    ci: float
    permutations: int
    search: str
    drop_nan: bool
    target: str

    @property
    def compiled(self) -> bool:
        """KSG under a norm the compiled pass takes (on 1-D, tie-free features)."""
        return self.estimator == "ksg" and self.norm in FAST_NORMS and self.search != "torch"


def _check_options(
    estimator: str,
    norm: str | None,
    units: str,
    resamples: int,
    permutations: int,
    ci: float,
    fdr: float | None,
    null: str,
) -> str | None:
    """Fail on a bad option before any data is read; the norm that will run (None for auto)."""
    from mitool.result import UNITS

    if estimator == AUTO:
        if norm is not None:
            raise MitoolError(
                "auto chooses the norm with the estimator; name an estimator to set --norm"
            )
    else:
        from mitool.estimators import get_estimator

        spec = get_estimator(estimator)
        norm = spec.default_norm if norm is None else norm
        if norm not in spec.norms:
            raise MitoolError(
                f"unknown norm '{norm}' for {estimator}; choose one of: {', '.join(spec.norms)}"
            )
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    if resamples < 0 or resamples == 1:
        raise MitoolError(f"resamples must be 0 (no interval) or at least 2, got {resamples}")
    if permutations < 0 or permutations == 1:
        raise MitoolError(f"permutations must be 0 (no test) or at least 2, got {permutations}")
    if not 0 < ci < 1:
        raise MitoolError(f"the confidence level must lie strictly between 0 and 1, got {ci}")
    if fdr is not None and not 0 < fdr < 1:
        raise MitoolError(f"the FDR level must lie strictly between 0 and 1, got {fdr}")
    if fdr is not None and not permutations:
        raise MitoolError(
            "an FDR level needs p-values: add permutations (e.g. -P 20 with the pooled null)"
        )
    if null not in NULLS:
        raise MitoolError(f"unknown null '{null}'; choose one of: {', '.join(NULLS)}")
    if null == "pooled" and estimator == AUTO:
        raise MitoolError(
            "the pooled null needs one estimator for every feature; auto may choose a different "
            "one per feature: name an estimator (e.g. -e ksg --norm rank)"
        )
    return norm


def _null_kind(
    null: str, plan: _Plan, units: Sequence[_Unit], permutations: int, x: np.ndarray
) -> str | None:
    """``feature`` or ``pooled`` (module docstring); None without permutations. ``auto`` pools
    where every feature has the same null distribution: 1-D tie-free columns, and an estimate
    that reads each column through its ranks alone (the rank norm, or GCMI)."""
    if not permutations:
        return None
    if null != "auto":
        return null
    if plan.estimator in (AUTO, "mixed-ksg", "plugin"):
        return "feature"
    if not (plan.estimator == "gcmi" or plan.norm == "rank"):
        return "feature"
    if any(len(u.columns) != 1 for u in units):
        return "feature"
    columns = np.sort(x[:, sorted({u.columns[0] for u in units})], axis=0)
    return "feature" if np.any(columns[1:] == columns[:-1]) else "pooled"


def _seed_of(seed: int, *key: int) -> int:
    """An integer seed in [0, 2^63) from the child ``SeedSequence(seed, spawn_key=key)``, which
    is ``SeedSequence(seed).spawn(key[0] + 1)[key[0]]`` for a one-element key."""
    state = np.random.SeedSequence(seed, spawn_key=key).generate_state(2, np.uint32)
    return (int(state[0]) << 31) | (int(state[1]) >> 1)


# --- the data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    """One screened feature: its name and its columns (indices into the data)."""

    name: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class _Data:
    """The features' columns (n, p), the target (n,), their names, and the units screened."""

    x: np.ndarray
    columns: tuple[str, ...]
    t: np.ndarray
    target: str
    units: tuple[_Unit, ...]
    source: str


def _parse_groups(groups: Mapping[str, Sequence[str]] | str | None) -> dict[str, list[str]]:
    """``{"g1": ["a", "b"]}``, or the command line's ``"g1=a,b;g2=c"``."""
    if groups is None:
        return {}
    if isinstance(groups, str):
        parsed: dict[str, list[str]] = {}
        for part in groups.split(";"):
            if not part.strip():
                continue
            name, eq, cols = part.partition("=")
            columns = [c.strip() for c in cols.split(",") if c.strip()]
            if not eq or not name.strip() or not columns:
                raise MitoolError(f"--groups takes 'name=col,col;name=col', got '{part.strip()}'")
            if name.strip() in parsed:
                raise MitoolError(f"--groups names '{name.strip()}' twice")
            parsed[name.strip()] = columns
        if not parsed:
            raise MitoolError("--groups is empty")
        return parsed
    out = {str(name): [str(c) for c in cols] for name, cols in groups.items()}
    for name, cols in out.items():
        if not cols:
            raise MitoolError(f"group '{name}' has no columns")
    return out


def _text_codes(values: np.ndarray, name: str, estimator: str) -> np.ndarray:
    """Class codes 0, 1, ... (sorted texts) of a text target, for the estimators that read
    labels; one-line errors otherwise."""
    if estimator not in TEXT_LABEL_ESTIMATORS:
        raise InputError(
            name,
            f"holds text; only {', '.join(TEXT_LABEL_ESTIMATORS)} read text as class labels",
        )
    _, codes = np.unique(values.astype(str), return_inverse=True)
    return codes.astype(np.float64)


def _check_labels(t: np.ndarray, name: str) -> None:
    """A text target must hold few enough classes to read as labels (as ``mitool estimate``)."""
    from mitool.diagnose import ROWS_PER_SYMBOL, few_symbols

    finite = t[np.isfinite(t)]
    symbols = len(np.unique(finite))
    if not few_symbols(symbols, len(t)):
        raise InputError(
            name,
            f"holds text with {symbols} distinct values in {len(t)} rows, too many to read as "
            f"class labels (at most one per {ROWS_PER_SYMBOL} rows)",
        )


def _numeric(values: Any, name: str) -> np.ndarray:
    from mitool.validate import as_samples

    return as_samples(values, name)


def _prepare(
    table: Any,
    target: Any,
    features: Sequence[str] | None,
    groups: Mapping[str, Sequence[str]] | str | None,
    estimator: str,
    fmt: str | None = None,
    sep: str | None = None,
) -> _Data:
    """Columns, target and units from a file, a :class:`mitool.io.Table`, a mapping of columns
    (or a data frame), or a 2-D array."""
    import os

    from mitool.io import Table

    grouped = _parse_groups(groups)
    features = None if features is None else [str(f) for f in features]
    wanted = None
    if grouped or features is not None:
        wanted = list(
            dict.fromkeys([c for cols in grouped.values() for c in cols] + (features or []))
        )
    if isinstance(table, (str, os.PathLike)):
        return _from_file(os.fspath(table), target, features, grouped, wanted, estimator, fmt, sep)
    source = "data"
    text_target = False
    if isinstance(table, Table):
        columns = {name: table.data[:, j] for j, name in enumerate(table.columns)}
        text = set(table.text_columns)
        source = table.source
    elif isinstance(table, Mapping) or hasattr(table, "columns"):
        items = (
            table.items() if isinstance(table, Mapping) else ((c, table[c]) for c in table.columns)
        )
        columns, text = {}, set()
        for name, values in items:
            arr = np.asarray(values)
            if arr.ndim != 1:
                raise InputError(str(name), f"must be one column, got shape {arr.shape}")
            if arr.dtype.kind in "OUS":
                text.add(str(name))
            columns[str(name)] = arr
    else:
        arr = np.asarray(table)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.dtype.kind in "OUS":
            raise InputError("X", "must be a numeric 2-D array (rows are samples) or a table")
        columns = {str(j): arr[:, j] for j in range(arr.shape[1])}
        text = set()
    named = isinstance(target, (str, int, np.integer)) and not isinstance(target, bool)
    if named:
        target_name = str(target)
        if target_name not in columns:
            raise InputError(
                source,
                f"no target column '{target_name}'; available: {', '.join(list(columns)[:20])}",
            )
        t_raw = np.asarray(columns[target_name])
        text_target = target_name in text
        remaining = [c for c in columns if c != target_name and c not in text]
    else:
        target_name = "y"
        t_raw = np.asarray(target)
        if t_raw.ndim == 2 and t_raw.shape[1] == 1:
            t_raw = t_raw[:, 0]
        if t_raw.ndim != 1:
            raise InputError("y", f"the target must be one column, got shape {t_raw.shape}")
        text_target = t_raw.dtype.kind in "OUS"
        remaining = [c for c in columns if c not in text]
    if text_target:
        t = _text_codes(t_raw, target_name, estimator)
        _check_labels(t, target_name)
    else:
        t = _numeric(t_raw, target_name)[:, 0]
    names = wanted if wanted is not None else remaining
    unknown = [c for c in names if c not in columns]
    if unknown:
        raise InputError(source, f"no column(s) {', '.join(map(repr, unknown[:10]))}")
    if named and target_name in names:
        raise InputError(source, f"the target '{target_name}' cannot also be a feature")
    bad = [c for c in names if c in text]
    if bad:
        raise InputError(source, f"column(s) {', '.join(map(repr, bad[:10]))} hold text")
    if not names:
        raise InputError(source, "has no feature columns besides the target")
    x = np.empty((len(t), len(names)))
    for j, name in enumerate(names):
        values = np.asarray(columns[name])
        if len(values) != len(t):
            raise InputError(
                f"{name}, {target_name}",
                f"row counts differ ({len(values)} vs {len(t)}); rows are samples",
            )
        x[:, j] = _numeric(values, name)[:, 0]
    return _Data(x, tuple(names), t, target_name, _units(names, features, grouped), source)


def _from_file(
    path: str,
    target: Any,
    features: list[str] | None,
    grouped: dict[str, list[str]],
    wanted: list[str] | None,
    estimator: str,
    fmt: str | None,
    sep: str | None,
) -> _Data:
    from mitool.io import load_pair

    if not isinstance(target, str):
        raise MitoolError("with a file, name the target column: target='y'")
    try:
        tx, tt = load_pair(
            path,
            None,
            x_cols=wanted,
            t_cols=[target],
            fmt=fmt,
            text_labels=estimator in TEXT_LABEL_ESTIMATORS,
            sep=sep,
        )
    except InputError as exc:
        problem = exc.problem.replace("--x-cols", "--features").replace("--t-cols", "--target")
        raise InputError(exc.source, problem) from None
    if len(tt.columns) != 1:
        raise InputError(tt.source, f"the target must be one column, got {len(tt.columns)}")
    if tt.text_columns:
        _check_labels(tt.data[:, 0], f"{tt.source}[{target}]")
    if tx.text_columns:
        raise InputError(tx.source, f"column {tx.text_columns[0]!r} holds text")
    if target in tx.columns:
        raise InputError(tx.source, f"the target '{target}' cannot also be a feature")
    names = list(tx.columns)
    return _Data(
        np.ascontiguousarray(tx.data),
        tuple(names),
        np.ascontiguousarray(tt.data[:, 0]),
        tt.columns[0],
        _units(names, features, grouped),
        tx.source,
    )


def _units(
    names: list[str], features: list[str] | None, grouped: dict[str, list[str]]
) -> tuple[_Unit, ...]:
    """The groups (in their order), then the named features (or, with neither, every column)."""
    index = {name: j for j, name in enumerate(names)}
    units = [_Unit(g, tuple(index[c] for c in cols)) for g, cols in grouped.items()]
    taken = {u.name for u in units}
    singles = features if (features is not None or grouped) else names
    for name in singles or []:
        if name in taken:
            raise MitoolError(f"'{name}' names both a group and a feature")
        units.append(_Unit(name, (index[name],)))
    return tuple(units)


# --- running the estimates ---------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    """One estimate, in nats: the value, its interval, its shuffled values (or, for auto, its
    own p-value), what ran, what was noticed."""

    value: float
    interval: Any = None
    null: np.ndarray | None = None
    p_value: float | None = None
    estimator: str = ""
    norm: str = ""
    notes: tuple[str, ...] = ()
    error: str | None = None
    n: int = 0


def _draws(seed: int, n: int, permutations: int) -> tuple[np.ndarray, list[int]]:
    """The shuffles of ``estimate(..., seed=seed, permutations=P)``
    (:func:`mitool.resample.permutation_test`): from the second child of
    ``SeedSequence(seed)``, one grandchild per shuffle, each drawing the permutation of T's rows
    and then the replicate's seed."""
    null_seed = np.random.SeedSequence(seed).spawn(2)[1]
    rows = np.empty((permutations, n), np.int64)
    seeds = []
    for i, child in enumerate(null_seed.spawn(permutations)):
        rng = np.random.default_rng(child)
        rows[i] = rng.permutation(n)
        seeds.append(int(rng.integers(0, 2**63 - 1, size=1)[0]))
    return rows, seeds


def _shuffled(
    point: Callable[..., float], x: np.ndarray, t: np.ndarray, seed: int, permutations: int
) -> np.ndarray:
    """The values of ``point`` on T shuffled against X, as ``estimate(..., seed=seed)`` draws
    them (:func:`_draws`). Failed replicates are NaN."""
    rows, seeds = _draws(seed, len(x), permutations)
    out = np.empty(permutations)
    for i in range(permutations):
        try:
            out[i] = float(point(x, t[rows[i]], seeds[i]))
        except MitoolError:
            out[i] = math.nan
    return out


def _interval(
    point: Callable[..., float], x: np.ndarray, t: np.ndarray, value: float, seed: int, plan: _Plan
) -> tuple[Any, list[str]]:
    """The interval ``estimate(..., seed=seed)`` gives (subsamples, its small-sample rules)."""
    from mitool.resample import small_sample_policy, subsample_interval, subsample_size

    allowed, widen = small_sample_policy(len(x))
    if not plan.resamples or not allowed:
        return None, ([] if not plan.resamples else ["no interval: too few rows"])
    size = subsample_size(len(x), None, plan.k + 2)
    ci_seed = np.random.SeedSequence(seed).spawn(2)[0]
    interval = subsample_interval(
        point, x, t, value, resamples=plan.resamples, level=plan.ci, size=size, seed=ci_seed,
        jobs=1,
    )  # fmt: skip
    if interval is not None and widen != 1.0:
        interval = interval.widen(value, widen)
    return interval, []


def _estimate_unit(x: np.ndarray, t: np.ndarray, seed: int, name: str, plan: _Plan) -> _Outcome:
    """One feature through :func:`mitool.estimate` (any estimator, ``auto`` included), with the
    shuffles drawn here for a named estimator (so that they can be pooled)."""
    from mitool.api import DEFAULT_SCALES, estimate, point_value
    from mitool.estimators import get_estimator
    from mitool.normalize import GLOBAL_NORMS
    from mitool.validate import check_pair

    own_test = plan.estimator == AUTO
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MitoolWarning)
            result = estimate(
                x, t, estimator=plan.estimator, norm=plan.norm, k=plan.k, seed=seed,
                drop_nan=plan.drop_nan, ci=plan.ci, resamples=plan.resamples,
                permutations=plan.permutations if own_test else 0, jobs=1, search=plan.search,
                names=(name, plan.target),
            )  # fmt: skip
        null = None
        if plan.permutations and not own_test:
            spec = get_estimator(result.estimator)
            grid = DEFAULT_SCALES if spec.sweeps_scale and result.norm in GLOBAL_NORMS else (1.0,)
            xs, ts, _ = check_pair(
                x, t, k=plan.k, names=(name, plan.target), drop_nan=plan.drop_nan
            )
            point = partial(
                point_value, estimator=result.estimator, norm=result.norm, k=plan.k, grid=grid,
                options=spec.make_options(None), backend=plan.search,
            )  # fmt: skip
            null = _shuffled(point, xs, ts, seed, plan.permutations)
    except MitoolError as exc:
        return _Outcome(math.nan, error=str(exc))
    return _Outcome(
        result.value,
        interval=result.interval,
        null=null,
        p_value=result.p_value if own_test else None,
        estimator=result.estimator,
        norm=result.norm,
        notes=tuple(result.warnings),
        n=result.n,
    )


def _compiled_unit(
    x: np.ndarray,
    t: np.ndarray,
    target: _Target,
    seed: int,
    name: str,
    plan: _Plan,
    tables: tuple[_Tables, ...],
) -> _Outcome | None:
    """One 1-D feature on the compiled pass, with its interval and shuffles; None where the
    pass does not apply (the feature then goes through ``estimate``). ``tables`` holds the
    :class:`_Tables` for n rows and for the subsample size."""
    n = len(x)
    shared = _Tables.of(n, plan.k, tables)
    order = np.argsort(x[:, 0])
    try:
        xn = np.ascontiguousarray(_normalized(x[:, 0], order, plan.norm, name, shared))
    except MitoolError:
        return None
    value, status = target.value(xn, plan.k, order, shared)
    if status != OK:
        return None
    value = float(value)
    point = partial(fast_point, k=plan.k, norm=plan.norm, search=plan.search, tables=tables)
    interval, notes = _interval(point, x, t, value, seed, plan)
    null = None
    if plan.permutations and plan.norm in ("none", "rank"):
        # Both norms commute with a shuffle of the rows (the rank norm exactly: average ranks
        # and normal scores), so each shuffle reuses the normalised sides: one compiled call.
        rows, seeds = _draws(seed, n, plan.permutations)
        null = ksg_permuted(
            xn, order, target.values, target.order, target.rank, target.ties, rows, plan.k,
            shared.offset, shared.psi,
        )  # fmt: skip
        for i in np.flatnonzero(np.isnan(null)):  # what the pass left: mitool's estimator
            try:
                null[i] = point(x, t[rows[i]], seeds[i])
            except MitoolError:
                null[i] = math.nan
    elif plan.permutations:
        null = _shuffled(point, x, t, seed, plan.permutations)
    return _Outcome(value, interval, null, None, "ksg", plan.norm, tuple(notes), None, n)


def _shared_target(t: np.ndarray, plan: _Plan, tables: _Tables) -> _Target | None:
    """The normalised target, sorted once for every compiled estimate (None: it cannot be
    normalised; each feature then goes through ``estimate``, which says why)."""
    order = np.argsort(t)
    try:
        return _Target.of(_normalized(t, order, plan.norm, plan.target, tables), order)
    except MitoolError:
        return None


def _run_block(
    data: np.ndarray,
    t: np.ndarray,
    blocks: Sequence[tuple[tuple[int, ...], int, str]],
    plan: _Plan,
    t_column: int | None = None,
) -> list[_Outcome]:
    """The estimates of one task: each entry of ``blocks`` is (column indices into ``data``,
    seed, name). ``data`` is the shared (n, p) array; the target is ``t``, or its column
    ``t_column`` when ``t`` is None (pairs and redundancy terms)."""
    if t is None:
        t = data[:, t_column]
    t2 = t[:, None]
    target = None
    tables: tuple[_Tables, ...] = ()
    out = []
    for columns, seed, name in blocks:
        x = data[:, list(columns)]
        if len(columns) == 1 and np.all(x == x[:1]):
            out.append(_constant(plan, len(x)))
            continue
        outcome = None
        if plan.compiled and len(columns) == 1 and np.all(np.isfinite(x)):
            if not tables:
                from mitool.resample import subsample_size

                n = len(t)
                tables = (_Tables.of(n, plan.k),)
                if plan.resamples and n // 2 >= plan.k + 2:
                    tables += (_Tables.of(subsample_size(n, None, plan.k + 2), plan.k),)
                target = _shared_target(t, plan, tables[0]) if np.all(np.isfinite(t)) else None
            if target is not None:
                outcome = _compiled_unit(x, t2, target, seed, name, plan, tables)
        out.append(outcome if outcome is not None else _estimate_unit(x, t2, seed, name, plan))
    return out


def _constant(plan: _Plan, n: int) -> _Outcome:
    """A constant feature shares no information with anything: 0, an interval [0, 0], p = 1."""
    from mitool.resample import Interval

    interval = None
    if plan.resamples:
        interval = Interval(0.0, 0.0, plan.ci, "subsample", plan.resamples, None, 0.0, 0.0)
    null = np.zeros(0) if plan.permutations else None
    return _Outcome(
        0.0,
        interval,
        null,
        1.0 if plan.permutations else None,
        plan.estimator if plan.estimator != AUTO else "ksg",
        plan.norm or "none",
        ("constant: it shares no information with the target",),
        None,
        n,
    )


def _compiled_block(
    data_t: np.ndarray, rows: np.ndarray, target: _Target, k: int, tables: _Tables
) -> tuple[np.ndarray, np.ndarray]:
    """The compiled pass over the feature-major rows ``rows`` (runs on a thread: numpy's sort
    and the compiled pass both release the GIL)."""
    orders = np.empty((len(rows), data_t.shape[1]), np.int64)
    for i, r in enumerate(rows):
        orders[i] = np.argsort(data_t[r])
    return ksg_columns(
        data_t, orders, rows, target.values, target.order, target.rank, target.ties, k,
        tables.offset, tables.psi,
    )  # fmt: skip


def _chunks(count: int, workers: int, most: int) -> list[range]:
    """Ranges of ``count`` items: about four per worker, at most ``most`` items each."""
    size = max(1, min(most, math.ceil(count / max(1, 4 * workers))))
    return [range(i, min(i + size, count)) for i in range(0, count, size)]


def _estimate_all(
    data: np.ndarray,
    t: np.ndarray | None,
    entries: Sequence[tuple[tuple[int, ...], int, str]],
    plan: _Plan,
    *,
    jobs: int | None,
    progress: bool,
    backend: str | None,
    description: str,
    t_column: int | None = None,
) -> list[_Outcome]:
    """Every entry's outcome, in order. Without intervals or shuffles, 1-D KSG features go
    through the compiled pass on threads; the rest (and everything else) go to
    :func:`mitool.parallel.parallel_map` in blocks."""
    from mitool.parallel import parallel_map, resolve_jobs

    workers = resolve_jobs(jobs)
    outcomes: list[_Outcome | None] = [None] * len(entries)
    rest = list(range(len(entries)))
    t_col = data[:, t_column] if t is None else t
    plain = not plan.resamples and not plan.permutations
    if plan.compiled and plain and backend is None and np.all(np.isfinite(t_col)):
        rest = _threaded(data, t_col, entries, plan, outcomes, workers, progress, description)
    if rest:
        blocks = [[entries[rest[i]] for i in r] for r in _chunks(len(rest), workers, 64)]
        tasks = [(data, t, block, plan, t_column) for block in blocks]
        results = parallel_map(
            _run_block, tasks, jobs=jobs, progress=progress, description=description,
            steps=[len(b) for b in blocks], backend=backend,
        )  # fmt: skip
        for i, outcome in zip(rest, (o for block in results for o in block), strict=True):
            outcomes[i] = outcome
    return outcomes  # type: ignore[return-value]


def _threaded(
    data: np.ndarray,
    t: np.ndarray,
    entries: Sequence[tuple[tuple[int, ...], int, str]],
    plan: _Plan,
    outcomes: list[_Outcome | None],
    workers: int,
    progress: bool,
    description: str,
) -> list[int]:
    """The compiled pass for the 1-D entries, ``workers`` threads; the indices it left."""
    from joblib import Parallel, delayed

    from mitool.progress import progress_bar

    n = len(t)
    tables = _Tables.of(n, plan.k)
    target = _shared_target(t, plan, tables)
    single = [i for i, (cols, _, _) in enumerate(entries) if len(cols) == 1]
    columns = [entries[i][0][0] for i in single]
    if target is None or not columns:
        return list(range(len(entries)))
    # Feature-major columns, normalised one by one as estimate normalises them.
    stacked = np.empty((len(columns), n))
    for j, c in enumerate(columns):
        column = data[:, c]
        try:
            stacked[j] = _normalized(column, None, plan.norm, entries[single[j]][2], tables)
        except MitoolError:
            stacked[j] = np.nan
    finite = np.all(np.isfinite(stacked), axis=1)
    ranges = _chunks(len(columns), workers, 256)
    values = np.full(len(columns), np.nan)
    status = np.full(len(columns), COSTLY)
    with progress_bar(len(columns), description, progress) as advance:
        kept = [np.array([j for j in r if finite[j]], dtype=np.int64) for r in ranges]
        calls = [delayed(_compiled_block)(stacked, rows, target, plan.k, tables) for rows in kept]
        parts = Parallel(n_jobs=workers, backend="threading", return_as="generator")(calls)
        for r, rows, (v, s) in zip(ranges, kept, parts, strict=True):
            values[rows], status[rows] = v, s
            advance(len(r))
    left = []
    for j, i in enumerate(single):
        if status[j] == OK:
            outcomes[i] = _Outcome(float(values[j]), estimator="ksg", norm=plan.norm, n=n)
        elif status[j] == CONSTANT and plan.norm == "none":
            outcomes[i] = _constant(plan, n)
        else:
            left.append(i)
    return sorted(left + [i for i in range(len(entries)) if len(entries[i][0]) != 1])


# --- p-values, q-values, ranking -----------------------------------------------------------


def _p_values(outcomes: Sequence[_Outcome], kind: str | None) -> np.ndarray | None:
    """Each outcome's p-value: from its own shuffles, or from all of them pooled."""
    if kind is None:
        return None
    values = np.array([o.value for o in outcomes])
    if kind == "pooled":
        pooled = np.concatenate([o.null for o in outcomes if o.null is not None] or [np.zeros(0)])
        pooled = np.sort(pooled[np.isfinite(pooled)])
        above = len(pooled) - np.searchsorted(pooled, values, side="left")
        p = (1.0 + above) / (1.0 + len(pooled))
    else:
        p = np.full(len(outcomes), np.nan)
        for i, o in enumerate(outcomes):
            if o.p_value is not None:
                p[i] = o.p_value
            elif o.null is not None:
                null = o.null[np.isfinite(o.null)]
                if len(null) >= 2:
                    p[i] = (1 + int(np.sum(null >= o.value))) / (1 + len(null))
    for i, o in enumerate(outcomes):
        if o.p_value is not None and o.null is not None and not len(o.null):
            p[i] = o.p_value  # a constant feature: p = 1
        if not math.isfinite(o.value):
            p[i] = math.nan
    return p


def q_values(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg q-values (:func:`scipy.stats.false_discovery_control`) of the finite
    p-values; NaN where p is NaN (a feature without an estimate is not a test)."""
    from scipy.stats import false_discovery_control

    q = np.full(len(p), np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = false_discovery_control(p[tested], method="bh")
    return q


def _ranking(values: np.ndarray) -> np.ndarray:
    """Indices by decreasing value (NaN last, input order among equals)."""
    key = np.where(np.isfinite(values), -values, np.inf)
    return np.argsort(key, kind="stable")


# --- the API ------------------------------------------------------------------------------


def screen(
    table_or_arrays: Any,
    target: Any,
    *,
    features: Sequence[str] | None = None,
    groups: Mapping[str, Sequence[str]] | str | None = None,
    estimator: str = AUTO,
    norm: str | None = None,
    k: int = 3,
    resamples: int = 0,
    permutations: int = 0,
    null: str = "auto",
    ci: float = 0.95,
    fdr: float | None = None,
    top: int | None = None,
    select: str | None = None,
    seed: int = 0,
    jobs: int | None = None,
    units: str = "nats",
    search: str = "auto",
    drop_nan: bool = False,
    progress: bool = False,
    backend: str | None = None,
    fmt: str | None = None,
    sep: str | None = None,
    address: str | None = None,
) -> ScreenResult:
    """Rank features by their mutual information with a target.

    Parameters
    ----------
    table_or_arrays : a file that :func:`mitool.io.load_table` reads (parquet, csv, h5, npz,
        npy), a :class:`mitool.io.Table`, a mapping of column name to 1-D array (or a data
        frame), or a 2-D array whose columns are named ``"0"``, ``"1"``, ...
    target : the target's column name, or a 1-D array (named ``y``). Text columns are class
        labels for ``auto``, ``ross`` and ``plugin``, as on ``mitool estimate``.
    features : the columns to screen (default: every numeric column but the target).
    groups : named groups of columns screened as one multi-dimensional feature each,
        ``{"g1": ["a", "b"]}`` or ``"g1=a,b;g2=c"``. With groups, only the groups and the
        ``features`` named are screened.
    estimator, norm, k, search : as for :func:`mitool.estimate`; ``auto`` diagnoses each
        feature and chooses for it.
    resamples : subsample replicates behind each interval (0: no interval), as ``estimate``.
    permutations : shuffles of the target per feature (0: no p-values).
    null : ``feature`` (each feature's own shuffles), ``pooled`` (all shuffles of all features
        as one null; exact under the rank norm for 1-D features, see the module docstring) or
        ``auto`` (pooled where exact, else feature).
    ci : level of the intervals.
    fdr : mark as ``selected`` the features whose BH q-value is at most this (needs
        permutations).
    top : keep the ``top`` best rows (with ``select``: the number of features selected).
    select : ``"mrmr"``: greedy minimum-redundancy maximum-relevance selection (Peng et al.
        2005), each step the feature maximising I(f; y) − mean over selected s of I(f; s),
        with the same estimator for every term; ``"jmi"``: greedy joint mutual information
        (Yang & Moody 1999; J_jmi of Brown et al. 2012, JMLR 13), first the most relevant
        feature, then each step the feature maximising Σ over selected s of I((f, s); y), the MI
        of the pair as one 2-column feature, with the same estimator; ``top`` features (default
        10).
    seed : the root of every feature's seed (module docstring).
    jobs : workers (None: all cores); no result depends on it.
    units : ``nats`` or ``bits``.
    drop_nan : drop rows holding NaN or inf: where the target does, for every feature;
        where a feature does, for that feature alone.
    progress : a progress bar on stderr.
    backend, address : where the tasks run (:mod:`mitool.engines`): None or ``processes``
        (threads for the compiled pass, local processes for the rest), ``dask`` or ``ray``
        (the workers of the cluster at ``address``; without one, the client or connection
        already open in this process). Each task carries column indices; the table goes to the
        workers once. No result depends on it.
    fmt, sep : for a file: its format and CSV separator (:func:`mitool.io.load_table`).

    Returns
    -------
    ScreenResult
    """
    started = time.perf_counter()
    norm = _check_options(estimator, norm, units, resamples, permutations, ci, fdr, null)
    k = whole_number(k, "k", 1)
    seed = whole_number(seed, "seed", 0, MAX_SEED)
    resamples, permutations = (
        whole_number(resamples, "resamples", 0),
        whole_number(permutations, "permutations", 0),
    )
    if top is not None:
        top = whole_number(top, "top", 1)
    if select is not None and select not in SELECTIONS:
        raise MitoolError(f"unknown selection '{select}'; choose one of: {', '.join(SELECTIONS)}")
    from mitool.parallel import resolve_jobs

    resolve_jobs(jobs)
    check_engine(backend, address)  # a bad name fails before the table is read
    data = _prepare(table_or_arrays, target, features, groups, estimator, fmt, sep)
    x, t, notes = _clean(data, k, drop_nan)
    plan = _Plan(estimator, norm, k, resamples, ci, permutations, search, drop_nan, data.target)
    kind = _null_kind(null, plan, data.units, permutations, x)
    if kind == "pooled" and drop_nan and not np.all(np.isfinite(x)):
        notes.append(
            "the pooled null mixes features with different rows (NaN dropped per feature): "
            "approximate"
        )
    entries = [(u.columns, _seed_of(seed, j), u.name) for j, u in enumerate(data.units)]
    with engine(backend, address) as where:
        outcomes = _estimate_all(
            x, t, entries, plan, jobs=jobs, progress=progress, backend=where, description="features"
        )
    values = np.array([o.value for o in outcomes])
    p = _p_values(outcomes, kind)
    q = None if p is None else q_values(p)
    order = list(_ranking(values))
    mrmr: dict[int, tuple[float, float]] = {}
    jmi: dict[int, float | None] = {}
    if select == "mrmr":
        with engine(backend, address) as where:
            order, mrmr = _mrmr(
                x, data.units, values, plan, top or min(10, len(values)), seed,
                jobs=jobs, progress=progress, backend=where,
            )  # fmt: skip
    elif select == "jmi":
        with engine(backend, address) as where:
            order, jmi = _jmi(
                x, t, data.units, values, plan, top or min(10, len(values)), seed,
                jobs=jobs, progress=progress, backend=where,
            )  # fmt: skip
    elif top is not None:
        order = order[:top]
    factor = 1.0 / math.log(2) if units == "bits" else 1.0
    rows = []
    for rank, i in enumerate(order, start=1):
        o, unit = outcomes[i], data.units[i]
        relevance = redundancy = score = None
        if i in mrmr:
            relevance, redundancy = values[i] * factor, mrmr[i][1] * factor
            score = relevance - redundancy
        elif i in jmi:
            relevance = values[i] * factor
            score = None if jmi[i] is None else jmi[i] * factor
        rows.append(
            ScreenRow(
                feature=unit.name,
                columns=tuple(data.columns[c] for c in unit.columns),
                value=o.value * factor,
                rank=rank,
                ci_low=None if o.interval is None else o.interval.low * factor,
                ci_high=None if o.interval is None else o.interval.high * factor,
                p_value=None if p is None else _finite_or_none(p[i]),
                q_value=None if q is None else _finite_or_none(q[i]),
                selected=None if fdr is None or q is None else bool(q[i] <= fdr),
                estimator=o.estimator,
                norm=o.norm,
                seed=entries[i][1],
                notes=o.notes,
                error=o.error,
                relevance=relevance,
                redundancy=redundancy,
                score=score,
            )
        )
    errors = [o.error for o in outcomes if o.error]
    if errors:
        notes.append(f"{len(errors)} feature(s) could not be estimated (first: {errors[0]})")
    return ScreenResult(
        rows=tuple(rows),
        target=data.target,
        n=len(t),
        units=units,
        estimator=estimator,
        norm=norm,
        k=k,
        resamples=resamples,
        permutations=permutations,
        null=kind,
        fdr=fdr,
        select=select,
        seed=seed,
        seconds=time.perf_counter() - started,
        features=tuple(u.name for u in data.units),
        values=tuple(float(v) * factor for v in values),
        p_values=None if p is None else tuple(float(v) for v in p),
        notes=tuple(notes),
        ci=ci,
    )


def _clean(data: _Data, k: int, drop_nan: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The rows to use: NaN or inf is an error unless ``drop_nan`` (rows where the target has
    them are dropped for all; a feature's own are dropped by its estimate)."""
    x, t, notes = data.x, data.t, []
    bad_t = ~np.isfinite(t)
    used = sorted({c for u in data.units for c in u.columns})
    bad_x = ~np.all(np.isfinite(x[:, used]), axis=0)
    if not drop_nan and (bad_t.any() or bad_x.any()):
        where = data.target if bad_t.any() else data.columns[used[int(np.argmax(bad_x))]]
        raise InputError(
            where,
            "contains NaN or inf; pass --drop-nan (drop_nan=True in Python) to drop those rows",
        )
    if bad_t.any():
        x, t = x[~bad_t], t[~bad_t]
        notes.append(f"dropped {int(bad_t.sum())} row(s) where the target is NaN or inf")
    if len(t) <= k:
        raise InputError(data.target, f"has {len(t)} usable rows; k = {k} needs at least {k + 1}")
    if np.all(t == t[:1]):
        raise InputError(data.target, "is constant: it shares no information with anything")
    return np.ascontiguousarray(x), np.ascontiguousarray(t), notes


def _mrmr(
    x: np.ndarray,
    units: Sequence[_Unit],
    relevance: np.ndarray,
    plan: _Plan,
    count: int,
    seed: int,
    *,
    jobs: int | None,
    progress: bool,
    backend: str | None,
) -> tuple[list[int], dict[int, tuple[float, float]]]:
    """Greedy mRMR: first the most relevant feature, then each step the candidate maximising
    relevance − mean redundancy with those already selected (ties: input order). The
    redundancy terms I(f; s) are estimated (no interval, no shuffles) with the plan's
    estimator, s as the target; a group s is estimated against each candidate as a whole."""
    quiet = _Plan(plan.estimator, plan.norm, plan.k, 0, plan.ci, 0, plan.search, plan.drop_nan, "s")
    candidates = [i for i in range(len(units)) if math.isfinite(relevance[i])]
    if not candidates:
        return [], {}
    first = max(candidates, key=lambda i: (relevance[i], -i))
    chosen, scores = [first], {first: (relevance[first], 0.0)}
    total = np.zeros(len(units))
    m = len(units)
    while len(chosen) < min(count, len(candidates)):
        s = chosen[-1]
        rest = [i for i in candidates if i not in scores]
        redundancy = _redundancy(x, units, s, rest, quiet, seed, m, jobs, progress, backend)
        for i, r in zip(rest, redundancy, strict=True):
            total[i] += r if math.isfinite(r) else 0.0
        mean = {i: total[i] / len(chosen) for i in rest}
        best = max(rest, key=lambda i: (relevance[i] - mean[i], -i))
        chosen.append(best)
        scores[best] = (relevance[best], mean[best])
    return chosen, scores


def _jmi(
    x: np.ndarray,
    t: np.ndarray,
    units: Sequence[_Unit],
    relevance: np.ndarray,
    plan: _Plan,
    count: int,
    seed: int,
    *,
    jobs: int | None,
    progress: bool,
    backend: str | None,
) -> tuple[list[int], dict[int, float | None]]:
    """Greedy JMI (Yang & Moody 1999), in the form of Brown, Pocock, Zhao & Luján (2012, JMLR
    13, the criterion J_jmi): first the most relevant feature (max I(f; y)), then each step the
    candidate f maximising J_jmi(f) = Σ_{s ∈ S} I((f, s); y) over the features S already
    selected (ties: input order). Each joint term is the MI of the pair (f, s) as one feature
    of their columns together (a 2-column X for two single columns) with the target, estimated
    like a screened feature (the plan's estimator and norm, ``auto`` choosing per pair; no
    interval, no shuffles), seeded by ``(m + 1, f, s)``; a term that cannot be estimated adds 0.

    Returns the selection order and, for each selected feature, J_jmi in nats (None for the
    first)."""
    quiet = _Plan(
        plan.estimator, plan.norm, plan.k, 0, plan.ci, 0, plan.search, plan.drop_nan, plan.target
    )
    candidates = [i for i in range(len(units)) if math.isfinite(relevance[i])]
    if not candidates:
        return [], {}
    first = max(candidates, key=lambda i: (relevance[i], -i))
    chosen: list[int] = [first]
    scores: dict[int, float | None] = {first: None}
    total = np.zeros(len(units))
    m = len(units)
    while len(chosen) < min(count, len(candidates)):
        s = chosen[-1]
        rest = [i for i in candidates if i not in scores]
        entries = [
            (
                tuple(dict.fromkeys(units[f].columns + units[s].columns)),
                _seed_of(seed, m + 1, f, s),
                f"({units[f].name}, {units[s].name})",
            )
            for f in rest
        ]
        outcomes = _estimate_all(
            x, t, entries, quiet, jobs=jobs, progress=progress, backend=backend,
            description="joint terms",
        )  # fmt: skip
        for i, o in zip(rest, outcomes, strict=True):
            total[i] += o.value if math.isfinite(o.value) else 0.0
        best = max(rest, key=lambda i: (total[i], -i))
        chosen.append(best)
        scores[best] = float(total[best])
    return chosen, scores


def _redundancy(
    x: np.ndarray,
    units: Sequence[_Unit],
    s: int,
    rest: list[int],
    plan: _Plan,
    seed: int,
    m: int,
    jobs: int | None,
    progress: bool,
    backend: str | None,
) -> list[float]:
    """I(f; s) for f in ``rest``, in nats."""
    target_cols = units[s].columns
    if len(target_cols) == 1:
        entries = [(units[f].columns, _seed_of(seed, m, f, s), units[f].name) for f in rest]
        outcomes = _estimate_all(
            x, None, entries, plan, jobs=jobs, progress=progress, backend=backend,
            description="redundancy", t_column=target_cols[0],
        )  # fmt: skip
        return [o.value for o in outcomes]
    # A group as the "target": estimate it against each candidate as X (MI is symmetric).
    out = []
    for f in rest:
        entries = [(target_cols, _seed_of(seed, m, f, s), units[s].name)]
        cols = units[f].columns
        if len(cols) == 1:
            outcome = _estimate_all(
                x, None, entries, plan, jobs=1, progress=False, backend=None,
                description="redundancy", t_column=cols[0],
            )[0]  # fmt: skip
            out.append(outcome.value)
        else:
            out.append(_pair_of_groups(x, target_cols, cols, _seed_of(seed, m, f, s), plan))
    return out


def _pair_of_groups(
    x: np.ndarray, a: Sequence[int], b: Sequence[int], seed: int, plan: _Plan
) -> float:
    outcome = _estimate_unit(x[:, list(a)], x[:, list(b)], seed, "group", plan)
    return outcome.value


def pairwise(
    table: Any,
    *,
    columns: Sequence[str] | None = None,
    estimator: str = AUTO,
    norm: str | None = None,
    k: int = 3,
    permutations: int = 0,
    null: str = "auto",
    fdr: float | None = None,
    seed: int = 0,
    jobs: int | None = None,
    units: str = "nats",
    search: str = "auto",
    drop_nan: bool = False,
    progress: bool = False,
    backend: str | None = None,
    fmt: str | None = None,
    sep: str | None = None,
    address: str | None = None,
) -> PairwiseResult:
    """The mutual information of every pair of columns: a symmetric matrix.

    Parameters
    ----------
    table : as for :func:`screen` (a file, a :class:`mitool.io.Table`, a mapping of columns,
        a data frame or a 2-D array).
    columns : the columns (default: every numeric column).
    estimator, norm, k, search, units, drop_nan, progress, backend, address, fmt, sep : as
        for :func:`screen`.
    permutations, null, fdr : shuffles per pair, how they make p-values (``pooled`` is exact
        under the rank norm, as for :func:`screen`), and the BH level that marks pairs as
        selected; q-values are over the n(n − 1)/2 pairs.
    seed : pair (i, j) runs with the seed of ``SeedSequence(seed, spawn_key=(i, j))``.

    Returns
    -------
    PairwiseResult
    """
    started = time.perf_counter()
    norm = _check_options(estimator, norm, units, 0, permutations, 0.95, fdr, null)
    k = whole_number(k, "k", 1)
    seed = whole_number(seed, "seed", 0, MAX_SEED)
    permutations = whole_number(permutations, "permutations", 0)
    from mitool.parallel import resolve_jobs

    resolve_jobs(jobs)
    check_engine(backend, address)  # a bad name fails before the table is read
    x, names, source = _pairwise_columns(table, columns, fmt, sep)
    if len(names) < 2:
        raise InputError(source, "pairwise needs at least two columns")
    bad = ~np.all(np.isfinite(x), axis=0)
    if bad.any() and not drop_nan:
        raise InputError(
            names[int(np.argmax(bad))],
            "contains NaN or inf; pass --drop-nan (drop_nan=True in Python) to drop those rows",
        )
    if len(x) <= k:
        raise InputError(source, f"has {len(x)} rows; k = {k} needs at least {k + 1}")
    plan = _Plan(estimator, norm, k, 0, 0.95, permutations, search, drop_nan, "b")
    units_ = [_Unit(name, (j,)) for j, name in enumerate(names)]
    kind = _null_kind(null, plan, units_, permutations, x)
    outcomes: dict[tuple[int, int], _Outcome] = {}
    # One pass per column j as the target, with every i < j as a feature.
    with engine(backend, address) as where:
        for j in range(len(names) - 1, 0, -1):
            entries = [((i,), _seed_of(seed, i, j), names[i]) for i in range(j)]
            plan_j = _Plan(estimator, norm, k, 0, 0.95, permutations, search, drop_nan, names[j])
            results = _estimate_all(
                x, None, entries, plan_j, jobs=jobs, progress=progress, backend=where,
                description=f"pairs with {names[j]}", t_column=j,
            )  # fmt: skip
            for i, outcome in enumerate(results):
                outcomes[(i, j)] = outcome
    pairs = sorted(outcomes)
    flat = [outcomes[pair] for pair in pairs]
    p_flat = _p_values(flat, kind)
    q_flat = None if p_flat is None else q_values(p_flat)
    size = len(names)
    factor = 1.0 / math.log(2) if units == "bits" else 1.0
    values = np.full((size, size), np.nan)
    p = None if p_flat is None else np.full((size, size), np.nan)
    q = None if q_flat is None else np.full((size, size), np.nan)
    chosen = {}
    for idx, (i, j) in enumerate(pairs):
        values[i, j] = values[j, i] = flat[idx].value * factor
        if p is not None:
            p[i, j] = p[j, i] = p_flat[idx]
            q[i, j] = q[j, i] = q_flat[idx]
        chosen[(names[i], names[j])] = f"{flat[idx].estimator}/{flat[idx].norm}"
    notes = []
    errors = [o.error for o in flat if o.error]
    if errors:
        notes.append(f"{len(errors)} pair(s) could not be estimated (first: {errors[0]})")
    return PairwiseResult(
        columns=tuple(names),
        values=values,
        p=p,
        q=q,
        n=len(x),
        units=units,
        estimator=estimator,
        norm=norm,
        k=k,
        permutations=permutations,
        null=kind,
        fdr=fdr,
        seed=seed,
        seconds=time.perf_counter() - started,
        chosen=chosen,
        notes=tuple(notes),
    )


def _pairwise_columns(
    table: Any, columns: Sequence[str] | None, fmt: str | None = None, sep: str | None = None
) -> tuple[np.ndarray, list[str], str]:
    """The (n, p) array of the chosen numeric columns, their names, and the source's name."""
    import os

    from mitool.io import Table, load_table

    wanted = None if columns is None else [str(c) for c in columns]
    if isinstance(table, (str, os.PathLike)):
        spec = os.fspath(table)
        if wanted is None and spec != "-":
            # Every numeric column: the first column (by position), then the numeric rest,
            # text columns left out as on screen (one read of the file).
            from mitool.io import load_pair

            try:
                first, rest = load_pair(
                    spec, None, t_cols=["0"], fmt=fmt, text_labels=True, sep=sep
                )[::-1]
            except InputError:
                pass
            else:
                parts = ([] if first.text_columns else [first]) + [rest]
                data = np.column_stack([part.data for part in parts])
                names = [c for part in parts for c in part.columns]
                return np.ascontiguousarray(data), names, rest.source
        loaded = load_table(spec, columns=wanted, fmt=fmt, sep=sep)
        return np.ascontiguousarray(loaded.data), list(loaded.columns), loaded.source
    if isinstance(table, Table):
        cols = {name: table.data[:, j] for j, name in enumerate(table.columns)}
        source = table.source
    elif isinstance(table, Mapping) or hasattr(table, "columns"):
        items = (
            table.items() if isinstance(table, Mapping) else ((c, table[c]) for c in table.columns)
        )
        cols = {str(name): np.asarray(values) for name, values in items}
        source = "data"
    else:
        arr = np.asarray(table)
        if arr.ndim != 2:
            raise InputError("data", "must be a 2-D array (rows are samples) or a table")
        cols = {str(j): arr[:, j] for j in range(arr.shape[1])}
        source = "data"
    names = (
        wanted if wanted is not None else [c for c, v in cols.items() if v.dtype.kind not in "OUS"]
    )
    unknown = [c for c in names if c not in cols]
    if unknown:
        raise InputError(source, f"no column(s) {', '.join(map(repr, unknown[:10]))}")
    x = np.column_stack([_numeric(cols[c], c)[:, 0] for c in names]) if names else np.empty((0, 0))
    return np.ascontiguousarray(x), names, source
