"""mitool: scale-invariant mutual information estimation from files and arrays.

``import mitool`` is light: the estimators (numba, scikit-learn, scipy) load on first use of
:func:`estimate`, so ``mitool --help`` and ``mitool --version`` start at once.
"""

__version__ = "0.1.0"

from mitool.errors import InputError, MitoolError, MitoolWarning  # noqa: E402

#: Names loaded on first use (PEP 562), and the module that holds each.
_LAZY = {
    "estimate": "mitool.api",
    "DEFAULT_SCALES": "mitool.api",
    "MIResult": "mitool.result",
    "conditional_mi": "mitool.conditional",
    "entropy": "mitool.entropies",
    "screen": "mitool.screening",
    "pairwise": "mitool.screening",
}

__all__ = [
    "DEFAULT_SCALES",
    "InputError",
    "MIResult",
    "MitoolError",
    "MitoolWarning",
    "__version__",
    "conditional_mi",
    "entropy",
    "estimate",
    "pairwise",
    "screen",
]


def __getattr__(name: str) -> object:
    """The lazy names above, and submodules (``mitool.api``) imported on first access."""
    from importlib import import_module

    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if not name.startswith("_"):
        try:
            return import_module(f"mitool.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"mitool.{name}":
                raise
    raise AttributeError(f"module 'mitool' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
