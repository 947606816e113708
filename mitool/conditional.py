"""Conditional mutual information I(X; T | Z) and its local permutation test.

Three routes, chosen from which variables are discrete (few distinct rows, as
:func:`mitool.diagnose.few_symbols` decides):

``ksg-cmi`` (X, T and Z continuous)
    Frenzel & Pompe, Phys. Rev. Lett. 99, 204101 (2007), Eq. 6 as computed by Vejmelka &
    Paluš, Phys. Rev. E 77, 026214 (2008), Eq. 14 (and tigramite's CMIknn):

        Î(X; T | Z) = ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_tz + 1) − ψ(n_z + 1)⟩,

    with the max-norm throughout: ε_i is the distance from row i to its k-th neighbour in the
    joint space (x, t, z), and n_xz, n_tz, n_z count the other rows strictly closer than ε_i
    in the marginal spaces (x, z), (t, z) and z (row i itself excluded).
``stratified`` (Z discrete)
    Conditioning is exact: Î(X; T | Z) = Σ_z p̂(z) Î(X; T | Z = z), each stratum estimated by
    :func:`mitool.estimate` with ``ksg-gcmi`` (X, T continuous: ``auto``'s choice for
    continuous data, the larger of KSG and the Gaussian-copula lower bound, which holds where
    KSG reads low in high dimension: 1.06-1.11 against a truth of 1.09 at 5 columns per side,
    where ``ksg`` read 0.78), ``ross`` (one of them class labels) or ``plugin`` (both
    discrete), on X and T normalised over all rows (``norm="none"`` within a stratum). Strata
    with k rows or fewer cannot be estimated: they are left out, the others reweighted, and a
    warning says how many rows that drops.
``chain-rule`` (Z continuous, X or T discrete)
    With L the discrete side (T if both are) and O the other, the chain rule
    Î(L; O | Z) = Î(L; (O, Z)) − Î(L; Z), each term by ``ross`` with L as the labels. Both
    terms carry Ross's bias; their difference cancels part of it.

Bias correction (``correction="copula"``, the default, on the ``ksg-cmi`` route). KSG-CMI reads
far too low when X, T and Z together span many dimensions and the dependence is strong (at
n = 5000 and 5 columns each, 0.16 nats where the truth is 0.72), because the k-th neighbour of
a 15-dimensional point is far away and the marginal counts are biased by how the density
changes across that distance (Kraskov et al. 2004; Gao, Ver Steeg & Galstyan 2015). The correction
estimates that bias by a parametric bootstrap under the data's own Gaussian copula and
subtracts it:

    Î_c = Î_KSG(data) + I_G(R̂) − mean_r Î_KSG(S_r),

where R̂ is the correlation matrix of the normal scores of every column of (X, T, Z) (the
copula correlation of Ince et al. 2017, invariant to increasing maps of each column),
I_G(R̂) = ½ log(|R̂_xz| |R̂_tz| / (|R̂_z| |R̂_xtz|)) is the exact CMI of a Gaussian with that
correlation (:func:`gaussian_cmi`), and S_1 … S_R (R = :data:`SURROGATES`) are samples of n rows
from N(0, R̂), normalised as the data were and estimated with the same k. For data whose copula
is Gaussian the surrogates have the data's distribution after normalisation, so their bias is
the data's bias (to sampling error), whatever the dimension. For other data it is the bias of
the Gaussian part of the dependence; as n grows both KSG terms tend to their truths and the
correction to 0, so the corrected estimator stays consistent wherever KSG-CMI is (unlike the
Gaussian-copula CMI itself, which is neither consistent nor a bound for non-Gaussian copulas).
The ``rank`` norm (the default) gives data and surrogates the same marginals. The correction
costs R more KSG-CMI runs; the permutation test compares the uncorrected statistic with its
null (the correction is a shift that does not change what the test asks).

Every norm is applied to each continuous variable (X, T and Z alike) before the estimate:
``none``, ``local`` (each column by its sd), ``rank`` (normal scores of each column's ranks;
the default), ``global`` and ``global-linf`` (each variable by one spread; there is no maximum
over a scale c here). ``local`` and ``rank`` make the estimate invariant to each column's
units. Rows of (x, t, z) that repeat are separated by mitool's seeded jitter
(:mod:`mitool.ties`).

Significance. The permutation test of independence that shuffles T over all rows breaks T's
dependence on Z as well as on X, so its null is not conditional independence: on a chain
X → Z → T it rejects far too often. The local permutation test of Runge (2018, "Conditional
independence testing based on a nearest-neighbor estimator of conditional mutual information",
AISTATS, Algorithm 1; tigramite's ``CMIknn.get_shuffle_significance``) draws each row's T from
one of its ``local_neighbors`` nearest neighbours in Z (the row itself among them), visiting the
rows in random order and avoiding neighbours already drawn where it can, so the null keeps
T's dependence on Z. With Z discrete the null permutes T within each stratum (exact). The
p-value is (1 + #{null ≥ value}) / (P + 1). ``null="shuffle"`` (the plain shuffle) is offered
for comparison only.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma

from mitool.diagnose import few_symbols, first_rows
from mitool.errors import InputError, MitoolError, MitoolWarning
from mitool.normalize import normalize
from mitool.parallel import parallel_map, resolve_jobs
from mitool.result import UNITS, convert
from mitool.ties import break_ties
from mitool.validate import as_samples, rows

#: The norms a CMI estimate takes (applied to X, T and Z alike; see the module docstring).
CMI_NORMS = ("none", "local", "rank", "global", "global-linf")
#: The permutation nulls: ``local`` (Runge 2018; within strata for a discrete Z) or ``shuffle``.
NULLS = ("local", "shuffle")
#: The three routes (module docstring).
METHODS = ("ksg-cmi", "stratified", "chain-rule")
#: The bias corrections of the ``ksg-cmi`` route (module docstring): ``copula`` or ``none``.
CORRECTIONS = ("copula", "none")
#: R, the Gaussian-copula surrogates whose mean KSG-CMI estimates the bias. Each adds one
#: KSG-CMI run; two keep the correction's own sd below the estimate's (√(1/2) of it).
SURROGATES = 2


@dataclass(frozen=True)
class ConditionalResult:
    """One estimate of I(X; T | Z).

    Attributes
    ----------
    value : the estimate, in ``units``.
    units : ``nats`` or ``bits``.
    method : ``ksg-cmi``, ``stratified`` or ``chain-rule`` (module docstring).
    n : rows used.
    d_x, d_t, d_z : columns of X, T and Z.
    k : neighbours.
    norm : the norm applied to each continuous variable.
    correction : ``copula`` when the copula bias correction was applied (module docstring),
        ``none`` otherwise (asked for, skipped, or a stratified or chain-rule route).
    statistic : the estimate before the correction (KSG-CMI itself), in ``units``: what the
        permutation test compares with its null. Equal to ``value`` without a correction.
    copula_cmi : I_G(R̂), the exact CMI of the Gaussian with the data's copula correlation, in
        ``units`` (None without the correction).
    surrogate_cmi : the mean KSG-CMI of the Gaussian-copula surrogates, in ``units``; the
        correction added is copula_cmi − surrogate_cmi (None without it).
    discrete : which of X, T, Z were read as discrete.
    strata : the number of values of a discrete Z (None otherwise).
    jittered : whether repeated rows were separated by jitter.
    permutations : permutations behind the test (0: no test).
    null : ``local`` or ``shuffle`` (None without a test).
    local_neighbors : the neighbourhood size in Z of the local permutation.
    p_value, null_mean, null_sd : the test (None without one); null_mean and null_sd in
        ``units``.
    seconds : wall time.
    seed : the seed of every random step (jitter, permutations).
    warnings : what the user should know about the estimate.
    """

    value: float
    units: str
    method: str
    n: int
    d_x: int
    d_t: int
    d_z: int
    k: int
    norm: str
    correction: str
    statistic: float
    copula_cmi: float | None
    surrogate_cmi: float | None
    discrete: dict[str, bool]
    strata: int | None
    jittered: bool
    permutations: int
    null: str | None
    local_neighbors: int
    p_value: float | None
    null_mean: float | None
    null_sd: float | None
    seconds: float
    seed: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (warnings as a list)."""
        out = asdict(self)
        out["warnings"] = list(self.warnings)
        return out

    def __repr__(self) -> str:
        p = "" if self.p_value is None else f", p={self.p_value:.4g}"
        return (
            f"ConditionalResult({self.value:.4f} {self.units}{p}, {self.method}/{self.norm}, "
            f"n={self.n}, d=({self.d_x}, {self.d_t}, {self.d_z}))"
        )


