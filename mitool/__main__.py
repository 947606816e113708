"""``python -m mitool``."""

from mitool.cli import run

run()
