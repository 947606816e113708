"""Mutation check of the maths: flip one definition, run the fast tests, expect a failure.

Each mutation names a file under ``mitool/``, an exact source snippet (which must occur exactly
once in it) and its replacement. For each one the script copies a pristine snapshot of the
repository's ``mitool/``, ``tests/`` and ``pyproject.toml`` into a fresh temporary directory,
applies the replacement there, and runs

    python -m pytest -x -q -m "not slow" <fast test files>

in that directory with the copy first on ``sys.path``. A guard plugin makes pytest stop with a
usage error unless ``mitool.__file__`` lies inside the copy (the virtual environment holds an
editable install of the working tree, which must not be what the tests import). The working
tree is only read, never written.

A mutation is *killed* when pytest reports a failing test (exit status 1), *survived* when
every test passes, and otherwise reported as it went: ``snippet not found`` (the code moved:
the search layer is being refactored, so the mutations stay outside it where they can),
``snippet not unique``, ``timeout`` or ``error``. Before the mutations, the unmutated snapshot
runs the same tests once: if they fail there, the results would mean nothing, and the script
stops. The snapshot's numba cache (files copied with their times) is reused by every copy, so
no mutant recompiles the kernels.

    python benchmarks/mutate.py                  # every mutation, the default fast tests
    python benchmarks/mutate.py --list           # the mutations
    python benchmarks/mutate.py --only ksg-psi-k --only nwj-readout-minus-one
    python benchmarks/mutate.py --suite existing # the tests that predate the new ones
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Tests written to pin the definitions (issue 20, item 6); fast, and first so -x stops early.
NEW_TESTS = (
    "tests/test_normalize.py",
    "tests/test_ties.py",
    "tests/test_validate.py",
    "tests/test_result.py",
    "tests/test_resample_units.py",
    "tests/test_neural_objectives.py",
    "tests/test_knn_by_hand.py",
    "tests/test_plugin_gcmi_by_hand.py",
    "tests/test_analytic_truths.py",
)
#: The earlier fast tests of the same estimators and of the data path.
EXISTING_TESTS = (
    "tests/test_estimate.py",
    "tests/test_new_estimators.py",
    "tests/test_resample.py",
    "tests/test_neural.py",
)
SUITES = {"new": NEW_TESTS, "existing": EXISTING_TESTS, "both": NEW_TESTS + EXISTING_TESTS}


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str  # relative to the repository root
    snippet: str
    replacement: str
    description: str


MUTATIONS = (
    # --- normalisation (paper 000, Section 4.1) ---------------------------------------------
    Mutation(
        "def3-rms",
        "mitool/normalize.py",
        "spread = np.mean(np.max(np.abs(centred), axis=1))",
        "spread = np.sqrt(np.mean(np.max(np.abs(centred), axis=1) ** 2))",
        "Def. 3: the RMS instead of the mean of the L-inf norms of the centred rows",
    ),
    Mutation(
        "def1-ddof1",
        "mitool/normalize.py",
        "    sd = np.sqrt(np.mean(centred**2, axis=0))\n    if not np.any(sd > 0):",
        "    sd = np.sqrt(np.sum(centred**2, axis=0) / (len(centred) - 1))\n"
        "    if not np.any(sd > 0):",
        "Def. 1: the sample sd (ddof = 1) instead of the population sd",
    ),
    Mutation(
        "def2-mean-l2",
        "mitool/normalize.py",
        "spread = np.sqrt(np.mean(np.sum(centred**2, axis=1)))",
        "spread = np.mean(np.sqrt(np.sum(centred**2, axis=1)))",
        "Def. 2: the mean of the L2 norms instead of the root mean squared L2 norm",
    ),
    Mutation(
        "rank-r-over-n",
        "mitool/normalize.py",
        "return ndtri(ranks / (len(ranks) + 1))",
        "return ndtri((ranks - 0.5) / len(ranks))",
        "rank norm: Φ⁻¹((r − ½)/n) instead of Φ⁻¹(r/(n + 1))",
    ),
    # --- KSG and its relatives ----------------------------------------------------------------
    Mutation(
        "ksg-psi-k",
        "mitool/estimators/ksg.py",
        "offset=lambda n, d_x, d_t, k: float(digamma(k) + digamma(n)),",
        "offset=lambda n, d_x, d_t, k: float(digamma(k + 1) + digamma(n)),",
        "KSG algorithm 1: ψ(k + 1) instead of ψ(k)",
    ),
    Mutation(
        "ksg-strict",
        "mitool/estimators/ksg.py",
        'metric="chebyshev",\n    strict=True,',
        'metric="chebyshev",\n    strict=False,',
        "KSG algorithm 1: marginal counts with ≤ instead of strict <",
    ),
    Mutation(
        "ksg2-one-over-k",
        "mitool/estimators/ksg.py",
        "digamma(k) - 1.0 / k + digamma(n)",
        "digamma(k) + digamma(n)",
        "KSG algorithm 2: the −1/k term dropped",
    ),
    Mutation(
        "bi-ksg-log-count",
        "mitool/estimators/bi_ksg.py",
        "return np.log(count - 1)",
        "return np.log(count)",
        "BI-KSG: ln of the count with the point itself instead of ln n_x",
    ),
    Mutation(
        "mixed-ln-n",
        "mitool/estimators/mixed_ksg.py",
        "digamma(k_i) + np.log(len(x))",
        "digamma(k_i) + digamma(len(x))",
        "mixed-KSG: ψ(n) instead of the reference code's ln n",
    ),
    Mutation(
        "ties-zero-radius",
        "mitool/ties.py",
        "int(np.sum(group > k))",
        "int(np.sum(group >= k))",
        "ties: a zero k-th-neighbour radius counted from k copies instead of k + 1",
    ),
    # --- discrete and copula estimators ---------------------------------------------------------
    Mutation(
        "miller-madow",
        "mitool/estimators/plugin.py",
        "h + (len(counts) - 1) / (2 * n)",
        "h + len(counts) / (2 * n)",
        "plug-in: Miller–Madow m/(2n) instead of (m − 1)/(2n)",
    ),
    Mutation(
        "gcmi-bias-off",
        "mitool/estimators/gcmi.py",
        "value += -bias(n, d_x) - bias(n, d_t) + bias(n, d)",
        "value += 0.0",
        "GCMI: Ince's bias correction of the log-determinants dropped",
    ),
    Mutation(
        "gcmi-bias-psi",
        "mitool/estimators/gcmi.py",
        "digamma((n - i) / 2.0)",
        "digamma((n - i + 1) / 2.0)",
        "GCMI: ψ((n − i + 1)/2) instead of ψ((n − i)/2) in b(d)",
    ),
    # --- neural objectives ------------------------------------------------------------------------
    Mutation(
        "nwj-readout-minus-one",
        "mitool/estimators/neural.py",
        "return joint - float(torch.exp(marginal - 1).mean())",
        "return joint - float(torch.exp(marginal).mean())",
        "NWJ readout: E_Q e^f instead of E_Q e^(f − 1)",
    ),
    Mutation(
        "nwj-train-minus-one",
        "mitool/estimators/neural.py",
        "second = torch.exp(marginal - 1).mean()",
        "second = torch.exp(marginal).mean()",
        "NWJ training objective: E_Q e^f instead of E_Q e^(f − 1)",
    ),
    Mutation(
        "dv-readout-mean",
        "mitool/estimators/neural.py",
        "return joint - (float(torch.logsumexp(marginal, dim=0)) - math.log(len(marginal)))",
        "return joint - float(marginal.mean())",
        "DV readout: a plain mean of f under Q instead of log-mean-exp",
    ),
    Mutation(
        "dv-train-mean",
        "mitool/estimators/neural.py",
        "log_mean = lse - math.log(b)",
        "log_mean = marginal.mean()",
        "DV in training (MINE loss and trace): a plain mean instead of log-mean-exp",
    ),
    Mutation(
        "infonce-readout-log-b",
        "mitool/estimators/neural.py",
        "torch.logsumexp(scores, dim=1) + math.log(b)",
        "torch.logsumexp(scores, dim=1)",
        "InfoNCE readout: the + log(batch) term dropped",
    ),
    Mutation(
        "infonce-train-log-b",
        "mitool/estimators/neural.py",
        "second = torch.logsumexp(scores, dim=1) - math.log(b)",
        "second = torch.logsumexp(scores, dim=1)",
        "InfoNCE training objective and trace: the log(batch) term dropped",
    ),
    Mutation(
        "infonce-readout-axis",
        "mitool/estimators/neural.py",
        "scores.diagonal() - torch.logsumexp(scores, dim=1)",
        "scores.diagonal() - torch.logsumexp(scores, dim=0)",
        "InfoNCE readout: log-sum-exp over the t's of a column instead of the x's of a row",
    ),
    # --- resampling -----------------------------------------------------------------------------
    Mutation(
        "subsample-sqrt-m-over-n",
        "mitool/resample.py",
        "sd = math.sqrt(within / dof * size / n)",
        "sd = math.sqrt(within / dof)",
        "subsampling: the sd of Î_m not rescaled by sqrt(m/n)",
    ),
    Mutation(
        "perm-plus-one",
        "mitool/resample.py",
        "p_value=(1 + int(np.sum(null >= observed))) / (1 + len(null)),",
        "p_value=int(np.sum(null >= observed)) / len(null),",
        "permutation p-value: #{null ≥ value}/P instead of (1 + #)/(P + 1)",
    ),
    Mutation(
        "perm-strict",
        "mitool/resample.py",
        "int(np.sum(null >= observed))",
        "int(np.sum(null > observed))",
        "permutation p-value: ties with the observed value not counted",
    ),
    Mutation(
        "bootstrap-ddof0",
        "mitool/resample.py",
        "sd = float(values.std(ddof=1))",
        "sd = float(values.std())",
        "bootstrap: the population sd of the replicates instead of the sample sd",
    ),
    Mutation(
        "small-n-boundary",
        "mitool/resample.py",
        "if n < MIN_INTERVAL_ROWS:",
        "if n <= MIN_INTERVAL_ROWS:",
        "small-n policy: no interval at exactly 30 rows",
    ),
    Mutation(
        "bits-log2",
        "mitool/result.py",
        "return nats / math.log(2) if units",
        "return nats * math.log(2) if units",
        "units: nats times ln 2 instead of over ln 2",
    ),
)

GUARD = '''"""Loaded by benchmarks/mutate.py with -p: refuse to run unless mitool is the copy."""
import os

import pytest


def pytest_configure(config):
    import mitool

    root = os.path.realpath(os.environ["MUTATE_ROOT"])
    where = os.path.realpath(mitool.__file__)
    if not where.startswith(root + os.sep):
        raise pytest.UsageError(f"mitool imported from {where}, not from the copy in {root}")
'''


def snapshot(dest: Path) -> None:
    """Copy mitool/, tests/ and pyproject.toml (times kept, bytecode left behind) into dest."""
    skip = shutil.ignore_patterns("*.pyc", ".pytest_cache")
    shutil.copytree(REPO / "mitool", dest / "mitool", ignore=skip)
    shutil.copytree(REPO / "tests", dest / "tests", ignore=skip)
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    (dest / "_mutate_guard.py").write_text(GUARD)


def environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), *filter(None, [env.get("PYTHONPATH")])])
    env["MUTATE_ROOT"] = str(root)
    return env


def imported_from(root: Path) -> str:
    """Where ``import mitool`` resolves in a subprocess run as the tests will be."""
    out = subprocess.run(
        [sys.executable, "-c", "import mitool; print(mitool.__file__)"],
        cwd=root,
        env=environment(root),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def run_tests(root: Path, tests: tuple[str, ...], timeout: float) -> tuple[str, float, str]:
    """(status, seconds, first failing test or a note) of the fast tests in ``root``."""
    where = imported_from(root)
    if not os.path.realpath(where).startswith(os.path.realpath(root) + os.sep):
        return "error", 0.0, f"mitool resolves to {where}, not to the copy"
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-m", "not slow",
           "-p", "_mutate_guard", "-p", "no:cacheprovider", *tests]  # fmt: skip
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=root, env=environment(root), capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started, f"over {timeout:.0f} s"
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    failed = re.search(r"^(FAILED|ERROR) (\S+)", output, re.MULTILINE)
    if proc.returncode == 1:
        return "killed", seconds, " ".join(failed.groups()) if failed else "a test failed"
    if proc.returncode == 0:
        return "survived", seconds, ""
    tail = output.strip().splitlines()[-1:] or [""]
    return "error", seconds, f"pytest exit {proc.returncode}: {tail[0][:100]}"


def apply(root: Path, mutation: Mutation) -> str | None:
    """Apply the mutation in the copy; None, or why it could not be applied."""
    target = root / mutation.path
    if not target.exists():
        return f"snippet not found ({mutation.path} does not exist)"
    source = target.read_text()
    count = source.count(mutation.snippet)
    if count == 0:
        return f"snippet not found in {mutation.path}"
    if count > 1:
        return f"snippet not unique in {mutation.path} ({count} occurrences)"
    target.write_text(source.replace(mutation.snippet, mutation.replacement))
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the mutations and exit")
    parser.add_argument("--only", action="append", metavar="NAME", help="run this mutation")
    parser.add_argument("--suite", choices=sorted(SUITES), default="both")
    parser.add_argument("--tests", nargs="+", metavar="FILE", help="test files (over --suite)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per pytest run")
    args = parser.parse_args(argv)

    if args.list:
        for m in MUTATIONS:
            print(f"{m.name:24s} {m.path:30s} {m.description}")
        return 0
    chosen = list(MUTATIONS)
    if args.only:
        unknown = set(args.only) - {m.name for m in MUTATIONS}
        if unknown:
            parser.error(f"unknown mutation(s): {', '.join(sorted(unknown))} (see --list)")
        chosen = [m for m in MUTATIONS if m.name in args.only]
    tests = tuple(args.tests) if args.tests else SUITES[args.suite]

    with tempfile.TemporaryDirectory(prefix="mitool-mutate-") as scratch:
        pristine = Path(scratch) / "pristine"
        snapshot(pristine)
        missing = [t for t in tests if not (pristine / t).exists()]
        if missing:
            parser.error(f"no such test file(s): {', '.join(missing)}")
        print(f"baseline: {len(tests)} test files on the unmutated copy ...", flush=True)
        status, seconds, note = run_tests(pristine, tests, args.timeout)
        verdict = "passes" if status == "survived" else f"{status} {note}"
        print(f"baseline: {verdict} ({seconds:.1f} s)", flush=True)
        if status != "survived":  # the unmutated code must pass, or nothing below means much
            print("the tests do not pass on the unmutated snapshot; stopping", file=sys.stderr)
            return 2
        rows = []
        for m in chosen:
            copy = Path(tempfile.mkdtemp(prefix=f"{m.name}-", dir=scratch))
            shutil.copytree(pristine, copy, dirs_exist_ok=True)
            problem = apply(copy, m)
            if problem:
                rows.append((m, "not applied", 0.0, problem))
            else:
                rows.append((m, *run_tests(copy, tests, args.timeout)))
            print(f"{m.name:24s} {rows[-1][1]:11s} {rows[-1][2]:6.1f} s  {rows[-1][3]}", flush=True)
            shutil.rmtree(copy, ignore_errors=True)

    print()
    head = f"{'mutation':24s} | {'file':28s} | {'result':11s} | {'s':>6s} |"
    print(f"{head} first failing test / note")
    print("-" * 120)
    for m, status, seconds, note in rows:
        short = m.path.removeprefix("mitool/")
        print(f"{m.name:24s} | {short:28s} | {status:11s} | {seconds:6.1f} | {note}")
    killed = sum(status in ("killed", "timeout") for _, status, _, _ in rows)
    print(f"\n{killed} of {len(rows)} killed; survivors: "
          + (", ".join(m.name for m, s, _, _ in rows if s == "survived") or "none"))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
