"""The entropy of one variable: Kozachenko–Leonenko for continuous data, Miller–Madow for discrete.

Continuous data: the Kozachenko–Leonenko estimator with the max-norm, as Kraskov, Stögbauer &
Grassberger write it (Phys. Rev. E 69, 066138, 2004, Eq. 20):

    Ĥ(X) = −ψ(k) + ψ(n) + log c_d + (d/n) Σ_i log ε(i),

where ε(i) is twice the max-norm distance from row i to its k-th neighbour (the diameter of the
smallest cube around x_i holding k other rows) and c_d is the volume of the d-dimensional unit
ball in the convention of that equation, where a ball of diameter ε has volume c_d ε^d: for the
max-norm that ball is a cube of side ε, so c_d = 1 (for the Euclidean norm it would be
π^{d/2} / (Γ(1 + d/2) 2^d)). The value is in nats.

By default (``standardize=True``) Eq. 20 runs on each column divided by its standard deviation
σ_j, and Σ_j log σ_j is added back: exact for the true entropy (H(X) = H(X/σ) + Σ_j log σ_j),
and it keeps the max-norm's cubes from being dominated by the widest column. On a 3-D Gaussian
with column sds 1e-3, 2 and 50 (n = 5000, truth 1.954 nats), Eq. 20 on the raw columns read
7.340 and the standardised form 1.931. With it, rescaling column j by a_j shifts the estimate
by exactly Σ_j log|a_j| (up to rounding), as it shifts the true entropy.

Differential entropy is NOT scale-invariant: Ĥ(aX) = Ĥ(X) + d·log|a| exactly for this
estimator (every ε(i) scales by |a|), as for the true entropy; each column's units shift it by
the log of its scale. Compare entropies only of data in the same units, and read a difference
of entropies, or a mutual information, where a unit-free number is wanted. No norm is offered:
it would change the quantity.

Accuracy (benchmarks/study_cmi.py, n = 5000, k = 3): within 0.05 nats of the closed form on
well-conditioned Gaussians up to d = 5 and on uniforms and exponentials up to d = 2. Bounded
supports read high in more dimensions (uniform +0.09 at d = 3, +0.37 at d = 5: the cubes spill
over the edges), and so does a nearly degenerate covariance (d = 5, smallest correlation
eigenvalue 3e-4: +1.6), where the rows lie close to a subspace.

Discrete data (few distinct rows, as :func:`mitool.diagnose.few_symbols` decides for ``auto``)
get the plug-in entropy with the Miller–Madow correction (m − 1)/(2n), m the occupied symbols
(:func:`mitool.estimators.plugin.entropy_mm`): it depends only on which rows are equal, not on
their values or units.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from mitool.diagnose import few_symbols, first_rows
from mitool.errors import InputError, MitoolError, MitoolWarning
from mitool.estimators.plugin import entropy_mm
from mitool.normalize import centre, constant_columns, power_of_two_scale
from mitool.result import UNITS, convert
from mitool.ties import JITTER, jitter
from mitool.validate import as_samples, rows

#: The two estimators: continuous and discrete.
METHODS = ("kozachenko-leonenko", "miller-madow")

CONTINUOUS_NOTE = (
    "differential entropy is not scale-invariant: rescaling X by a shifts it by d*log|a| "
    "(each column's units shift it by the log of that column's scale), and it can be negative; "
    "compare only entropies of data in the same units"
)
DISCRETE_NOTE = (
    "discrete entropy depends only on which rows are equal: it does not change with the values "
    "or units of the symbols"
)


@dataclass(frozen=True)
class EntropyResult:
    """One entropy estimate.

    Attributes
    ----------
    value : the estimate, in ``units``.
    units : ``nats`` or ``bits``.
    method : ``kozachenko-leonenko`` (differential entropy) or ``miller-madow`` (discrete).
    discrete : whether X was read as discrete.
    n, d : rows and columns.
    k : neighbours (None for discrete data).
    symbols : distinct rows (None for continuous data).
    jittered : whether repeated rows were separated by seeded jitter.
    note : how the value behaves under a change of units (see the module docstring).
    seconds : wall time.
    seed : the seed of the jitter.
    warnings : what the user should know about the estimate.
    """

    value: float
    units: str
    method: str
    discrete: bool
    n: int
    d: int
    k: int | None
    symbols: int | None
    jittered: bool
    note: str
    seconds: float
    seed: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (warnings as a list)."""
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out

    def __repr__(self) -> str:
        return (
            f"EntropyResult({self.value:.4f} {self.units}, {self.method}, n={self.n}, d={self.d})"
        )


