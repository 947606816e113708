"""mitool: scale-invariant mutual information estimation from files and arrays."""

__version__ = "0.1.0"

from mitool.api import DEFAULT_SCALES, MitoolWarning, estimate  # noqa: E402
from mitool.errors import InputError, MitoolError  # noqa: E402
from mitool.result import MIResult  # noqa: E402

__all__ = [
    "DEFAULT_SCALES",
    "InputError",
    "MIResult",
    "MitoolError",
    "MitoolWarning",
    "__version__",
    "estimate",
]