@dataclass(frozen=True)
class _Problem:
    """Validated, normalised, de-tied data and the route that estimates it (internal)."""

    method: str
    x: np.ndarray
    t: np.ndarray
    z: np.ndarray
    k: int
    x_discrete: bool
    t_discrete: bool
    strata: np.ndarray | None  # codes 0..m-1 of a discrete Z
    names: tuple[str, str, str]
    strata_values: np.ndarray | None = None  # the row of Z behind each code


def conditional_mi(
    x: object,
    t: object,
    z: object,
    *,
    k: int = 3,
    norm: str = "rank",
    correction: str = "copula",
    seed: int = 0,
    permutations: int = 0,
    local_neighbors: int = 5,
    null: str = "local",
    units: str = "nats",
    jobs: int | None = None,
    names: tuple[str, str, str] = ("X", "T", "Z"),
) -> ConditionalResult:
    """Estimate the conditional mutual information I(X; T | Z).

    For continuous data this is the KSG-CMI of Frenzel & Pompe (2007, Eq. 6), in the form of
    Vejmelka & Paluš (2008, Eq. 14): Î(X; T | Z) = ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_tz + 1) −
    ψ(n_z + 1)⟩, max-norm, ε_i the k-th neighbour distance in (x, t, z), counts strictly within
    ε_i in each marginal space, row i excluded, plus the copula bias correction
    Î_KSG + I_G(R̂) − mean_r Î_KSG(S_r) of the module docstring. A discrete Z is conditioned
    on exactly (stratified), and a discrete X or T with a continuous Z goes through the chain
    rule; see the module docstring.

    Parameters
    ----------
    x, t, z : array-likes of shape (n,) or (n, d); rows are samples.
    k : neighbours (the joint-space k of the estimator).
    norm : ``none``, ``local``, ``rank`` (default), ``global`` or ``global-linf``, applied to
        each continuous variable, Z included.
    correction : ``copula`` (default: subtract KSG-CMI's bias on Gaussian-copula surrogates,
        :data:`SURROGATES` more runs) or ``none``; it applies to the ``ksg-cmi`` route only.
    seed : seeds the tie jitter, the surrogates and the permutations.
    permutations : P, the permutations behind the test of conditional independence (0: none).
    local_neighbors : for the local permutation, the size of each row's neighbourhood in Z
        (the row itself included) from which its T is drawn (Runge 2018 used 5-10).
    null : ``local`` (Runge 2018; within strata for a discrete Z) or ``shuffle`` (plain
        shuffle of T over all rows: not a test of conditional independence, for comparison).
    units : ``nats`` or ``bits``.
    jobs : worker processes for the permutations (None: all cores); the output does not
        depend on it.
    names : how to call X, T and Z in messages.

    Returns
    -------
    ConditionalResult, whose warnings are also issued as :class:`MitoolWarning`.

    Raises
    ------
    MitoolError
        On a bad option; :class:`InputError` (naming X, T or Z) on bad data.
    """
    started = time.perf_counter()
    _check_options(k, norm, null, units, permutations, local_neighbors)
    if correction not in CORRECTIONS:
        raise MitoolError(
            f"unknown correction '{correction}'; choose one of: {', '.join(CORRECTIONS)}"
        )
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise MitoolError(f"seed must be a whole number of at least 0 (got {seed})")
    resolve_jobs(jobs)
    x, t, z = _check_triple(x, t, z, k, names)
    notes: list[str] = []
    problem, jittered = _prepare(x, t, z, k=k, norm=norm, seed=seed, names=names, notes=notes)
    statistic = _statistic(problem, None, notes)
    copula = None
    if correction == "copula" and problem.method == "ksg-cmi":
        copula = copula_correction(problem, norm, seed, jobs, notes)
    value = statistic if copula is None else statistic + copula[0] - copula[1]

    p_value = null_mean = null_sd = None
    if permutations:
        if local_neighbors >= len(x) and null == "local" and problem.strata is None:
            raise MitoolError(
                f"local_neighbors = {local_neighbors} must be below n = {len(x)} rows"
            )
        null_values = _null_distribution(problem, null, permutations, local_neighbors, seed, jobs)
        p_value = float((1 + np.sum(null_values >= statistic)) / (permutations + 1))
        null_mean, null_sd = float(np.mean(null_values)), float(np.std(null_values, ddof=1))
        if null == "shuffle":
            notes.append(
                "the plain shuffle of T breaks T's dependence on Z as well as on X, so its "
                "p-value does not test conditional independence and is too small when Z drives "
                "T; use the local permutation (null='local', --null local)"
            )
    for note in notes:
        warnings.warn(note, MitoolWarning, stacklevel=2)
    return ConditionalResult(
        value=convert(value, units),
        units=units,
        method=problem.method,
        n=len(x),
        d_x=x.shape[1],
        d_t=t.shape[1],
        d_z=z.shape[1],
        k=k,
        norm=norm,
        correction="none" if copula is None else "copula",
        statistic=convert(statistic, units),
        copula_cmi=None if copula is None else convert(copula[0], units),
        surrogate_cmi=None if copula is None else convert(copula[1], units),
        discrete={
            names[0]: problem.x_discrete,
            names[1]: problem.t_discrete,
            names[2]: problem.strata is not None,
        },
        strata=None if problem.strata is None else int(problem.strata.max()) + 1,
        jittered=jittered,
        permutations=permutations,
        null=null if permutations else None,
        local_neighbors=local_neighbors,
        p_value=p_value,
        null_mean=None if null_mean is None else convert(null_mean, units),
        null_sd=None if null_sd is None else convert(null_sd, units),
        seconds=time.perf_counter() - started,
        seed=seed,
        warnings=tuple(notes),
    )


