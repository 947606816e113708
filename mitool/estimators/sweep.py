"""The sweep over c shared by the kNN estimators: Î(X; c·T) for every c of a grid.

What is shared. X never changes with c, and the marginal structure of c·T is that of T scaled
(in 1-D the sort order is reused bit for bit, the kd-tree and the slab index scale on the fly),
so each marginal's counter is built once; only the joint space, whose neighbours depend on c, is
searched again at each c (:func:`mitool.search.joint.joint_eps`). With one max-norm dimension
per side the whole sweep is one compiled pass (:mod:`mitool.search.rank_grid`); on the kd-tree
path the marginal counts at many c come from one search each (:meth:`Counter.count_many`).
Every path gives the values of evaluating each c alone, bit for bit.

Why skipping a c is safe (the one proof; docs/search.md points here). KSG algorithm 1 and
BI-KSG have the form Î(c) = A − ⟨f(a_i(c)) + f(b_i(c))⟩ with f increasing (:class:`MonotoneForm`),
where a_i(c) counts X-neighbours and b_i(c) T-neighbours of point i within the joint radius
ε_c(i) (its k-th neighbour distance in (x, c·t)).

1. Each joint distance d_c(i, j) = max(|x_j − x_i|, c·|t_j − t_i|) is non-decreasing in c, and
   d_c(i, j)/c = max(|x_j − x_i|/c, |t_j − t_i|) is non-increasing. The k-th smallest of
   non-decreasing functions is non-decreasing: ε_c(i) cannot shrink as c grows, and ε_c(i)/c
   cannot grow. In floating point the same holds for the computed values: c·t_j and the
   subtraction are monotone under rounding, and the maximum and the k-th smallest are exact.
2. a_i(c) counts j with |x_j − x_i| within ε_c(i): non-decreasing in c. b_i(c) counts j with
   |c·t_j − c·t_i| within ε_c(i), i.e. |t_j − t_i| within ε_c(i)/c (to the rounding of c·t,
   which the counts decide by the scaled subtraction itself, so this is exact): non-increasing
   in c. So walking down the grid from c_start (the c nearest 1), b_i at the previous (larger)
   c is a lower bound on b_i here; walking up, a_i at the previous (smaller) c bounds a_i.
3. f is increasing, so with the other count exact, Î(c) <= A − ⟨f(a_i(c)) + f(lower_i)⟩ for
   any lower_i <= b_i(c) (and symmetrically). When that upper bound is below the best value
   found so far minus a margin of 4/n, c cannot hold the maximum: the growing count (the one
   whose balls grow towards this end of the grid, hence the costly one) is not taken in full,
   the curve reports NaN with the bound, and the maximum and its c are exactly those of the
   full curve. The margin, far above any rounding-level difference in a few counts, keeps a
   skip from ever hinging on the last bit of a value.
4. Any valid lower bound serves, so before counting in full the bound is tightened
   (:func:`tighten`): by Bonferroni's inequality on the slabs whose intersection is the
   max-norm ball (#ball >= Σ_d #slab_d − (D − 1)·n, each slab counted with the ball's own
   arithmetic), then by the exact counts of the rows likely to gain most, in rounds
   (:func:`round_size`), until the bound falls below the target or every count is exact. Each
   count that replaces a bound is exact, so the bounds stay bounds, and a c whose counts all
   become exact gets its exact value.

Progress (issue 21). A sweep reports to the :class:`~mitool.steps.Steps` it is given, between
its compiled calls: the joint search, one unit per c, then :func:`count_units` per c and side
for the marginal counts, reported as the counts end (a batch for all its c at once) and, for a
c skipped by the bound, at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from mitool.estimators.curve import Curve
from mitool.search.counters import Counter, build_counter
from mitool.search.joint import joint_eps, sweep_counts
from mitool.search.plan import SearchPlan
from mitool.steps import NO_STEPS, Steps

#: T's counts at c >= c_start / FAR share one kd-tree search in the sweep (a search costs about
#: as much as its largest ball); those below it are bounded, then counted row by row or in
#: full, only as far as the bound needs (timings: benchmarks/RESULTS.md).
FAR = 2.0
#: The share of the rows whose growing count :func:`tighten` takes exactly in its first round
#: when no guess of the counts is at hand (and the least share of any round).
FIRST_SHARE = 1 / 64
#: The least share of a round when the slabs guess every count.
MIN_SHARE = 1 / 1024
#: Units of progress of one side's marginal counts at one c, where the joint search at one c is
#: one unit (module docstring): in several dimensions each takes about the same time (20-D X,
#: 1-D T, n = 20,000: 0.58 s per c for the joint search, 0.70 s for X's counts), while a 1-D
#: count (a sort, then a binary search per row) takes about 1/50 of that (0.01 s).
COUNT_UNITS = 1.0
ONE_D_UNITS = 0.05


@dataclass(frozen=True)
class MonotoneForm:
    """A kNN estimator of the form Î = offset − ⟨term(a_i) + term(b_i)⟩ (module docstring).

    Attributes
    ----------
    metric : norm of the joint and marginal distances.
    strict : count marginal neighbours with ``<`` (KSG algorithm 1) or ``<=`` (BI-KSG).
    offset : ``offset(n, d_x, d_t, k)``, the constant A.
    term : f applied to the marginal counts (which include the point itself).
    widen : maps the joint radius to the counting radius (None: the radius itself).
    """

    metric: str
    strict: bool
    offset: Callable[[int, int, int, int], float]
    term: Callable[[np.ndarray], np.ndarray]
    widen: Callable[[np.ndarray], np.ndarray] | None = None


@dataclass(frozen=True)
class UpperBound:
    """Î at one c from the exact count of one side and lower bounds on the other's:
    offset − ⟨f(exact) + f(lower)⟩, an upper bound on Î that is Î itself once ``lower`` is
    exact."""

    offset: float
    exact_terms: np.ndarray  # f of the exact counts
    term: Callable[[np.ndarray], np.ndarray]

    def __call__(self, lower: np.ndarray) -> float:
        return self.offset - np.mean(self.exact_terms + self.term(lower))


@dataclass
class SweepState:
    """One sweep's counters, radii and results so far (:func:`monotone_sweep`).

    ``x_batch`` and ``t_batch`` hold the counts taken for many c in one search, by index of c;
    ``values`` and ``bounds`` are the curve being filled, ``best`` its maximum so far;
    ``steps`` hears of the progress.
    """

    scales: Sequence[float]
    form: MonotoneForm
    offset: float
    x_counter: Counter
    t_counter: Counter
    radii: list[np.ndarray]
    exhaustive: bool
    x_batch: dict[int, np.ndarray] = field(default_factory=dict)
    t_batch: dict[int, np.ndarray] = field(default_factory=dict)
    steps: Steps = NO_STEPS
    values: np.ndarray = field(init=False)
    bounds: np.ndarray = field(init=False)
    best: float | None = None  # None until the first value

    def __post_init__(self) -> None:
        self.values = np.full(len(self.scales), np.nan)
        self.bounds = np.full(len(self.scales), np.nan)

    @property
    def margin(self) -> float:
        """How far below the best a bound must be to skip a c (module docstring, step 3)."""
        return 4.0 / len(self.radii[0])

    def t_counter_at(self, i: int) -> Counter:
        """The counter of c·T at the i-th c."""
        c = self.scales[i]
        return self.t_counter if c == 1.0 else self.t_counter.scaled(c)

    def x_counts(self, i: int, units: float = 0.0) -> np.ndarray:
        """X's counts at the i-th c; ``units`` of progress reported as they are counted (none
        when a batch holds them: the batch reported its own)."""
        if i in self.x_batch:
            return self.x_batch[i]
        strict = self.form.strict
        return self.x_counter.count(self.radii[i], strict=strict, steps=self.steps, units=units)

    def t_counts(self, i: int, counter: Counter, units: float = 0.0) -> np.ndarray:
        """c·T's counts at the i-th c (``counter``: :meth:`t_counter_at`; ``units`` as for
        :meth:`x_counts`)."""
        if i in self.t_batch:
            return self.t_batch[i]
        return counter.count(self.radii[i], strict=self.form.strict, steps=self.steps, units=units)

    def counted(self, i: int) -> None:
        """Progress: the i-th c is done (counted, or skipped by its bound), for the units of its
        marginal counts that no batch has reported yet."""
        x_units = count_units(self.x_counter) * (i not in self.x_batch)
        self.steps.advance(x_units + count_units(self.t_counter) * (i not in self.t_batch))

    def record(self, i: int, value: float) -> None:
        """An exact value at the i-th c."""
        self.values[i] = self.bounds[i] = value
        self.best = value if self.best is None else max(self.best, value)


def monotone_sweep(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    form: MonotoneForm,
    *,
    plan: SearchPlan | None = None,
    exhaustive: bool = False,
    steps: Steps = NO_STEPS,
) -> Curve:
    """Evaluate ``form`` at every c of ``scales`` (T times c), skipping provably lower c.

    With ``exhaustive`` every value is computed. Either way the maximum and its position are
    the same (module docstring). ``plan``: the searches' paths (None: ``auto`` for these
    arrays); ``steps`` hears of the progress (module docstring).
    """
    plan = SearchPlan.for_pair(x, t) if plan is None else plan
    offset = form.offset(len(x), x.shape[1], t.shape[1], k)
    if form.metric == "chebyshev" and form.widen is None and len(scales) > 1:
        curve = _one_pass(x, t, scales, k, form, plan, offset, steps)
        if curve is not None:
            return curve
    order = np.argsort(scales, kind="stable")
    start = int(np.argmin(np.abs(np.log(np.asarray(scales, dtype=float)[order]))))
    x_counter, t_counter = build_counter(x, plan, form.metric), build_counter(t, plan, form.metric)
    steps.begin((1 + count_units(x_counter) + count_units(t_counter)) * len(scales))
    steps.phase("joint search")
    radii = joint_eps(x, t, list(scales), k, plan, form.metric, steps=steps)
    if form.widen is not None:
        radii = [form.widen(eps) for eps in radii]
    state = SweepState(scales, form, offset, x_counter, t_counter, radii, exhaustive, steps=steps)
    _count_in_batches(state, order, start)
    first = order[start]
    steps.phase(f"X counts at c = {scales[first]:g}")
    a = state.x_counts(first, units=count_units(x_counter))
    steps.phase(f"T counts at c = {scales[first]:g}")
    b = state.t_counts(first, state.t_counter_at(first), units=count_units(t_counter))
    state.record(first, UpperBound(offset, form.term(a), form.term)(b))
    _walk(state, order[:start][::-1], lower=b, growing_is_t=True)  # down: T's balls grow
    _walk(state, order[start + 1 :], lower=a, growing_is_t=False)  # up: X's balls grow
    return Curve(tuple(scales), state.values, state.bounds)


def count_units(counter: Counter) -> float:
    """Units of progress of one count of ``counter`` at one c (:data:`COUNT_UNITS`)."""
    return COUNT_UNITS if counter.points.shape[1] > 1 else ONE_D_UNITS


def _one_pass(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    form: MonotoneForm,
    plan: SearchPlan,
    offset: float,
    steps: Steps,
) -> Curve | None:
    """Every c at once, exactly, with one dimension per side (:mod:`mitool.search.rank_grid`),
    or None where that pass does not apply (the sweep then begins ``steps`` anew)."""
    if x.shape[1] == t.shape[1] == 1:  # the pass's own test follows: it may still not apply
        steps.begin(1.0)
        steps.phase("one pass over every c")
    counts = sweep_counts(x, t, tuple(scales), k, plan, strict=form.strict)
    if counts is None:
        return None
    steps.advance(1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = form.term(np.arange(len(x) + 1))  # f(count), looked up: bit for bit f
    values = [offset - np.mean(table[a] + table[b]) for a, b in zip(*counts, strict=True)]
    return Curve.exact(scales, values)


def _count_in_batches(state: SweepState, order: np.ndarray, start: int) -> None:
    """Where one search counts at many radii (the kd-tree): X's counts at every c, and T's at
    every c >= c_start / FAR (T's balls grow as c shrinks, and a search costs about as much as
    its largest ball); the others are counted c by c, when the bound cannot skip them. Where
    all pairs beat the tree in X (:attr:`Counter.scales_many` False), X's counts at every c
    take one pass over the pairs, whatever T's counter: each count alone costs as much."""
    scales, strict = state.scales, state.form.strict
    x_many, t_many = state.x_counter.counts_many, state.t_counter.scales_many
    if len(scales) < 2 or not x_many or not (t_many or not state.x_counter.scales_many):
        return
    state.steps.phase("marginal counts")
    state.x_batch = dict(enumerate(state.x_counter.count_many(state.radii, strict=strict)))
    state.steps.advance(count_units(state.x_counter) * len(scales))
    if not t_many:
        return
    floor = scales[order[start]] / FAR
    near = [int(i) for i in order if scales[i] >= floor]
    if near:
        counts = state.t_counter.count_many(
            [state.radii[i] for i in near], strict=strict, scales=[scales[i] for i in near]
        )
        state.t_batch = dict(zip(near, counts, strict=True))
        state.steps.advance(count_units(state.t_counter) * len(near))


