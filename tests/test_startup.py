"""Start-up: ``import mitool`` and ``mitool --help`` load nothing heavy (issue 21: ``mitool
--help`` took 3-7 s importing numba, scikit-learn and scipy.stats; issue 20: the interface
imports nothing heavy). Not even numpy: ``mitool estimate --help`` took 0.29 s with it and 0.21 s
without it, against a target of 0.3 s."""

from __future__ import annotations


def test_the_command_line_and_the_package_load_nothing_heavy():
    import subprocess
    import sys

    code = (
        "import sys, mitool, mitool.cli\n"
        "heavy = {'numba', 'sklearn', 'torch', 'scipy', 'h5py', 'pyarrow', 'joblib', 'numpy'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_defaults_shown_by_the_light_modules_are_the_real_ones():
    from mitool import check_cli, checks, trace, trace_cli

    assert (check_cli.NOISE_SD, check_cli.MIN_SPEARMAN) == (checks.NOISE_SD, checks.MIN_SPEARMAN)
    assert ",".join(trace.DEFAULT_PAIRS) == trace_cli.DEFAULT_PAIRS
