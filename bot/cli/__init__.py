"""``bardling``: the one command for everything. This package is the composition root.

Each sub-module registers its own commands; training commands import torch only when run.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import typer

from bot.cli import doctor, evaluate, generate, jobs, serve
from training import cli as training_cli

app = typer.Typer(
    name="bardling",
    help="Shakespeare-style verse and dinosaur names from small recurrent language models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for module in (serve, generate, jobs, doctor, training_cli, evaluate):
    module.register(app)


def _print_version(value: bool) -> None:
    """``--version``: the installed distribution's version, so bug reports name what ran."""
    if value:
        try:
            installed = version("bardling")
        except PackageNotFoundError:  # a source tree run without installing
            installed = "unknown (not installed)"
        typer.echo(f"bardling {installed}")
        raise typer.Exit()


@app.callback()
def _main(
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Shakespeare-style verse and dinosaur names from small recurrent language models."""