def entropy(
    x: object,
    *,
    k: int = 3,
    discrete: bool | None = None,
    units: str = "nats",
    seed: int = 0,
    standardize: bool = True,
    name: str = "X",
) -> EntropyResult:
    """Estimate the entropy of X: differential (Kozachenko–Leonenko) or discrete (Miller–Madow).

    Continuous: Kraskov et al. (2004), Eq. 20, with the max-norm, Ĥ = −ψ(k) + ψ(n) + log c_d +
    (d/n) Σ log ε(i), ε(i) twice the distance to the k-th neighbour and c_d = 1 (the max-norm
    ball of diameter 1 is the unit cube). Differential entropy is not scale-invariant:
    Ĥ(aX) = Ĥ(X) + d·log|a|; the result's ``note`` says so.

    Parameters
    ----------
    x : array-like of shape (n,) or (n, d); rows are samples.
    k : neighbours (continuous data).
    discrete : True for the Miller–Madow plug-in entropy of the distinct rows, False for the
        differential entropy, None to decide from the data (few distinct rows: discrete).
    units : ``nats`` or ``bits``.
    seed : seeds the jitter that separates repeated rows of continuous data (:mod:`mitool.ties`).
    standardize : run Eq. 20 on each column divided by its sd σ_j and add Σ_j log σ_j back
        (module docstring); False runs it on the raw columns.
    name : how to call X in messages.

    Returns
    -------
    EntropyResult, whose warnings are also issued as :class:`MitoolWarning`.

    Raises
    ------
    InputError
        For non-numeric data, NaN or inf, n ≤ k, or continuous data with a constant column or
        with a row repeated more than k times (a k-th neighbour distance of 0: log 0
        diverges).
    """
    started = time.perf_counter()
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError("k", f"must be a whole number of at least 1 (got {k})")
    a = as_samples(x, name)
    bad = int(np.sum(~np.all(np.isfinite(a), axis=1)))
    if bad:
        raise InputError(name, f"contains NaN or inf in {rows(bad)}; drop those rows first")
    n, d = a.shape
    symbols = len(first_rows(a))
    if discrete is None:
        discrete = few_symbols(symbols, n)
    notes: list[str] = []
    jittered = False
    if discrete:
        if not few_symbols(symbols, n):
            notes.append(
                f"{name} has {symbols} distinct rows in {n}: with so few rows per symbol the "
                "plug-in entropy is biased low even after the Miller-Madow correction (it "
                "cannot exceed ln n)"
            )
        _, codes = np.unique(a + 0.0, axis=0, return_inverse=True)
        value = entropy_mm(codes.ravel())
    else:
        if n <= k:
            raise InputError(
                name, f"has {rows(n)}; k = {k} neighbour{'s' * (k != 1)} needs at least {k + 1}"
            )
        const = constant_columns(a)
        if len(const):
            raise InputError(
                name,
                f"column(s) {', '.join(map(str, const))} are constant: a differential entropy "
                "is -inf; drop them, or pass discrete=True (--discrete) for symbols",
            )
        if symbols < n:
            a, jittered = _separate_copies(a, k, seed, name, n - symbols, notes)
        value = standardized_kl(a, k) if standardize else kozachenko_leonenko(a, k)
    for note in notes:
        warnings.warn(note, MitoolWarning, stacklevel=2)
    return EntropyResult(
        value=convert(value, units),
        units=units,
        method=METHODS[1] if discrete else METHODS[0],
        discrete=bool(discrete),
        n=n,
        d=d,
        k=None if discrete else k,
        symbols=symbols if discrete else None,
        jittered=jittered,
        note=DISCRETE_NOTE if discrete else CONTINUOUS_NOTE,
        seconds=time.perf_counter() - started,
        seed=seed,
        warnings=tuple(notes),
    )


def kozachenko_leonenko(a: np.ndarray, k: int) -> float:
    """Kraskov et al. (2004), Eq. 20, max-norm, in nats.

    Parameters
    ----------
    a : float array (n, d) with no row repeated k or more times.
    k : neighbours.

    Returns
    -------
    −ψ(k) + ψ(n) + log c_d + (d/n) Σ log ε(i), with ε(i) = 2 × the max-norm distance to the
    k-th neighbour of row i (row i excluded) and log c_d = 0.
    """
    n, d = a.shape
    radius = cKDTree(a).query(a, k=[k + 1], p=np.inf)[0][:, 0]
    return float(-digamma(k) + digamma(n) + d * np.mean(np.log(2.0 * radius)))


def standardized_kl(a: np.ndarray, k: int) -> float:
    """Eq. 20 on each column divided by its sd σ_j, plus Σ_j log σ_j, in nats.

    Each column is first divided by a power of two near its largest value (exact, so columns in
    units of 1e±300 work as columns near 1 do), and that power's log is added back too.
    """
    scale = power_of_two_scale(a)
    centred = centre(a / scale)
    sd = np.sqrt(np.mean(centred**2, axis=0))
    return kozachenko_leonenko(centred / sd, k) + float(np.sum(np.log(sd) + np.log(scale)))


def _separate_copies(
    a: np.ndarray, k: int, seed: int, name: str, copies: int, notes: list[str]
) -> tuple[np.ndarray, bool]:
    """Refuse rows repeated k or more times (zero k-th distances); jitter rarer copies."""
    _, counts = np.unique(a + 0.0, axis=0, return_counts=True)
    zero = int(np.sum(counts[counts > k]))
    if zero:
        raise InputError(
            name,
            f"{rows(zero)} are repeated more than k = {k} times, so their k-th neighbour "
            "distance is 0 and the differential entropy diverges; the data look discrete "
            "(pass discrete=True, --discrete on the command line) or hold duplicated records "
            "(drop them)",
        )
    notes.append(
        f"{rows(copies)} of {name} repeated an earlier row and were separated by seeded jitter "
        f"of {JITTER:g} x each column's sd; copies shorten the neighbour distances and bias the "
        "differential entropy low: drop duplicated records"
    )
    return jitter(a, np.random.default_rng(seed)), True


__all__ = [
    "CONTINUOUS_NOTE",
    "DISCRETE_NOTE",
    "METHODS",
    "EntropyResult",
    "entropy",
    "kozachenko_leonenko",
    "standardized_kl",
]
