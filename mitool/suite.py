"""An accuracy suite: many kinds of data whose mutual information is known exactly.

Every generator is a pure function of the number of rows n, its parameters and an explicit
seed (an int, a :class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`, as in
:mod:`mitool.synthetic`) and returns a :class:`mitool.synthetic.Sample` ``(x, t, truth)``: two
float arrays of shape (n, d) and the exact I(X; T) in nats. The truth is a property of the
distribution, never of the draw. Where it has a closed form the docstring gives it; where it
does not (Gaussian mixtures in one dimension) it is a 1-D integral evaluated by
:func:`scipy.integrate.quad` to about 1e-10 nats (:func:`mixture_entropy`).

The groups (the ``group`` label of a :class:`Task`):

- ``gaussian``: correlated Gaussians, 1×1 to 50×50, I = ½ ln(det Σx · det Σt / det Σ);
- ``sparse``: 25×25 Gaussians where only 1-3 coordinate pairs are correlated;
- ``student-t``: multivariate Student-t, ν = 1, 2, 3 (Arellano-Valle et al. 2013);
- ``monotone``: Gaussian or additive-noise data through strictly increasing per-column maps
  (cube, Φ, exp, per-column units), which keep I exactly;
- ``non-monotone``: a bijective but non-monotone per-column map (Φ, shift mod 1, Φ⁻¹);
- ``uniform-noise``: X ~ U(0, 1), T = X + U(0, a), I = a/2 − ln a per coordinate;
- ``labels``: integer class labels T and X | T = y ~ N(μ_y·u, I);
- ``discrete``: discrete × discrete from a joint pmf table;
- ``mixed``: a point mass mixed with a continuous part, and discrete X with Gaussian noise;
- ``duplicates``: Gaussian rows repeated (all of them twice, or half of them).

Independent pairs (truth 0) appear inside the groups: 1×1 and 5×5 Gaussians, labels, and a
product pmf. :func:`tasks` gives the two splits, ``"tuning"`` and ``"heldout"``, which share
the groups but not the parameters, so that a threshold tuned on one split can be reported on
the other. :mod:`mitool.suite_score` runs estimators on them and scores the results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy.integrate import quad
from scipy.special import digamma, gammaln, logsumexp, ndtr, ndtri

from mitool.errors import MitoolError
from mitool.synthetic import Sample, Seed, additive_gaussian, generator

GROUPS = (
    "gaussian",
    "sparse",
    "student-t",
    "monotone",
    "non-monotone",
    "uniform-noise",
    "labels",
    "discrete",
    "mixed",
    "duplicates",
)
SPLITS = ("tuning", "heldout")
HALF_LOG_2PIE = 0.5 * math.log(2 * math.pi * math.e)  # h(N(0, 1)) in nats


# --- exact truths -------------------------------------------------------------------------------


def gaussian_mi(cov: np.ndarray, dx: int) -> float:
    """I(X; T) of a jointly Gaussian (X, T) with covariance ``cov``, X the first dx coordinates.

    Closed form (Cover & Thomas, Thm 8.4.1 applied to h(X) + h(T) − h(X, T)):
    I = ½ ln(det Σx · det Σt / det Σ), computed with log-determinants.
    """
    cov = np.asarray(cov, float)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    value = 0.5 * (logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))
    return float(value) if value > 1e-12 else 0.0  # rounding of an independent pair: 0


def student_t_entropy(d: int, nu: float) -> float:
    """Differential entropy of the standard d-dimensional Student-t, t_ν(0, I_d), in nats.

    Arellano-Valle, Contreras-Reyes & Genton (2013, Scand. J. Stat. 40, Eq. 7):
    h = ln[Γ(ν/2) (νπ)^{d/2} / Γ((ν+d)/2)] + (ν+d)/2 · [ψ((ν+d)/2) − ψ(ν/2)].
    With a scale matrix Σ, ½ ln det Σ is added.
    """
    half = 0.5 * (nu + d)
    return float(
        gammaln(0.5 * nu)
        - gammaln(half)
        + 0.5 * d * math.log(nu * math.pi)
        + half * (digamma(half) - digamma(0.5 * nu))
    )


def student_t_correction(nu: float, dx: int, dt: int) -> float:
    """I_t − I_Gauss(Σ) for a multivariate Student-t: the part that depends on ν, dx, dt only.

    From h(X) + h(T) − h(X, T) with :func:`student_t_entropy` (the ½ ln det terms give the
    Gaussian MI of the scale matrix, the (νπ)^{d/2} terms cancel). Written out:
    log[Γ(ν/2)Γ((ν+dx+dt)/2) / (Γ((ν+dx)/2)Γ((ν+dt)/2))] − (ν+dx+dt)/2·ψ((ν+dx+dt)/2)
    + (ν+dx)/2·ψ((ν+dx)/2) + (ν+dt)/2·ψ((ν+dt)/2) − ν/2·ψ(ν/2). This is the form of the
    ``bmi`` package (Czyż et al. 2023, ``SplitStudentT.mi_correction_function``), which notes
    that the paper's printed MI formula is wrong and goes through the entropies as here. It is
    positive and tends to 0 as ν → ∞ (tests check both, and a Monte-Carlo estimate).
    """
    return student_t_entropy(dx, nu) + student_t_entropy(dt, nu) - student_t_entropy(dx + dt, nu)


def mixture_entropy(
    weights: Sequence[float], means: Sequence[float], sds: Sequence[float]
) -> float:
    """Differential entropy (nats) of the 1-D Gaussian mixture Σ w_i N(μ_i, s_i²).

    No closed form: −∫ p ln p over [min μ − 15 max s, max μ + 15 max s] by
    :func:`scipy.integrate.quad` (epsabs 1e-13, epsrel 1e-12), split at every μ_i and μ_i ± s_i;
    ln p is evaluated with logsumexp, so the tails do not underflow. Beyond 15 sd the integrand
    is below 1e-45. The result is accurate to about 1e-10 nats.
    """
    w = np.asarray(weights, float)
    mu = np.asarray(means, float)
    s = np.asarray(sds, float)
    keep = w > 0
    w, mu, s = w[keep] / w[keep].sum(), mu[keep], s[keep]
    log_w = np.log(w)
    log_norm = np.log(s) + 0.5 * math.log(2 * math.pi)

    def integrand(x: float) -> float:
        log_p = logsumexp(log_w - 0.5 * ((x - mu) / s) ** 2 - log_norm)
        return -math.exp(log_p) * log_p

    lo, hi = mu.min() - 15 * s.max(), mu.max() + 15 * s.max()
    cuts = np.unique(np.concatenate([[lo, hi], mu, mu - s, mu + s]))
    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        value, _ = quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12, limit=200)
        total += value
    return total


def discrete_mi(pmf: np.ndarray) -> float:
    """I(X; T) of a joint pmf table p[i, j] = P(X = i, T = j): Σ p ln(p / (p_X p_T)) (exact)."""
    p = np.asarray(pmf, float)
    p = p / p.sum()
    px, pt = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    nz = p > 0
    value = float(np.sum(p[nz] * np.log(p[nz] / (px @ pt)[nz])))
    return value if value > 1e-12 else 0.0  # rounding of an independent table: 0


def uniform_noise_mi(a: float) -> float:
    """I(X; X + U) with X ~ U(0, 1), U ~ U(0, a), 0 < a ≤ 1: a/2 − ln a nats (closed form).

    T = X + U has the trapezoid density t/a on [0, a], 1 on [a, 1], (1 + a − t)/a on [1, 1 + a];
    each ramp contributes −∫₀^a (t/a) ln(t/a) dt = a/4 to h(T) and the flat part 0, so
    h(T) = a/2, and h(T | X) = h(U) = ln a.
    """
    return a / 2 - math.log(a)


# --- covariances ----------------------------------------------------------------------------------


def paired_cov(d: int, rho: float, within: float = 0.0) -> np.ndarray:
    """Covariance of (X, T) in d + d dimensions with T = ρX + √(1 − ρ²)·Z.

    X ~ N(0, A) with A the equicorrelation matrix (1 on the diagonal, ``within`` off it) and
    Z ~ N(0, I_d) independent, so Σ = [[A, ρA], [ρA, ρ²A + (1 − ρ²)I]]; with within = 0,
    I = −(d/2) ln(1 − ρ²).
    """
    if not -1 < rho < 1:
        raise MitoolError(f"the correlation must lie strictly between -1 and 1, got {rho}")
    if not -1 / max(d - 1, 1) < within < 1:
        raise MitoolError(f"the within-side correlation {within} is not valid in {d} dims")
    a = np.full((d, d), within) + (1 - within) * np.eye(d)
    return np.block([[a, rho * a], [rho * a, rho**2 * a + (1 - rho**2) * np.eye(d)]])


def sparse_cov(d: int, rhos: Sequence[float]) -> np.ndarray:
    """Covariance of (X, T), d + d dimensions of unit variance, where only X_i and T_{d−1−i}
    are correlated (corr ρ_i, i < len(rhos)); everything else is independent noise.

    I = −½ Σ_i ln(1 − ρ_i²) (independent pairs add).
    """
    if len(rhos) > d or not all(-1 < r < 1 for r in rhos):
        raise MitoolError(f"need at most {d} correlations strictly inside (-1, 1), got {rhos}")
    cov = np.eye(2 * d)
    for i, r in enumerate(rhos):
        cov[i, 2 * d - 1 - i] = cov[2 * d - 1 - i, i] = r
    return cov


# --- generators ----------------------------------------------------------------------------------


def gaussian(n: int, cov: np.ndarray, dx: int, seed: Seed) -> Sample:
    """Rows of N(0, cov), X the first dx columns: I = ½ ln(det Σx det Σt / det Σ) (closed form)."""
    cov = np.asarray(cov, float)
    _check(n, dx, cov.shape[0] - dx)
    z = generator(seed).standard_normal((n, cov.shape[0])) @ np.linalg.cholesky(cov).T
    return Sample(z[:, :dx], z[:, dx:], gaussian_mi(cov, dx))


def correlated(n: int, d: int, rho: float, seed: Seed, within: float = 0.0) -> Sample:
    """Correlated Gaussians d × d with the covariance of :func:`paired_cov` (closed-form I)."""
    return gaussian(n, paired_cov(d, rho, within), d, seed)


def sparse_gaussian(n: int, d: int, rhos: Sequence[float], seed: Seed) -> Sample:
    """d × d Gaussians with len(rhos) correlated coordinate pairs (:func:`sparse_cov`).

    I = −½ Σ ln(1 − ρ_i²) (closed form).
    """
    return gaussian(n, sparse_cov(d, rhos), d, seed)


def student_t(n: int, d: int, rho: float, nu: float, seed: Seed, within: float = 0.0) -> Sample:
    """Multivariate Student-t (X, T) with ν degrees of freedom and scale Σ = :func:`paired_cov`.

    Drawn as W·√(ν/G) with W ~ N(0, Σ) and G ~ χ²_ν (one G per row). Closed form
    (Arellano-Valle et al. 2013, via entropies): I = ½ ln(det Σx det Σt / det Σ) +
    :func:`student_t_correction` (ν, d, d). With ρ = 0 the truth is the correction alone:
    X and T are uncorrelated but dependent through the shared G.
    """
    if not nu > 0:
        raise MitoolError(f"the degrees of freedom must be positive, got {nu}")
    cov = paired_cov(d, rho, within)
    rng = generator(seed)
    w = gaussian(n, cov, d, rng)
    g = rng.chisquare(nu, size=(n, 1))
    factor = np.sqrt(nu / g)
    return Sample(w.x * factor, w.t * factor, w.truth + student_t_correction(nu, d, d))


def cube(a: np.ndarray) -> np.ndarray:
    """a³ elementwise (strictly increasing)."""
    return a**3


def normal_cdf(a: np.ndarray) -> np.ndarray:
    """Φ(a) elementwise (strictly increasing)."""
    return ndtr(a)


def mod_shift(a: np.ndarray, shift: float) -> np.ndarray:
    """Φ⁻¹((Φ(a) + shift) mod 1) elementwise: a bijection of ℝ (up to one point) that is not
    monotone (it jumps where Φ(a) + shift crosses 1). ``mod_shift(·, −shift)`` inverts it."""
    v = ndtr(a) + shift
    v = v - np.floor(v)
    return ndtri(np.clip(v, 1e-300, 1 - 2**-53))


def per_column_units(sample: Sample, seed: Seed) -> Sample:
    """Each column of X and of T times its own 10^u, u ~ U(−2, 2): the same data in other units.

    Rescaling a coordinate is injective, so the truth is unchanged.
    """
    rng = generator(seed)
    x, t, truth = sample
    fx = 10.0 ** rng.uniform(-2, 2, size=x.shape[1])
    ft = 10.0 ** rng.uniform(-2, 2, size=t.shape[1])
    return Sample(x * fx, t * ft, truth)


MAPS = ("none", "cube", "phi", "exp", "units", "modshift:<s>")


def _apply_map(name: str, a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if name == "none":
        return a
    if name == "cube":
        return cube(a)
    if name == "phi":
        return normal_cdf(a)
    if name == "exp":
        return np.exp(a)
    if name == "units":
        return a * 10.0 ** rng.uniform(-2, 2, size=a.shape[1])
    if name.startswith("modshift:"):
        return mod_shift(a, float(name.partition(":")[2]))
    raise MitoolError(f"unknown map '{name}'; choose one of: {', '.join(MAPS)}")


def mapped(
    n: int, base: str, d: int, strength: float, x_map: str, t_map: str, seed: Seed
) -> Sample:
    """Base data through per-column maps of X and T that are injective, so I is the base's.

    ``base`` is ``gaussian`` (:func:`correlated` with ρ = strength, I = −(d/2) ln(1 − ρ²)) or
    ``additive`` (T = X + ε, σ = strength, I = (d/2) ln(1 + 1/σ²),
    :func:`mitool.synthetic.additive_gaussian`). Maps (:data:`MAPS`): ``cube``, ``phi`` (the
    normal CDF), ``exp``, ``units`` (each column times 10^u, u ~ U(−2, 2)) are strictly
    increasing; ``modshift:s`` is :func:`mod_shift`, bijective but not monotone. The base is
    drawn first from the seed's generator, so the same seed gives the same base data.
    """
    rng = generator(seed)
    if base == "gaussian":
        x, t, truth = correlated(n, d, strength, rng)
    elif base == "additive":
        x, t, truth = additive_gaussian(n, d, strength, rng)
    else:
        raise MitoolError(f"unknown base '{base}'; choose gaussian or additive")
    return Sample(_apply_map(x_map, x, rng), _apply_map(t_map, t, rng), truth)


def uniform_noise(n: int, d: int, a: float, seed: Seed) -> Sample:
    """X ~ U(0, 1)^d, T = X + U with U ~ U(0, a)^d independent coordinates, 0 < a ≤ 1.

    I = d·(a/2 − ln a) (closed form, :func:`uniform_noise_mi`; coordinates are independent).
    """
    if not 0 < a <= 1:
        raise MitoolError(f"the noise width must lie in (0, 1], got {a}")
    _check(n, d, d)
    rng = generator(seed)
    x = rng.uniform(0, 1, size=(n, d))
    return Sample(x, x + rng.uniform(0, a, size=(n, d)), d * uniform_noise_mi(a))


def _label_means(m: int, delta: float) -> np.ndarray:
    return delta * (np.arange(m) - (m - 1) / 2)


def labels_mi(m: int, delta: float, probs: Sequence[float] | None = None) -> float:
    """I(X; T) of :func:`labels` (1-D quadrature): h(X·u) − ½ ln(2πe).

    Only the projection of X on u carries information: the other directions are N(0, 1) noise
    independent of (T, X·u). So I = h(X) − h(X | T) = h(Σ π_y N(μ_y, 1)) − ½ ln(2πe) with
    μ_y = δ·(y − (m − 1)/2), the mixture entropy by :func:`mixture_entropy`. 0 when δ = 0.
    """
    w = np.full(m, 1 / m) if probs is None else np.asarray(probs, float)
    if delta == 0 or m == 1:
        return 0.0
    return max(0.0, mixture_entropy(w, _label_means(m, delta), np.ones(m)) - HALF_LOG_2PIE)


def labels(
    n: int, dx: int, m: int, delta: float, seed: Seed, probs: Sequence[float] | None = None
) -> Sample:
    """Class labels T ∈ {0, …, m − 1} (one column of integer-valued floats, P(T = y) = probs[y],
    uniform by default) and X | T = y ~ N(μ_y·u, I_dx), μ_y = δ·(y − (m − 1)/2), u = (1, …, 1)/√dx.

    The truth is :func:`labels_mi` (1-D quadrature of the mixture).
    """
    _check(n, dx, 1)
    w = np.full(m, 1 / m) if probs is None else np.asarray(probs, float)
    if len(w) != m or np.any(w < 0) or not math.isclose(w.sum(), 1.0):
        raise MitoolError(f"the label probabilities must be {m} numbers summing to 1")
    rng = generator(seed)
    y = rng.choice(m, size=n, p=w)
    u = np.ones(dx) / math.sqrt(dx)
    x = _label_means(m, delta)[y][:, None] * u + rng.standard_normal((n, dx))
    return Sample(x, y[:, None].astype(float), labels_mi(m, delta, w))


def discrete(n: int, pmf: Sequence[Sequence[float]], seed: Seed) -> Sample:
    """Pairs (i, j) drawn from the joint pmf table p[i, j] (values as floats, one column each).

    I = Σ p ln(p / (p_X p_T)) (exact sum, :func:`discrete_mi`).
    """
    p = np.asarray(pmf, float)
    if p.ndim != 2 or np.any(p < 0) or not math.isclose(p.sum(), 1.0, rel_tol=1e-9):
        raise MitoolError("the joint pmf must be a table of non-negative numbers summing to 1")
    _check(n, 1, 1)
    cells = generator(seed).choice(p.size, size=n, p=p.ravel() / p.sum())
    i, j = np.unravel_index(cells, p.shape)
    return Sample(i[:, None].astype(float), j[:, None].astype(float), discrete_mi(p))


def modular_pmf(kx: int, m: int, noise: Sequence[float]) -> np.ndarray:
    """Joint pmf of X uniform on {0, …, kx − 1} and T = (X + N) mod m, P(N = j) = noise[j]."""
    p = np.zeros((kx, m))
    for i in range(kx):
        for j, q in enumerate(noise):
            p[i, (i + j) % m] += q / kx
    return p


def modular_noise(n: int, kx: int, m: int, noise: Sequence[float], seed: Seed) -> Sample:
    """X uniform on kx values, T = (X + N) mod m: :func:`discrete` on :func:`modular_pmf` (exact).

    When kx = m, I = ln m − H(N).
    """
    return discrete(n, modular_pmf(kx, m, noise), seed)


def random_pmf(kx: int, kt: int, alpha: float, table_seed: int) -> np.ndarray:
    """A kx × kt joint pmf drawn once from Dirichlet(α, …, α) with its own seed (a fixed table)."""
    return np.random.default_rng(table_seed).dirichlet(np.full(kx * kt, alpha)).reshape(kx, kt)


def random_table(n: int, kx: int, kt: int, alpha: float, table_seed: int, seed: Seed) -> Sample:
    """:func:`discrete` on the fixed table :func:`random_pmf` (kx, kt, α, table_seed) (exact)."""
    return discrete(n, random_pmf(kx, kt, alpha, table_seed), seed)


def product_table(n: int, px: Sequence[float], pt: Sequence[float], seed: Seed) -> Sample:
    """Independent discrete X and T: :func:`discrete` on the outer product; I = 0 exactly."""
    return discrete(n, np.outer(px, pt), seed)


def zero_inflated(n: int, p: float, sigma: float, seed: Seed) -> Sample:
    """X = 0 with probability p, else N(0, 1); T = X + N(0, σ²).

    I = h(T) − h(T | X) = h(p·N(0, σ²) + (1 − p)·N(0, 1 + σ²)) − ½ ln(2πeσ²), the mixture
    entropy by 1-D quadrature (:func:`mixture_entropy`).
    """
    if not 0 <= p < 1 or not sigma > 0:
        raise MitoolError(f"need 0 <= p < 1 and sigma > 0, got p = {p}, sigma = {sigma}")
    _check(n, 1, 1)
    rng = generator(seed)
    x = np.where(rng.uniform(size=n) < p, 0.0, rng.standard_normal(n))
    t = x + sigma * rng.standard_normal(n)
    h_t = mixture_entropy([p, 1 - p], [0.0, 0.0], [sigma, math.sqrt(1 + sigma**2)])
    truth = h_t - HALF_LOG_2PIE - math.log(sigma)
    return Sample(x[:, None], t[:, None], max(0.0, truth))


def discrete_channel(n: int, k: int, sigma: float, seed: Seed) -> Sample:
    """X uniform on {0, …, k − 1} (floats), T = X + N(0, σ²).

    I = h(T) − ½ ln(2πeσ²) with h(T) the entropy of the k-component mixture (1-D quadrature).
    """
    if not sigma > 0 or k < 1:
        raise MitoolError(f"need k >= 1 and sigma > 0, got k = {k}, sigma = {sigma}")
    _check(n, 1, 1)
    rng = generator(seed)
    x = rng.integers(0, k, size=n).astype(float)
    t = x + sigma * rng.standard_normal(n)
    h_t = mixture_entropy(np.full(k, 1 / k), np.arange(k, dtype=float), np.full(k, sigma))
    truth = h_t - HALF_LOG_2PIE - math.log(sigma)
    return Sample(x[:, None], t[:, None], max(0.0, truth))


def duplicated(n: int, d: int, rho: float, fraction: float, seed: Seed) -> Sample:
    """Correlated Gaussians (:func:`correlated`) with duplicated rows, n rows in all.

    m = round(n / (1 + fraction)) distinct rows are drawn and n − m of them (fraction = 1:
    every one) appear twice; the rows are then shuffled. Convention: the duplication is an
    artifact of data handling, so the truth is the MI of the underlying continuous
    distribution, −(d/2) ln(1 − ρ²), not that of the empirical distribution.
    """
    if not 0 < fraction <= 1:
        raise MitoolError(f"the duplicated fraction must lie in (0, 1], got {fraction}")
    rng = generator(seed)
    m = max(1, round(n / (1 + fraction)))
    x, t, truth = correlated(m, d, rho, rng)
    extra = rng.choice(m, size=n - m, replace=False)
    order = rng.permutation(np.concatenate([np.arange(m), extra]))
    return Sample(x[order], t[order], truth)


def _check(n: int, dx: int, dt: int) -> None:
    if n < 1 or dx < 1 or dt < 1:
        raise MitoolError(f"need at least one row and one dimension, got n = {n}, {dx}×{dt}")


# --- tasks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One task of the suite: a generator and its parameters (everything but n and the seed)."""

    name: str
    group: str
    fn: Callable[..., Sample]
    params: tuple[tuple[str, Any], ...] = ()

    def draw(self, n: int, seed: Seed) -> Sample:
        """n rows of the task's distribution and its exact MI in nats."""
        return self.fn(n, **dict(self.params), seed=seed)

    @cached_property
    def truth(self) -> float:
        """The exact I(X; T) in nats (it does not depend on n or the seed)."""
        return self.draw(4, 0).truth


