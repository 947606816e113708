"""The names of the MI-preserving transforms (:mod:`mitool.transforms`) and their order, without
the transforms themselves: what the command line and the paper's tables need to read a list of
transforms, and nothing that loads numpy (``mitool benchmark --help`` stays light, issue 21).

The paper applies "a random subset in a random order" without saying which order; its numbers
show that the noise columns of dn passed through sg (digest §4.2), so :data:`CANONICAL_ORDER`
puts the dimension-changing steps first: dn → ds → rm → cb → sg (digest §7.10).
"""

from __future__ import annotations

from collections.abc import Sequence

from mitool.errors import MitoolError

#: Every transform's name, in the paper's order (the keys of mitool.transforms.TRANSFORMS).
NAMES = ("rm", "cb", "sg", "ds", "dn")
#: The order :func:`canonical` sorts a set of names into.
CANONICAL_ORDER = ("dn", "ds", "rm", "cb", "sg")


def parse(names: str | Sequence[str]) -> tuple[str, ...]:
    """Transform names from ``"sg,ds"`` or a list; unknown or repeated names are errors."""
    items = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    items = [n for n in items if n and n != "none"]
    unknown = [n for n in items if n not in NAMES]
    if unknown:
        raise MitoolError(
            f"unknown transform(s) {', '.join(unknown)}; choose from: {', '.join(NAMES)}"
        )
    if len(set(items)) != len(items):
        raise MitoolError(f"a transform is repeated in '{','.join(items)}'")
    return tuple(items)


def canonical(names: Sequence[str]) -> tuple[str, ...]:
    """The names in the order dn → ds → rm → cb → sg."""
    return tuple(n for n in CANONICAL_ORDER if n in names)
