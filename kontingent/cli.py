"""Entry point: ``kontingent --help`` lists every command with one line each.

Each command group lives in its own module here and only parses arguments and calls into the rooms.
"""

from __future__ import annotations

import sys

import typer

from kontingent import (
    dashboards_commands,
    demo_commands,
    generate_commands,
    ingest_commands,
    transform_commands,
    warehouse_commands,
)

app = typer.Typer(
    help="Kontingent Analytics: the analytics warehouse of the «Контингент» registry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
warehouse_commands.register(app)
ingest_commands.register(app)
demo_commands.register(app)
transform_commands.register(app)
dashboards_commands.register(app)
generate_commands.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
