"""``bardling``: the one command for everything. This package is the composition root.

Each sub-module registers its own commands; training commands import torch only when run.
"""

from __future__ import annotations

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