#: Settings of :func:`mitool.estimate` that conditional MI has no counterpart for, and why:
#: ``estimate(..., given=z)`` and ``mitool estimate --given`` refuse them (one line each)
#: rather than ignore them.
GIVEN_REFUSES = {
    "estimator": "conditional MI takes the estimator auto alone, which runs KSG-CMI (Frenzel & "
    "Pompe 2007) with its copula bias correction, or its stratified or chain-rule form where "
    "X, T or Z is discrete (mitool cmi --correction none gives the plain KSG-CMI)",
    "scales": "the norms of conditional MI take no maximum over a scale c",
    "full_curve": "the norms of conditional MI take no maximum over a scale c",
    "drop_nan": "conditional MI reads finite rows only; drop the rows holding NaN or inf first",
    "ci": "conditional MI has no confidence interval; use its local permutation test (-P)",
    "resamples": "conditional MI has no confidence interval; use its local permutation test (-P)",
    "ci_method": "conditional MI has no confidence interval; use its local permutation test (-P)",
    "subsample": "conditional MI has no confidence interval; use its local permutation test (-P)",
    "options": "it sets a neural estimator; conditional MI is KSG-CMI",
    "search": "KSG-CMI searches with scipy's k-d tree",
    "device": "KSG-CMI runs on the CPU",
    "backend": "the permutations of conditional MI run on local processes (--jobs)",
}


