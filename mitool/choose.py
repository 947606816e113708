"""``--estimator auto``: choose the estimator and norm from the data's diagnosis, and say why.

The rules, in order (each threshold is in :mod:`mitool.diagnose` or below; the choices were
made on the suite's ``tuning`` split and are reported on its ``heldout`` split,
benchmarks/RESULTS.md):

1. A constant side shares no information: plain KSG, which gives exactly 0 on it.
2. Both sides discrete (few distinct rows) with a joint table dense enough for counting:
   ``plugin`` (plug-in MI with the Miller-Madow correction).
3. One side discrete (class labels) and the other continuous without point masses: ``ross``
   (Ross 2014), the discrete side as labels.
4. Point masses in a continuous column (zero inflation, rounding), or discrete sides whose joint
   table is too sparse for counting: ``mixed-ksg`` (Gao, Kannan, Oh & Viswanath 2017), which
   counts the points at distance 0 instead of jittering them apart, under the rank norm
   (average ranks keep ties as ties).
5. Otherwise (continuous): ``ksg-gcmi``, the larger of KSG algorithm 1 and the Gaussian-copula
   bound (GCMI). KSG reads far too low in high dimension, where GCMI holds on Gaussian-copula
   data; GCMI reads low on heavy tails and non-monotone dependence, where KSG holds
   (:mod:`mitool.estimators.ksg_gcmi`).

For ``ksg-gcmi`` and ``ross`` the continuous sides go under the rank norm (each column to the
normal scores of its ranks) when a column has heavy tails (excess kurtosis above
``HEAVY_TAILS``), and under the local norm (each column divided by its sd) otherwise: both make
the estimate invariant to each column's units, and on light tails (uniform noise) the normal
scores stretch the edges of a bounded column, which cost KSG 0.006-0.025 nats on the tuning
split. ``mixed-ksg`` always takes the rank norm: on the tuning split's point-mass tasks it was
3x closer than under the local norm (MAE 0.005 against 0.016).

Exact copies of joint rows, where the distinct rows have no point mass, are duplicated records
(:mod:`mitool.diagnose`): they are dropped before estimating, and the choice says how many.
Every rule acts on counts of distinct values and on excess kurtosis, which no change of a
column's units alters, and each chosen estimator and norm is invariant to such changes: so is
``auto``. (It is not invariant to every increasing map of a column: one can move the kurtosis
across the threshold, and then the local norm gives way to the rank norm.)
"""

from __future__ import annotations

from dataclasses import dataclass

from mitool.diagnose import HEAVY_TAILS, POINT_MASS, Diagnosis

#: Both sides discrete: ``plugin`` when the joint table has at most n / this many cells (so
#: that the Miller-Madow correction, a first-order term, is small); else ``mixed-ksg``.
ROWS_PER_CELL = 5


@dataclass(frozen=True)
class Choice:
    """What ``auto`` runs: an estimator and its norm, and why.

    ``swap``: X holds the class labels, so the pair goes to the estimator as (T, X) (MI is
    symmetric). ``dedupe``: duplicated records are dropped first. ``reason``: one line for the
    table.
    """

    estimator: str
    norm: str
    reason: str
    swap: bool = False
    dedupe: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "estimator": self.estimator,
            "norm": self.norm,
            "reason": self.reason,
            "swapped": self.swap,
            "dropped_copies": self.dedupe,
        }


def choose(diagnosis: Diagnosis, names: tuple[str, str] = ("X", "T")) -> Choice:
    """The estimator and norm ``auto`` runs on data with this diagnosis (module docstring)."""
    d, (x_name, t_name) = diagnosis, names
    norm, how = _continuous_norm(d)
    for side, name in ((d.x, x_name), (d.t, t_name)):
        if side.constant:
            return Choice("ksg", "none", f"{name} is constant: it shares no information")
    dedupe = d.copies_are_records
    copies = (
        f"; {d.copies} duplicated record(s) dropped (copies of rows whose values are "
        "otherwise distinct inflate kNN estimates)"
        if dedupe
        else ""
    )
    if d.x.discrete and d.t.discrete:
        cells = d.n / ROWS_PER_CELL
        if d.x.symbols * d.t.symbols <= cells:
            return Choice(
                "plugin",
                "none",
                f"both discrete ({d.x.symbols} x {d.t.symbols} values): plug-in with the "
                "Miller-Madow correction",
            )
        return Choice(
            "mixed-ksg",
            "rank",
            f"both discrete but {d.x.symbols} x {d.t.symbols} values is too many cells for "
            f"{d.n} rows: mixed-pair kNN (Gao et al. 2017)",
        )
    for labels, other, swap, label_name, other_name in (
        (d.t, d.x, False, t_name, x_name),
        (d.x, d.t, True, x_name, t_name),
    ):
        if labels.discrete and labels.smallest_class >= 2 and other.point_mass < POINT_MASS:
            return Choice(
                "ross",
                norm,
                f"{label_name} holds {labels.symbols} classes, {other_name} is continuous: "
                f"Ross (2014), {how}{copies}",
                swap=swap,
                dedupe=dedupe,
            )
    masses = [
        f"{name} (a share {side.point_mass:.2f} of values repeat)"
        for side, name in ((d.x, x_name), (d.t, t_name))
        if not side.discrete and side.point_mass >= POINT_MASS
    ]
    if masses or d.x.discrete or d.t.discrete:
        what = ", ".join(masses) if masses else "a discrete side with a class of one row"
        return Choice(
            "mixed-ksg",
            "rank",
            f"point masses in {what}: mixed-pair kNN (Gao et al. 2017), ties kept as ties of "
            "average rank (rank norm)",
        )
    return Choice(
        "ksg-gcmi",
        norm,
        f"continuous (d = {d.x.columns} + {d.t.columns}): the larger of KSG and the "
        f"Gaussian-copula bound; {how}{copies}",
        dedupe=dedupe,
    )


def _continuous_norm(d: Diagnosis) -> tuple[str, str]:
    """The norm of the continuous sides, and why: rank on heavy tails, local otherwise."""
    tails = max((s.kurtosis for s in (d.x, d.t) if not s.discrete), default=0.0)
    if tails > HEAVY_TAILS:
        return "rank", f"rank norm: heavy tails (excess kurtosis {tails:.3g})"
    return "local", f"local norm: light tails (excess kurtosis {tails:.3g})"