def _task(name: str, group: str, fn: Callable[..., Sample], **params: Any) -> Task:
    return Task(name, group, fn, tuple(params.items()))


def _gauss(d: int, rho: float, within: float = 0.0) -> Task:
    name = f"gaussian-{d}x{d}-rho{rho:g}" + (f"-within{within:g}" if within else "")
    return _task(name, "gaussian", correlated, d=d, rho=rho, within=within)


def _sparse(rhos: tuple[float, ...], d: int = 25) -> Task:
    name = f"sparse-{d}x{d}-" + "-".join(f"{r:g}" for r in rhos)
    return _task(name, "sparse", sparse_gaussian, d=d, rhos=rhos)


def _t(d: int, nu: float, rho: float) -> Task:
    return _task(f"t-nu{nu:g}-{d}x{d}-rho{rho:g}", "student-t", student_t, d=d, rho=rho, nu=nu)


def _mapped(group: str, base: str, d: int, s: float, x_map: str, t_map: str) -> Task:
    par = "rho" if base == "gaussian" else "sigma"
    name = f"{base}-{d}x{d}-{par}{s:g}-x:{x_map}-t:{t_map}"
    return _task(name, group, mapped, base=base, d=d, strength=s, x_map=x_map, t_map=t_map)


def _uniform(d: int, a: float) -> Task:
    return _task(f"uniform-{d}x{d}-a{a:g}", "uniform-noise", uniform_noise, d=d, a=a)