def refused_with_given(option: str, key: str, given: str = "given") -> MitoolError:
    """The one-line error for a setting ``option`` that conditional MI does not take (its
    reason: :data:`GIVEN_REFUSES` under ``key``); ``given`` is how the caller names Z's option."""
    why = GIVEN_REFUSES.get(key, "conditional MI (mitool cmi) does not take it")
    return MitoolError(f"{option} does not apply with {given}: {why}")


def estimate_given(
    x: object,
    t: object,
    z: object,
    *,
    refused: Sequence[str] = (),
    estimator: str = "auto",
    norm: str | None = None,
    k: int = 3,
    units: str = "nats",
    seed: int = 0,
    permutations: int = 0,
    jobs: int | None = None,
    names: tuple[str, ...] = ("X", "T"),
) -> ConditionalResult:
    """``mitool.estimate(x, t, given=z)``: :func:`conditional_mi` with estimate's options.

    ``auto`` (the only estimator taken) means what :func:`conditional_mi` does by default: it
    routes by which variables are discrete (KSG-CMI when X, T and Z are all continuous;
    stratified by the values of a discrete Z; the chain rule when X or T is discrete and Z
    continuous), with the ``rank`` norm (None) applied to X, T and Z alike, the copula bias
    correction on the KSG-CMI route, and a test by the local permutation of Runge (2018),
    never a plain shuffle.

    Parameters
    ----------
    refused : names of the estimate settings that were set and that conditional MI does not
        take (keys of :data:`GIVEN_REFUSES`); the first is a one-line error.
    names : (X, T) or (X, T, Z); Z is called ``Z`` when not named.
    Others : as for :func:`conditional_mi`.
    """
    for key in refused:
        raise refused_with_given(key, key)
    if estimator != "auto":
        raise refused_with_given(f"estimator '{estimator}'", "estimator")
    if norm is not None and norm not in CMI_NORMS:
        raise MitoolError(
            f"norm '{norm}' does not apply to conditional MI; choose one of: {', '.join(CMI_NORMS)}"
        )
    labels = (*names, "Z") if len(names) == 2 else tuple(names)
    if len(labels) != 3:
        raise MitoolError(f"names must name X and T, or X, T and Z; got {len(names)} names")
    return conditional_mi(
        x,
        t,
        z,
        k=k,
        **({} if norm is None else {"norm": norm}),
        seed=seed,
        permutations=permutations,
        units=units,
        jobs=jobs,
        names=(labels[0], labels[1], labels[2]),
    )