def _walk(state: SweepState, path: np.ndarray, *, lower: np.ndarray, growing_is_t: bool) -> None:
    """Visit the c of ``path`` (away from c_start), counting the shrinking side exactly and
    bounding the growing side from below by its counts at the previous c (module docstring,
    step 2); a c is taken in full only where the bound cannot prove it below the best."""
    form = state.form
    for i in path:
        state.steps.phase(f"counts at c = {state.scales[i]:g}")
        t_counter = state.t_counter_at(i)
        exact = state.x_counts(i) if growing_is_t else state.t_counts(i, t_counter)
        bound = UpperBound(state.offset, form.term(exact), form.term)
        batched = (i in state.t_batch) if growing_is_t else (i in state.x_batch)
        if batched or state.exhaustive:  # already counted, or every value asked for
            lower = state.t_counts(i, t_counter) if growing_is_t else state.x_counts(i)
        else:
            counter = t_counter if growing_is_t else state.x_counter
            target = state.best - state.margin
            lower, complete = tighten(counter, state.radii[i], form.strict, lower, bound, target)
            if not complete:
                state.bounds[i] = bound(lower)
                state.counted(i)
                continue
        state.record(i, bound(lower))
        state.counted(i)


def tighten(
    counter: Counter,
    radius: np.ndarray,
    strict: bool,
    lower: np.ndarray,
    bound: UpperBound,
    target: float,
) -> tuple[np.ndarray, bool]:
    """Lower bounds on the growing counts at one c, tightened until ``bound(lower) < target``
    or every count is exact. Returns (the bounds, whether they are the exact counts).

    ``lower`` comes from the neighbouring c (the monotone bound). In the max norm the ball is
    the intersection of one slab per dimension, so #ball >= Σ_d #slab_d − (D − 1)·n
    (Bonferroni), a bound from 1-D counts that is tight for the large balls at the ends of the
    grid. Then rows are counted exactly, those whose count promises the largest gain in f first
    (in the max norm the slabs give a guess of each count; otherwise the smallest bounds, where
    f is steepest), in rounds sized by :func:`round_size`. Where counting some rows costs a
    full count (all pairs, a device, the 1-D sort), all are counted at once.
    """
    n, dim = counter.points.shape
    if bound(lower) < target:
        return lower, False
    if dim == 1:  # a 1-D count costs less than bounding it
        return counter.count(radius, strict=strict), True
    lower = lower.copy()
    queue = np.argsort(lower, kind="stable")  # where f is steepest first
    promised = None
    if counter.metric == "chebyshev":
        slabs = counter.slab_counts(radius, strict=strict)
        np.maximum(lower, slabs.sum(axis=0) - (dim - 1) * n, out=lower)
        # With independent dimensions the ball would hold n·Π_d(#slab_d / n): only a guess,
        # which orders the rows by the gain their exact count is likely to bring.
        guess = np.maximum(n * np.prod(slabs / n, axis=0), lower)
        with np.errstate(divide="ignore", invalid="ignore"):  # empty balls sort last
            gain = bound.term(guess) - bound.term(lower)
            queue = np.argsort(-gain / np.sqrt(guess), kind="stable")
        promised = np.where(np.isfinite(gain), gain, 0.0)[queue]
    if not counter.counts_rows:  # some rows cost as much as all: bound once, then count all
        if bound(lower) < target:
            return lower, False
        return counter.count(radius, strict=strict), True
    return _count_rows_until(counter, radius, strict, lower, bound, target, queue, promised)