def _labels(dx: int, m: int, delta: float, probs: tuple[float, ...] | None = None) -> Task:
    name = f"labels-{dx}d-m{m}-delta{delta:g}" + ("-skewed" if probs else "")
    return _task(name, "labels", labels, dx=dx, m=m, delta=delta, probs=probs)


def _tuning() -> list[Task]:
    return [
        _gauss(1, 0.0),
        _gauss(1, 0.5),
        _gauss(1, 0.9),
        _gauss(5, 0.0),
        _gauss(5, 0.6, within=0.3),
        _gauss(25, 0.3),
        _gauss(50, 0.15),
        _sparse((0.85,)),
        _sparse((0.75, 0.75)),
        _sparse((0.5, 0.6, 0.7)),
        _t(1, 1, 0.0),
        _t(1, 3, 0.6),
        _t(2, 2, 0.5),
        _t(5, 1, 0.3),
        _t(5, 3, 0.0),
        _mapped("monotone", "gaussian", 2, 0.7, "cube", "none"),
        _mapped("monotone", "additive", 1, 0.5, "none", "phi"),
        _mapped("monotone", "gaussian", 3, 0.5, "exp", "exp"),
        _mapped("monotone", "additive", 2, 1.0, "units", "units"),
        _mapped("monotone", "gaussian", 1, 0.8, "cube", "exp"),
        _mapped("non-monotone", "gaussian", 1, 0.8, "modshift:0.5", "none"),
        _mapped("non-monotone", "gaussian", 2, 0.6, "modshift:0.5", "modshift:0.5"),
        _uniform(1, 0.5),
        _uniform(1, 1.0),
        _uniform(2, 0.6),
        _labels(1, 2, 2.0),
        _labels(1, 5, 1.2),
        _labels(5, 3, 1.5),
        _labels(5, 10, 0.7),
        _labels(5, 4, 0.0),
        _task("mod5-x5-noise.6.2.2", "discrete", modular_noise, kx=5, m=5, noise=(0.6, 0.2, 0.2)),
        _task(
            "table-3x4-dirichlet1", "discrete", random_table, kx=3, kt=4, alpha=1.0, table_seed=11
        ),  # fmt: skip
        _task(
            "product-4x3", "discrete", product_table, px=(0.1, 0.2, 0.3, 0.4), pt=(0.5, 0.3, 0.2)
        ),  # fmt: skip
        _task("zero-inflated-p0.3-sigma0.5", "mixed", zero_inflated, p=0.3, sigma=0.5),
        _task("zero-inflated-p0.7-sigma1", "mixed", zero_inflated, p=0.7, sigma=1.0),
        _task("discrete5+N(0,1)", "mixed", discrete_channel, k=5, sigma=1.0),
        _task("dup-all-2x2-rho0.6", "duplicates", duplicated, d=2, rho=0.6, fraction=1.0),
        _task("dup-half-2x2-rho0.6", "duplicates", duplicated, d=2, rho=0.6, fraction=0.5),
    ]