# --- the estimator ----------------------------------------------------------------------------


def ksg_cmi(x: np.ndarray, t: np.ndarray, z: np.ndarray, k: int) -> float:
    """Frenzel & Pompe (2007) / Vejmelka & Paluš (2008) KSG-CMI in nats, max-norm.

    Parameters
    ----------
    x, t, z : float arrays of shape (n, d_x), (n, d_t), (n, d_z), already normalised, with no
        repeated joint row.
    k : neighbours in the joint space.

    Returns
    -------
    ψ(k) − ⟨ψ(n_xz + 1) + ψ(n_tz + 1) − ψ(n_z + 1)⟩ (the counts from :func:`cmi_counts`).
    """
    n_xz, n_tz, n_z = cmi_counts(x, t, z, k)
    return float(digamma(k) - np.mean(digamma(n_xz + 1) + digamma(n_tz + 1) - digamma(n_z + 1)))


def cmi_counts(
    x: np.ndarray, t: np.ndarray, z: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n_xz, n_tz, n_z): for each row i, the other rows strictly closer than ε_i in (x, z),
    (t, z) and z, ε_i the max-norm distance to i's k-th neighbour in (x, t, z).

    "Strictly closer" is "at distance ≤ the largest float below ε_i" (``np.nextafter``), and
    the count of cKDTree's ``query_ball_point`` includes row i itself, which is subtracted.
    """
    joint = np.hstack([x, t, z])
    eps = cKDTree(joint).query(joint, k=[k + 1], p=np.inf)[0][:, 0]
    radius = np.nextafter(eps, 0)
    counts = []
    for space in (np.hstack([x, z]), np.hstack([t, z]), z):
        inside = cKDTree(space).query_ball_point(space, r=radius, p=np.inf, return_length=True)
        counts.append(np.asarray(inside, dtype=np.int64) - 1)
    return counts[0], counts[1], counts[2]


def copula_correction(
    problem: _Problem, norm: str, seed: int, jobs: int | None, notes: list[str]
) -> tuple[float, float] | None:
    """(I_G(R̂), mean_r Î_KSG(S_r)) in nats: the two terms of the copula bias correction.

    R̂ is the correlation of the normal scores of every varying column of the problem's
    (x, t, z) (its normalised, de-tied rows: each norm is an increasing map of each column, so
    the scores are the raw data's); S_r are n rows of N(0, R̂), each variable normalised by
    ``norm`` as the data were, from the ``seed``'s third child (the permutations use the
    second). None, with a note, when R̂ is singular (a column that is an increasing function
    of others' scores), where I_G is infinite and the correction undefined.
    """
    # A constant column adds 0 to every max-norm distance: the data's KSG-CMI is that of the
    # other columns, and so is the surrogates' (it has no correlation to estimate).
    varying = [a[:, a.max(axis=0) > a.min(axis=0)] for a in (problem.x, problem.t, problem.z)]
    d_x, d_t = varying[0].shape[1], varying[1].shape[1]
    scores = np.hstack([normalize(a, "rank") for a in varying])
    corr = np.corrcoef(scores, rowvar=False) if scores.shape[1] else np.zeros((0, 0))
    if min(a.shape[1] for a in varying) == 0 or not np.all(np.isfinite(corr)):
        notes.append(
            "the copula bias correction was skipped: a variable has no varying column, so the "
            "value is the uncorrected KSG-CMI"
        )
        return None
    if np.linalg.eigvalsh(corr)[0] < 1e-9:
        notes.append(
            "the copula bias correction was skipped: the normal scores of X, T and Z are "
            "collinear (one column repeats others), so the value is the uncorrected KSG-CMI, "
            "which reads low in high dimension; drop the repeated columns"
        )
        return None
    children = np.random.SeedSequence(seed).spawn(3)[2].spawn(SURROGATES)
    task = partial(
        _surrogate_value, corr=corr, n=len(problem.x), dims=(d_x, d_t), norm=norm, k=problem.k
    )
    values = parallel_map(task, [(child,) for child in children], jobs=jobs)
    return gaussian_cmi(corr, d_x, d_t), float(np.mean(values))


def _surrogate_value(
    child: np.random.SeedSequence,
    *,
    corr: np.ndarray,
    n: int,
    dims: tuple[int, int],
    norm: str,
    k: int,
) -> float:
    """KSG-CMI of n rows of N(0, corr), split (x, t, z) by ``dims`` and normalised by ``norm``
    (a module-level function, for worker processes)."""
    rows = np.random.default_rng(child).standard_normal((n, len(corr)))
    rows = rows @ np.linalg.cholesky(corr).T
    d_x, d_t = dims
    parts = (rows[:, :d_x], rows[:, d_x : d_x + d_t], rows[:, d_x + d_t :])
    x, t, z = (normalize(a, norm) for a in parts)
    return ksg_cmi(x, t, z, k)


def _statistic(problem: _Problem, index: np.ndarray | None, notes: list[str] | None) -> float:
    """The estimate in nats on the problem's rows, T taken at ``index`` (None: unpermuted)."""
    t = problem.t if index is None else problem.t[index]
    if problem.method == "ksg-cmi":
        return ksg_cmi(problem.x, t, problem.z, problem.k)
    if problem.method == "stratified":
        return _stratified(problem, t, notes)
    return _chain_rule(problem, t, notes)


def _stratified(problem: _Problem, t: np.ndarray, notes: list[str] | None) -> float:
    """Σ_z p̂(z) Î(X; T | Z = z) over the strata with more than k rows (reweighted); for a
    ross estimate, a stratum's rows whose class occurs once in it are left out of it."""
    codes, k = problem.strata, problem.k
    sizes = np.bincount(codes)
    kept = np.flatnonzero(sizes > k)
    if not len(kept):
        raise InputError(
            problem.names[2],
            f"no value of it holds more than k = {k} rows, so no stratum can be estimated",
        )
    skipped = int(sizes.sum() - sizes[kept].sum())
    if skipped and notes is not None:
        notes.append(
            f"{rows(skipped)} in {len(sizes) - len(kept)} value(s) of {problem.names[2]} with "
            f"k = {k} rows or fewer were left out; the other strata were reweighted"
        )
    total = weight = 0.0
    alone = 0
    for code in kept:
        where = np.flatnonzero(codes == code)
        label = ", ".join(f"{v:g}" for v in problem.strata_values[code])
        where, lonely = _paired_labels(problem, t, where)
        alone += lonely
        if len(where) <= k:  # too few rows left once the lone labels are out
            continue
        value = _pair_mi(
            problem.x[where], t[where], problem, notes, f"{problem.names[2]} = {label}"
        )
        total += sizes[code] * value
        weight += sizes[code]
    if alone and notes is not None:
        side = problem.names[1] if problem.t_discrete else problem.names[0]
        notes.append(
            f"{rows(alone)} whose {side} value occurs once within its value of "
            f"{problem.names[2]} {'was' if alone == 1 else 'were'} left out of that stratum's "
            "estimate (ross needs two rows per class)"
        )
    if not weight:
        raise InputError(
            problem.names[2],
            f"no value of it holds more than k = {k} rows whose class occurs twice in it, so "
            "no stratum can be estimated",
        )
    return total / weight


def _paired_labels(problem: _Problem, t: np.ndarray, where: np.ndarray) -> tuple[np.ndarray, int]:
    """The rows ``where`` of one stratum without those whose class label (the discrete side of
    a ross estimate: X or T, the other continuous) occurs once in the stratum, and how many
    were left out. Ross's estimator needs a neighbour of the same class (as scikit-learn's
    ``mutual_info_classif``, which leaves such rows out too); over all rows the labels passed
    that test, but a stratum holds fewer."""
    if problem.x_discrete == problem.t_discrete:  # ksg-gcmi or the plug-in: no classes
        return where, 0
    labels = (t if problem.t_discrete else problem.x)[where]
    _, inverse, counts = np.unique(labels, axis=0, return_inverse=True, return_counts=True)
    paired = counts[inverse.ravel()] >= 2
    return where[paired], int(np.sum(~paired))


def _chain_rule(problem: _Problem, t: np.ndarray, notes: list[str] | None) -> float:
    """Î(L; (O, Z)) − Î(L; Z), L the discrete side (T if both are), O the other."""
    label, other = (t, problem.x) if problem.t_discrete else (problem.x, t)
    with_z = _ross(np.hstack([other, problem.z]), label, problem, notes)
    return with_z - _ross(problem.z, label, problem, notes)


def _pair_mi(
    x: np.ndarray, t: np.ndarray, problem: _Problem, notes: list[str] | None, where: str
) -> float:
    """Î(X; T) on one stratum by mitool's estimate: ksg, ross (either side labels) or plugin."""
    if problem.x_discrete and problem.t_discrete:
        return _estimate(x, t, "plugin", problem, notes, where)
    if problem.t_discrete:
        return _ross(x, t, problem, notes, where)
    if problem.x_discrete:
        return _ross(t, x, problem, notes, where)
    return _estimate(x, t, "ksg-gcmi", problem, notes, where)


def _ross(
    features: np.ndarray,
    labels: np.ndarray,
    problem: _Problem,
    notes: list[str] | None,
    where: str = "",
) -> float:
    if len(np.unique(labels, axis=0)) < 2:
        return 0.0  # one class shares no information (ross needs two)
    return _estimate(features, labels, "ross", problem, notes, where)


def _estimate(
    x: np.ndarray,
    t: np.ndarray,
    estimator: str,
    problem: _Problem,
    notes: list[str] | None,
    where: str,
) -> float:
    """mitool.estimate in nats on rows already normalised (norm none, no sweep, no replicates)."""
    from mitool.api import estimate

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MitoolWarning)
            result = estimate(
                x,
                t,
                estimator=estimator,
                norm="none",
                k=problem.k,
                scales=(1.0,),
                resamples=0,
                permutations=0,
                jobs=1,
                names=(problem.names[0], problem.names[1]),
            )
    except MitoolError as exc:
        raise MitoolError(f"{where or 'chain rule'}: {exc}") from None
    if notes is not None:
        for note in result.warnings:
            line = f"{where}: {note}" if where else note
            if line not in notes:
                notes.append(line)
    return float(result.value)


