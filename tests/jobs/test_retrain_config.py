"""A retrain reproduces the served model's run: the ``bardling train`` line a job derives from a
shipped manifest, read back by ``bardling train`` itself, gives the configuration the manifest
records, field for field, and the architecture it describes. A setting added to the run
configuration is covered without touching this test, and fails it until a retrain carries it."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from artifact.manifest import Manifest
from artifact.run_config import TrainConfig
from bot.cli import app
from bot.jobs.corpus import plan_existing
from bot.jobs.options import train_argv, training_settings

pytest.importorskip("torch")

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "exported_models").iterdir())


def read_back(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrainConfig:
    """The configuration ``bardling train`` builds from ``argv`` (the training itself left out)."""
    import training.trainer

    seen: list[TrainConfig] = []

    def capture(run_dir: Path, options: Any, config: TrainConfig | None) -> dict[str, Any]:
        assert config is not None
        seen.append(config)
        return {"step": 0}

    monkeypatch.setattr(training.trainer, "train", capture)
    result = CliRunner().invoke(app, [*argv, "--run-dir", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    return seen[0]


@pytest.mark.parametrize("directory", SHIPPED, ids=lambda p: p.name)
def test_a_retrain_of_a_shipped_model_trains_what_its_manifest_records(
    directory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = Manifest.read(directory)
    plan = plan_existing(manifest)
    settings = training_settings(plan.inherited, {}, new_model=False)
    config = read_back(train_argv(plan.corpus, settings, threads=1), tmp_path, monkeypatch)

    recorded = TrainConfig.from_dict(manifest.training["config"])
    for f in fields(TrainConfig):  # every field, so a new one is checked as soon as it exists
        assert getattr(config, f.name) == getattr(recorded, f.name), f.name
    arch = manifest.architecture
    assert (config.arch, config.layers, config.hidden, config.emb) == (
        arch.cell,
        arch.layers,
        arch.hidden,
        arch.embedding,
    )
    assert config.dropout == arch.dropout


def test_a_setting_a_retrain_would_drop_fails_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the test above catches: the untied LSTM a hand-kept flag list once made of ``ptb``."""
    manifest = Manifest.read(next(d for d in SHIPPED if d.name == "ptb"))
    plan = plan_existing(manifest)
    settings = training_settings(plan.inherited, {}, new_model=False)
    settings.pop("tie_weights")
    config = read_back(train_argv(plan.corpus, settings, threads=1), tmp_path, monkeypatch)
    assert config.tie_weights != TrainConfig.from_dict(manifest.training["config"]).tie_weights
