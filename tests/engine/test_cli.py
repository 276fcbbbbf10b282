"""``bardling poem`` / ``bardling dinoname`` against tiny models given through BARDLING_* variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artifact.verse_form import clauses, is_regulated
from bot.cli import app
from tests.support.tiny_models import make_tiny_tang_model


@pytest.fixture
def env(bundled: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "BARDLING_BUNDLED_MODELS_DIR": str(bundled),
        "BARDLING_MODELS_DIR": str(tmp_path / "models"),
        "BARDLING_DATA_DIR": str(tmp_path / "data"),
        "BARDLING_DEVICE": "cpu",
        "BARDLING_ENGINE_THREADS": "1",
    }


def test_poem_json_prints_one_reproducible_object_per_result(env: dict[str, str]) -> None:
    args = ["poem", "Forsooth this maketh", "--json", "--seed", "5", "--count", "3", "--length", "40"]
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    rows = [json.loads(line) for line in first.stdout.splitlines()]
    assert [r["seed"] for r in rows] == [5, 6, 7]
    assert all(r["text"].startswith("Forsooth this maketh") and r["model"] == "shakespeare" for r in rows)
    assert {"model_version", "seed_text", "params"} <= rows[0].keys() and rows[0]["params"][
        "max_tokens"
    ] == 40
    again = CliRunner().invoke(app, [*args[:-4], "--seed", "6", "--length", "40"], env=env)
    assert json.loads(again.stdout)["text"] == rows[1]["text"]


def test_poem_streams_the_same_text_it_prints(env: dict[str, str]) -> None:
    printed = CliRunner().invoke(app, ["poem", "O", "--seed", "2"], env=env)
    streamed = CliRunner().invoke(app, ["poem", "O", "--seed", "2", "--stream"], env=env)
    assert printed.exit_code == streamed.exit_code == 0
    assert streamed.stdout == printed.stdout
    assert "seed 2" in printed.stderr


def test_dinoname_prints_distinct_capitalised_names(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["dinoname", "--count", "6", "--seed", "1"], env=env)
    assert result.exit_code == 0, result.output
    names = result.stdout.split()
    assert len(names) == 6 and len({n.lower() for n in names}) == 6
    assert all(n[0].isupper() and n.isalpha() for n in names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["poem", "x", "--temperature", "9"], "temperature"),
        (["poem", "x", "--model", "nope"], "unknown model"),
        (["poem", "x", "--device", "gpu"], "device"),
        (["poem", "x", "--stream", "--json"], "--stream"),
    ],
)
def test_errors_are_one_short_line_and_exit_code_2(
    env: dict[str, str], args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_chinese_seed_or_an_acrostic_is_written_by_the_tang_model(
    bundled: Path, env: dict[str, str]
) -> None:
    make_tiny_tang_model(bundled / "tang")
    seeded = CliRunner().invoke(app, ["poem", "白日依山尽，", "--seed", "3"], env=env)
    acrostic = CliRunner().invoke(app, ["poem", "--acrostic", "春夏秋冬", "--seed", "3"], env=env)
    assert seeded.exit_code == 0 and acrostic.exit_code == 0, seeded.output + acrostic.output
    assert "tang v1 · seed 3" in seeded.output and seeded.output.startswith("白日依山尽，")
    lines = acrostic.output.splitlines()[:2]  # a couplet a line
    assert [line[0] for line in lines] == ["春", "秋"] and all(is_regulated(line) is False for line in lines)
    assert is_regulated("".join(lines)) and "".join(c.body[0] for c in clauses("".join(lines))) == "春夏秋冬"
    english = CliRunner().invoke(app, ["poem", "--acrostic", "春夏秋冬", "--model", "shakespeare"], env=env)
    assert english.exit_code == 2 and "Chinese verse model" in english.output
