"""matplotlib for the ``--plot`` options, imported only when a plot is asked for."""

from __future__ import annotations

from typing import Any

from mitool.errors import MitoolError


def require(path: str | None, option: str = "--plot") -> None:
    """Fail before any work when a plot is asked for (``path`` not None) and matplotlib is
    missing, so a long run never ends in an install hint without its table. Cheap: finds the
    package without importing it."""
    from importlib.util import find_spec

    if path is not None and find_spec("matplotlib") is None:
        raise MitoolError(f"{option} {path}: plots need matplotlib: pip install 'mitool[plot]'")


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a one-line install hint."""
    try:
        import matplotlib
    except ImportError:
        raise MitoolError("plots need matplotlib: pip install 'mitool[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str) -> None:
    """Write ``fig`` to ``path`` as a PNG and release it; an unwritable path is a one-line error."""
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=120)
    except OSError as exc:
        raise MitoolError(f"{path}: cannot write the plot ({exc.strerror})") from None
    finally:
        plt.close(fig)