def _heldout() -> list[Task]:
    return [
        _gauss(1, 0.0),  # the one task shared with tuning: independent 1×1 has no parameter
        _gauss(1, 0.3),
        _gauss(1, 0.75),
        _gauss(5, 0.0, within=0.5),
        _gauss(5, 0.4, within=0.5),
        _gauss(25, 0.2, within=0.2),
        _gauss(50, 0.25),
        _sparse((0.92,)),
        _sparse((0.7, 0.8)),
        _sparse((0.65, 0.65, 0.65)),
        _t(1, 2, 0.5),
        _t(1, 1, 0.8),
        _t(2, 1, 0.0),
        _t(2, 3, 0.7),
        _t(5, 2, 0.3),
        _mapped("monotone", "gaussian", 1, 0.6, "exp", "none"),
        _mapped("monotone", "gaussian", 2, 0.5, "none", "cube"),
        _mapped("monotone", "additive", 3, 0.7, "phi", "cube"),
        _mapped("monotone", "gaussian", 5, 0.5, "units", "units"),
        _mapped("monotone", "additive", 1, 0.3, "phi", "exp"),
        _mapped("non-monotone", "gaussian", 1, 0.7, "none", "modshift:0.3"),
        _mapped("non-monotone", "additive", 2, 0.5, "modshift:0.5", "modshift:0.25"),
        _uniform(1, 0.2),
        _uniform(1, 0.8),
        _uniform(3, 0.9),
        _labels(1, 3, 1.2),
        _labels(1, 8, 0.5),
        _labels(5, 2, 3.0),
        _labels(5, 6, 1.0, probs=(0.4, 0.2, 0.15, 0.1, 0.1, 0.05)),
        _labels(1, 3, 0.0),
        _task("mod4-x5-noise.7.2.1", "discrete", modular_noise, kx=5, m=4, noise=(0.7, 0.2, 0.1)),
        _task(
            "table-4x6-dirichlet0.5", "discrete", random_table, kx=4, kt=6, alpha=0.5, table_seed=23
        ),  # fmt: skip
        _task(
            "product-2x5", "discrete", product_table, px=(0.3, 0.7), pt=(0.2, 0.2, 0.2, 0.2, 0.2)
        ),  # fmt: skip
        _task("zero-inflated-p0.5-sigma0.3", "mixed", zero_inflated, p=0.5, sigma=0.3),
        _task("zero-inflated-p0.2-sigma2", "mixed", zero_inflated, p=0.2, sigma=2.0),
        _task("discrete5+N(0,0.6²)", "mixed", discrete_channel, k=5, sigma=0.6),
        _task("dup-all-3x3-rho0.5", "duplicates", duplicated, d=3, rho=0.5, fraction=1.0),
        _task("dup-half-1x1-rho0.7", "duplicates", duplicated, d=1, rho=0.7, fraction=0.5),
    ]


def tasks(split: str) -> list[Task]:
    """The tasks of a split, ``"tuning"`` or ``"heldout"`` (same groups, other parameters)."""
    if split == "tuning":
        return _tuning()
    if split == "heldout":
        return _heldout()
    raise MitoolError(f"unknown split '{split}'; choose one of: {', '.join(SPLITS)}")