# --- preparing the data -----------------------------------------------------------------------


def _check_options(
    k: int, norm: str, null: str, units: str, permutations: int, local_neighbors: int
) -> None:
    if norm not in CMI_NORMS:
        raise MitoolError(f"unknown norm '{norm}'; choose one of: {', '.join(CMI_NORMS)}")
    if null not in NULLS:
        raise MitoolError(f"unknown null '{null}'; choose one of: {', '.join(NULLS)}")
    if units not in UNITS:
        raise MitoolError(f"unknown units '{units}'; choose one of: {', '.join(UNITS)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError("k", f"must be a whole number of at least 1 (got {k})")
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)):
        raise MitoolError(f"permutations must be a whole number (got {permutations})")
    if permutations < 0:
        raise MitoolError(f"permutations must be 0 or more (got {permutations})")
    if local_neighbors < 2:
        raise MitoolError(
            f"local_neighbors must be at least 2 (the row itself and one other), got "
            f"{local_neighbors}"
        )


def _check_triple(
    x: object, t: object, z: object, k: int, names: tuple[str, str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three float arrays (n, d) with equal, finite rows, n > k; one-line errors naming them."""
    arrays = [as_samples(a, name) for a, name in zip((x, t, z), names, strict=True)]
    counts = [len(a) for a in arrays]
    if len(set(counts)) > 1:
        raise InputError(
            ", ".join(names),
            f"row counts differ ({' vs '.join(map(str, counts))}); rows are samples",
        )
    for a, name in zip(arrays, names, strict=True):
        bad = int(np.sum(~np.all(np.isfinite(a), axis=1)))
        if bad:
            raise InputError(name, f"contains NaN or inf in {rows(bad)}; drop those rows first")
    if counts[0] <= k:
        raise InputError(
            names[0],
            f"has {rows(counts[0])}; k = {k} neighbour{'s' * (k != 1)} needs at least {k + 1}",
        )
    return arrays[0], arrays[1], arrays[2]


def _is_discrete(a: np.ndarray) -> bool:
    """Few distinct rows, as ``auto`` decides (:func:`mitool.diagnose.few_symbols`)."""
    return few_symbols(len(first_rows(a)), len(a))


def _prepare(
    x: np.ndarray,
    t: np.ndarray,
    z: np.ndarray,
    *,
    k: int,
    norm: str,
    seed: int,
    names: tuple[str, str, str],
    notes: list[str],
) -> tuple[_Problem, bool]:
    """Route, normalise each continuous variable and separate repeated rows."""
    x_disc, t_disc, z_disc = (_is_discrete(a) for a in (x, t, z))
    xn = x if x_disc else normalize(x, norm, names[0])
    tn = t if t_disc else normalize(t, norm, names[1])
    base = _Problem("ksg-cmi", xn, tn, z, k, x_disc, t_disc, None, names)
    if z_disc:
        values, codes = np.unique(z + 0.0, axis=0, return_inverse=True)
        return replace(base, method="stratified", strata=codes.ravel(), strata_values=values), False
    zn = normalize(z, norm, names[2])
    if x_disc or t_disc:
        return replace(base, method="chain-rule", z=zn), False
    xt, zj, ties = break_ties(np.hstack([xn, tn]), zn, k, seed)
    if ties.jittered:
        notes.append(
            f"{rows(ties.duplicate_rows)} of (X, T, Z) repeated an earlier row and were "
            f"separated by seeded jitter of {ties.jitter:g} x each column's sd; copies still "
            "count as neighbours and inflate the estimate: drop duplicated records"
        )
    d_x = xn.shape[1]
    return replace(base, x=xt[:, :d_x], t=xt[:, d_x:], z=zj), ties.jittered


# --- the permutation test ---------------------------------------------------------------------


def _null_distribution(
    problem: _Problem,
    null: str,
    permutations: int,
    local_neighbors: int,
    seed: int,
    jobs: int | None,
) -> np.ndarray:
    """P values of the statistic on permuted T, each from its own child of the seed."""
    neighbors = None
    if null == "local" and problem.strata is None:
        neighbors = z_neighbors(problem.z, local_neighbors)
    children = np.random.SeedSequence(seed).spawn(2)[1].spawn(permutations)
    task = partial(_null_value, problem=problem, null=null, neighbors=neighbors)
    values = parallel_map(task, [(child,) for child in children], jobs=jobs)
    return np.asarray(values, dtype=float)


def _null_value(
    child: np.random.SeedSequence,
    *,
    problem: _Problem,
    null: str,
    neighbors: np.ndarray | None,
) -> float:
    """The statistic on one permutation of T (a module-level function, for worker processes)."""
    rng = np.random.default_rng(child)
    n = len(problem.t)
    if null == "shuffle":
        index = rng.permutation(n)
    elif problem.strata is not None:
        index = within_strata(problem.strata, rng)
    else:
        index = restricted_permutation(neighbors, rng)
    return _statistic(problem, index, None)


def z_neighbors(z: np.ndarray, m: int) -> np.ndarray:
    """Indices (n, m) of each row's m nearest rows in Z (max-norm), the row itself among them."""
    return cKDTree(z).query(z, k=m, p=np.inf)[1].astype(np.int64)


def restricted_permutation(neighbors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Runge (2018), Algorithm 1: each row i takes T from one of its neighbours in Z.

    The rows are visited in a random order; each row's neighbours are shuffled, and the row
    takes the first one not yet taken by another row, or, when all are taken, the last one
    (so an index can repeat: the result is close to, but not always, a permutation).

    Parameters
    ----------
    neighbors : (n, m) indices of each row's m nearest rows in Z.
    rng : the generator.

    Returns
    -------
    index : (n,) where row i takes T from row ``index[i]``.
    """
    n = len(neighbors)
    order = rng.permutation(n)
    shuffled = rng.permuted(neighbors, axis=1).tolist()
    used = [False] * n
    index = np.empty(n, dtype=np.int64)
    for i in order.tolist():
        row = shuffled[i]
        chosen = row[-1]
        for j in row:
            if not used[j]:
                chosen = j
                break
        index[i] = chosen
        used[chosen] = True
    return index


def within_strata(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A permutation of the rows that maps each stratum (value of a discrete Z) onto itself."""
    index = np.arange(len(codes))
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for block in np.split(order, bounds):
        index[block] = rng.permutation(block)
    return index


def gaussian_cmi(cov: np.ndarray, d_x: int, d_t: int) -> float:
    """I(X; T | Z) in nats of a jointly Gaussian (X, T, Z) with covariance ``cov`` ordered
    (X, T, Z): ½ log(|Σ_xz| |Σ_tz| / (|Σ_z| |Σ_xtz|)) (|Σ_z| = 1 when Z is empty)."""
    d = len(cov)
    xi, ti, zi = np.arange(d_x), np.arange(d_x, d_x + d_t), np.arange(d_x + d_t, d)

    def logdet(idx: np.ndarray) -> float:
        return float(np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]) if len(idx) else 0.0

    xz, tz = np.concatenate([xi, zi]), np.concatenate([ti, zi])
    return 0.5 * (logdet(xz) + logdet(tz) - logdet(zi) - logdet(np.arange(d)))


__all__ = [
    "CMI_NORMS",
    "CORRECTIONS",
    "GIVEN_REFUSES",
    "METHODS",
    "NULLS",
    "ConditionalResult",
    "cmi_counts",
    "conditional_mi",
    "copula_correction",
    "estimate_given",
    "gaussian_cmi",
    "ksg_cmi",
    "restricted_permutation",
    "within_strata",
    "z_neighbors",
]
