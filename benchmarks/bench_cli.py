"""The runs a user makes every day, timed as a user makes them: fresh processes of the ``mitool``
command (issue 21).

Cells, each the median of ``--repeats`` runs in a fresh process (wall time):

- start-up: ``mitool --help``, ``mitool --version``, ``mitool estimate --help``, beside
  ``python -c "import numpy"`` (the reference: the target is at most 0.3 s or 2x it);
- the sample data (``mitool estimate sample_data/x.npy sample_data/t.npy``): the first run with
  numba's cache empty (``NUMBA_CACHE_DIR`` pointed at a new folder, as after an install), in a
  pipe (it compiles) and on a pseudo-terminal (scipy's trees while a background process
  compiles), then warm runs;
- the default estimate (auto, with its interval) against the point estimate alone (``-B 0``) at
  three sizes, 1-D and 5-D: the ratio is what the interval costs;
- a tiny input (n = 10) with the defaults.

    python benchmarks/bench_cli.py                 # every cell (a few minutes)
    python benchmarks/bench_cli.py --only startup,small --repeats 5
    python benchmarks/bench_cli.py --against /tmp/old/.venv/bin/mitool   # ratios to another build
    python benchmarks/bench_cli.py --previous /tmp/head   # ratios to a checkout (PYTHONPATH)
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CELLS = ("startup", "sample", "interval", "small")
SIZES = (10_000, 100_000, 300_000)


def _mitool() -> list[str]:
    """This checkout's command, run as ``python -m mitool`` with this interpreter."""
    return [sys.executable, "-m", "mitool"]


def timed(argv: list[str], env: dict[str, str] | None = None, repeats: int = 1) -> float:
    """Median wall seconds of ``repeats`` runs of ``argv``; a failing run stops the bench."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        # from a neutral folder: `python -m` puts the working folder first on sys.path, which
        # would shadow the checkout that PYTHONPATH names
        done = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-400:]}")
    return statistics.median(times)


def timed_on_terminal(argv: list[str], env: dict[str, str]) -> float | None:
    """Wall seconds of one run of ``argv`` on a pseudo-terminal (util-linux ``script``), as a
    person's first run goes (a progress bar, and scipy's trees while numba's cache is cold);
    None where ``script`` is missing."""
    script = shutil.which("script")
    if script is None:
        return None
    return timed([script, "-qec", shlex.join(argv), "/dev/null"], env=env)


def _pair(n: int, d: int, folder: str) -> tuple[str, str]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d))
    t = 0.8 * x + 0.6 * rng.standard_normal((n, d))
    paths = (os.path.join(folder, f"x{n}_{d}.npy"), os.path.join(folder, f"t{n}_{d}.npy"))
    np.save(paths[0], x)
    np.save(paths[1], t)
    return paths


def run(
    cells: tuple[str, ...],
    repeats: int,
    command: list[str],
    root: str,
    path: str | None = None,
    sizes: tuple[int, ...] = SIZES,
) -> list[tuple]:
    """Every cell's rows (name, seconds, ratio); ``path``: a checkout put first on PYTHONPATH
    (the previous commit, run with this interpreter)."""
    base = {**os.environ, "PYTHONPATH": root if path is None else path}
    rows: list[tuple] = []
    sample = [
        os.path.join(root, "sample_data", "x.npy"),
        os.path.join(root, "sample_data", "t.npy"),
    ]
    numpy = 0.0
    with tempfile.TemporaryDirectory() as folder:
        if "startup" in cells:
            numpy = timed([sys.executable, "-c", "import numpy"], repeats=repeats)
            rows.append(("python -c 'import numpy'", numpy, 1.0))
            for argv in (["--help"], ["--version"], ["estimate", "--help"]):
                seconds = timed([*command, *argv], env=base, repeats=repeats)
                rows.append((f"mitool {' '.join(argv)}", seconds, seconds / numpy))
        if "sample" in cells:
            env = {**(base or os.environ), "NUMBA_CACHE_DIR": os.path.join(folder, "numba-cache")}
            first = timed([*command, "estimate", *sample], env=env)
            warm = timed([*command, "estimate", *sample], env=env, repeats=repeats)
            rows.append(("sample data, first run, no terminal (compiles)", first, first / warm))
            cold = {**env, "NUMBA_CACHE_DIR": os.path.join(folder, "numba-cache-terminal")}
            on_terminal = timed_on_terminal([*command, "estimate", *sample], cold)
            if on_terminal is not None:
                rows.append(
                    ("sample data, first run on a terminal", on_terminal, on_terminal / warm)
                )
                subprocess.run(
                    [sys.executable, "-m", "mitool.search.warm"],
                    env=cold,
                    check=False,
                    cwd=tempfile.gettempdir(),
                )
            rows.append(("sample data, warm", warm, 1.0))
        if "interval" in cells:
            for d in (1, 5):
                for n in sizes:
                    x, t = _pair(n, d, folder)
                    point = timed([*command, "estimate", x, t, "-B", "0"], base, repeats)
                    full = timed([*command, "estimate", x, t], base, repeats)
                    rows.append(
                        (f"default vs -B 0, d = {d} + {d}, n = {n:.0e}", full, full / point)
                    )
        if "small" in cells:
            x, t = _pair(10, 1, folder)
            seconds = timed([*command, "estimate", x, t], env=base, repeats=repeats)
            rows.append(("n = 10, defaults", seconds, seconds / numpy if numpy else 1.0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(CELLS), help=f"cells: {', '.join(CELLS)}")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--against", help="another mitool command to time beside this one")
    parser.add_argument("--previous", help="a checkout (e.g. the previous commit) to time beside")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="interval cell's n")
    args = parser.parse_args()
    cells = tuple(c.strip() for c in args.only.split(","))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sizes = tuple(int(float(v)) for v in args.sizes.split(","))
    ours = run(cells, args.repeats, _mitool(), root, sizes=sizes)
    theirs = None
    if args.previous:
        theirs = run(cells, args.repeats, _mitool(), root, args.previous, sizes)
    elif args.against:
        theirs = run(cells, args.repeats, [args.against], root, "", sizes)  # its own install
    print(f"| cell | seconds | ratio |{' other (s) | ours / other |' if theirs else ''}")
    print(f"|---|---|---|{'---|---|' if theirs else ''}")
    for i, (name, seconds, ratio) in enumerate(ours):
        extra = ""
        if theirs:
            other = theirs[i][1]
            extra = f" {other:.2f} | {seconds / other:.2f} |"
        print(f"| {name} | {seconds:.2f} | {ratio:.2f} |{extra}")
    print(
        f"\n{os.cpu_count()} cores; ratio: to `import numpy` (start-up), to a warm run "
        "(first run), to `-B 0` (interval)"
    )
    if shutil.which("mitool") is None:
        print("(mitool is not on PATH: timed as python -m mitool)")


if __name__ == "__main__":
    main()
