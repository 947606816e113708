"""How the commands print their help and end, shared by every subcommand."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand, TyperGroup

from mitool.errors import Interrupted, MitoolError


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
