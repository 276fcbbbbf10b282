"""``bardling compare``: one run per architecture with a shared budget, and the table of figures."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from training.compare import JSON_FILE, MARKDOWN_FILE, compare, parse_archs
from training.config import TrainConfig
from training.trainer import RunOptions, TrainingError


@pytest.fixture
def base(tiny_config: Callable[..., TrainConfig]) -> Callable[..., TrainConfig]:
    """The conftest's tiny model, smaller still: a comparison trains it several times."""
    return lambda corpus, **overrides: tiny_config(
        corpus, **{"hidden": 16, "steps": 6, "eval_every": 3} | overrides
    )


def test_every_architecture_gets_a_run_and_a_row(
    tmp_path: Path, verse_file: Path, options: RunOptions, base: Callable[..., TrainConfig]
) -> None:
    out = tmp_path / "cmp"
    rows = compare(base(verse_file), parse_archs("rnn,gru,lstm,lstm2"), out, options)

    assert [(r.arch, r.cell, r.layers) for r in rows] == [
        ("rnn", "rnn", 1), ("gru", "gru", 1), ("lstm", "lstm", 1), ("lstm2", "lstm", 2),
    ]  # fmt: skip
    for row in rows:
        assert row.error is None and row.steps == 6
        assert row.val_loss is not None and row.val_ppl is not None and math.isfinite(row.val_ppl)
        assert row.val_ppl == pytest.approx(math.exp(row.val_loss))
        assert (Path(row.run_dir) / "summary.json").is_file()
    params = {r.arch: r.parameters for r in rows}
    assert params["rnn"] < params["gru"] < params["lstm"] < params["lstm2"]  # same width, more gates

    figures = json.loads((out / JSON_FILE).read_text("utf-8"))
    assert [r["arch"] for r in figures["rows"]] == ["rnn", "gru", "lstm", "lstm2"]
    assert all(math.isfinite(r["val_ppl"]) for r in figures["rows"])
    assert figures["settings"]["steps"] == 6 and figures["settings"]["mode"] == "char"
    assert "arch" not in figures["settings"]

    table = (out / MARKDOWN_FILE).read_text("utf-8")
    for label in ("RNN 1×16", "GRU 1×16", "LSTM 1×16", "LSTM 2×16"):
        assert sum(line.startswith(f"| {label} |") for line in table.splitlines()) == 1, label


def test_the_same_command_continues_instead_of_retraining(
    tmp_path: Path, verse_file: Path, options: RunOptions, base: Callable[..., TrainConfig]
) -> None:
    out = tmp_path / "cmp"
    first = compare(base(verse_file), parse_archs("gru"), out, options)
    log = (out / "gru" / "metrics.jsonl").read_text("utf-8")

    again = compare(base(verse_file), parse_archs("gru"), out, options)
    assert again == first and (out / "gru" / "metrics.jsonl").read_text("utf-8") == log

    with pytest.raises(TrainingError, match="other settings"):
        compare(base(verse_file, hidden=24), parse_archs("gru"), out, options)


def test_an_interrupted_comparison_stops_after_that_run(
    tmp_path: Path, verse_file: Path, options: RunOptions, base: Callable[..., TrainConfig]
) -> None:
    calls = {"n": 0}

    def stop_soon() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    stopping = RunOptions(**{**options.__dict__, "should_stop": stop_soon})
    rows = compare(base(verse_file), parse_archs("rnn,gru"), tmp_path / "cmp", stopping)
    assert [(r.arch, r.stopped, r.steps, r.val_loss) for r in rows] == [("rnn", "interrupted", 2, None)]
    assert "| RNN 1×16 |" in (tmp_path / "cmp" / MARKDOWN_FILE).read_text("utf-8")


@pytest.mark.parametrize(
    ("text", "message"),
    [("transformer", "unknown architecture"), (" , ", "names no architecture"), ("gru,GRU", "twice")],
)
def test_bad_architecture_lists_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_archs(text)


def test_cli_prints_the_table_and_writes_both_files(tmp_path: Path, verse_file: Path) -> None:
    out = tmp_path / "cmp"
    tiny = ["--hidden", "12", "--emb", "8", "--batch", "4", "--seq-len", "16", "--steps", "4"]
    where = ["--device", "cpu", "--threads", "1", "--out", str(out), "--quiet", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(
        app,
        ["compare", str(verse_file), "--archs", "rnn,lstm2", *tiny, *where],
        env={"BARDLING_CORPORA_DIR": ""},
    )
    assert result.exit_code == 0, result.output
    assert "RNN 1×12" in result.output and "LSTM 2×12" in result.output
    assert (out / MARKDOWN_FILE).is_file() and (out / JSON_FILE).is_file()

    bad = CliRunner().invoke(
        app, ["compare", str(verse_file), "--archs", "mamba", "--data-dir", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "unknown architecture 'mamba'" in bad.output