def _count_rows_until(
    counter: Counter,
    radius: np.ndarray,
    strict: bool,
    lower: np.ndarray,
    bound: UpperBound,
    target: float,
    queue: np.ndarray,
    promised: np.ndarray | None,
) -> tuple[np.ndarray, bool]:
    """Replace the bounds by exact counts along ``queue``, a round at a time, until the bound
    falls below ``target`` or every row is exact (:func:`tighten`)."""
    n = len(lower)
    upper = bound(lower)
    done = 0
    found = np.zeros(3)  # over rounds with a finite bound: gain in Σ f, gain promised, rows
    while done < n:
        if upper < target:
            return lower, False
        lacking = n * (upper - target) if np.isfinite(upper) and np.isfinite(target) else np.inf
        size = round_size(n, done, lacking, found, promised)
        rows = queue[done : done + size]
        lower[rows] = counter.count(radius, strict=strict, rows=rows)
        previous, upper = upper, bound(lower)
        if np.isfinite(previous) and np.isfinite(upper):
            promise = 0.0 if promised is None else promised[done : done + size].sum()
            found += (n * (previous - upper), promise, len(rows))
        done += len(rows)
    return lower, True


def round_size(
    n: int, done: int, lacking: float, found: np.ndarray, promised: np.ndarray | None
) -> int:
    """How many rows of the queue the next round of :func:`tighten` counts.

    ``lacking`` is the gain in Σ f still needed; ``found`` holds the gain found, the gain the
    guess promised for the same rows, and their number. With a guess: the rows whose promised
    gain, times the ratio found / promised so far, covers what is lacking (a further round for
    what the ratio misjudges costs little: rows cost in proportion to their number), at least
    1/8 of the rows counted so far. Without one: 1/64 of the rows, then as many as the gain per
    row so far says, a quarter more for the gains that shrink along the queue, at most double
    the rows counted.
    """
    gain, promise, rows = found
    if promised is not None:
        ratio = gain / promise if promise > 0 and gain > 0 else 1.0
        ahead = np.cumsum(promised[done:]) * ratio
        least = max(int(n * MIN_SHARE), done // 8, 1)  # so the rounds are O(log n) at worst
        return max(int(np.searchsorted(ahead, lacking)) + 1, least)
    if not done:
        return max(1, int(n * FIRST_SHARE))
    needed = 1.25 * lacking / gain * rows if gain > 0 else np.inf
    return int(min(max(needed + 1, n * FIRST_SHARE), 2 * done))


#: ``at_scale(x_counter, t_counter, k, plan, steps) -> estimate in nats`` for one c (T already
#: scaled), reporting :data:`EACH_SCALE_UNITS` units of progress to ``steps`` as it goes.
AtScale = Callable[[Counter, Counter, int, SearchPlan, Steps], float]
#: Units of progress of one c of :func:`each_scale`: the joint search and each side's counts.
EACH_SCALE_UNITS = 3


def each_scale(
    x: np.ndarray,
    t: np.ndarray,
    scales: Sequence[float],
    k: int,
    *,
    metric: str,
    at_scale: AtScale,
    plan: SearchPlan | None = None,
    steps: Steps = NO_STEPS,
) -> Curve:
    """Evaluate a kNN estimator with no monotone form at every c of ``scales`` (T times c),
    each marginal's counter built once; ``steps`` hears of each c and its searches."""
    plan = SearchPlan.for_pair(x, t) if plan is None else plan
    x_counter = build_counter(x, plan, metric)
    t_counter = build_counter(t, plan, metric)
    steps.begin(EACH_SCALE_UNITS * len(scales))
    values = []
    for c in scales:
        steps.phase(f"c = {c:g}")
        scaled = t_counter if c == 1.0 else t_counter.scaled(c)
        values.append(at_scale(x_counter, scaled, k, plan, steps))
    return Curve.exact(scales, values)
