"""What every subcommand shares in how it prints: help, usage, names, and how a run ends."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Optional

from typer.core import TyperCommand, TyperGroup

from mitool.errors import Interrupted, MitoolError

if TYPE_CHECKING:
    from mitool.io import Table


class PlainUsage(TyperCommand):
    """Usage lines in the common form ``mitool estimate [OPTIONS] X [T]``: Typer writes a
    required argument as ``{X}``, which reads as a set or a template to a user."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]


class WholeSummaries(TyperGroup):
    """The command list with each command's whole first paragraph, wrapped, where the default
    cuts it at the terminal's width with "..." or at the first ". " ("Fig. 4")."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                text = command.short_help or (command.help or "").split("\n\n")[0]
                rows.append((name, " ".join(text.split())))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; Ctrl-C and an unexpected end of input leave as mitool's own errors.

        Typer turns KeyboardInterrupt into a silent exit 130 and EOFError into an empty line and
        "Aborted"; :func:`mitool.cli.main` prints one line for each instead."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted from None
        except EOFError as exc:
            raise MitoolError(f"an input ended before its data did ({exc})") from None


def side_names(
    tx: Table,
    tt: Table,
    *,
    one_table: bool,
    selected: tuple[Optional[str], Optional[str]] = (None, None),
    tag_sides: bool = True,
) -> tuple[str, str]:
    """How X and T are called in titles and messages: the source, and the columns when a
    selection picked them ("data.csv[a,b]"); with ``tag_sides``, "(X)"/"(T)" when one table
    holds both."""

    def name(table: Table, chosen: Optional[str], side: str) -> str:
        label = table.source
        if chosen is not None or one_table:
            label += (
                f"[{','.join(table.columns)}]"
                if len(table.columns) <= 6
                else (f"[{','.join(table.columns[:5])},… {len(table.columns)} columns]")
            )
        return f"{label} ({side})" if one_table and tag_sides else label

    return name(tx, selected[0], "X"), name(tt, selected[1], "T")


def say(message: str) -> None:
    """One line on stderr (warnings and notes; stdout stays the result)."""
    print(message, file=sys.stderr)


def split_list(text: Optional[str], option: str) -> Optional[list[str]]:
    """A comma-separated option as its items (None when not given); an empty list is a
    one-line error naming ``option``."""
    if text is None:
        return None
    items = [c.strip() for c in text.split(",") if c.strip()]
    if not items:
        raise MitoolError(f"{option} is empty (got '{text}')")
    return items
