"""The bad-input corpus (issue 19): every case ends as a correct number or a one-line error.

The cases, the rule and the truths are in ``tests/bad_input_corpus.py``; run it as a script
(``python tests/bad_input_corpus.py``) for a table of the failures.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from bad_input_corpus import Case, build_cases, check, run_case  # noqa: E402

#: The names only (nothing is written at collection); the files are built once per module.
CASE_NAMES = [case.name for case in build_cases("corpus-not-written", write=False)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Case]]:
    root = tmp_path_factory.mktemp("bad_input_corpus")
    return str(root), {case.name: case for case in build_cases(root)}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(corpus: tuple[str, dict[str, Case]], name: str) -> None:
    root, cases = corpus
    case = cases[name]
    outcome = run_case(case, cwd=root)
    problem = check(case, outcome)
    assert problem is None, f"{case.category}/{case.name} {list(case.argv)}: {problem}"
