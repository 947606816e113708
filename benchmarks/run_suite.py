"""Run estimator/norm pairs on the accuracy suite (mitool.suite) and print a markdown report.

    python benchmarks/run_suite.py --split tuning --pairs ksg/none,ksg/global-linf -n 5000

Pairs are ``estimator/norm`` or ``estimator`` (its default norm), passed to mitool.estimate as
they are: a name it does not know is reported as an error for that pair. Tune thresholds on
``--split tuning`` and report them on ``--split heldout`` (other parameters, same groups).
"""

from __future__ import annotations

import argparse
import sys

from mitool.errors import MitoolError
from mitool.progress import stderr_is_terminal
from mitool.suite import SPLITS
from mitool.suite_score import report_markdown, run_suite

DEFAULT_PAIRS = "ksg/none,ksg/global-linf,ksg/local,ksg2/none,bi-ksg/none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, default="tuning")
    parser.add_argument("--pairs", default=DEFAULT_PAIRS, help="comma-separated pairs")
    parser.add_argument("-n", type=int, default=5000, help="rows per task (default 5000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", "-j", type=int, default=None, help="processes (default: all)")
    parser.add_argument(
        "--units-check",
        action="store_true",
        help="also run each task with every column in other units and report the largest shift",
    )
    args = parser.parse_args(argv)
    try:
        result = run_suite(
            args.pairs,
            args.split,
            n=args.n,
            seed=args.seed,
            jobs=args.jobs,
            progress=stderr_is_terminal(),
            units_check=args.units_check,
        )
    except MitoolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(report_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
