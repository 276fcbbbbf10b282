"""AWD-LSTM's regularizers and checkpoint averaging: training-only, and invisible in what is exported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import onnx
import pytest
import torch

from artifact.manifest import ONNX_FILE
from training import checkpoint
from training.config import TrainConfig
from training.export import export_run
from training.models import ModelConfig, RecurrentLM
from training.trainer import RunOptions, train


def _model(**overrides: float) -> RecurrentLM:
    torch.manual_seed(0)
    return RecurrentLM(ModelConfig("lstm", 11, 16, 16, 2, 0.0, True, **overrides))


def test_weight_drop_and_embedding_dropout_act_in_training_only() -> None:
    plain, regular = _model(), _model(weight_drop=0.5, emb_dropout=0.3)
    assert plain.state_dict().keys() == regular.state_dict().keys()  # same checkpoints, same export
    tokens = torch.randint(0, 11, (3, 7))
    state = regular.initial_state(3)
    expected, _ = plain.eval()(tokens, state)
    same, _ = regular.eval()(tokens, state)
    torch.testing.assert_close(same, expected, rtol=0, atol=0)
    regular.train()
    torch.manual_seed(1)
    dropped, _ = regular(tokens, state)
    assert not torch.allclose(dropped, expected)
    dropped.square().sum().backward()
    recurrent = regular.rnn.get_parameter("weight_hh_l1")
    assert recurrent.grad is not None and recurrent.grad.abs().sum() > 0
    assert regular.embed.weight.grad is not None


@pytest.mark.parametrize("field", ["weight_drop", "emb_dropout"])
def test_rates_outside_zero_to_one_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("_", "-")):
        TrainConfig(corpus="x", **{field: 1.0}).validate()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="average-last"):
        TrainConfig(corpus="x", average_last=-1).validate()


def test_regularized_run_with_averaging_exports_the_plain_step_graph(
    tmp_path: Path, verse_file: Path, options: RunOptions, tiny_config: Callable[..., TrainConfig]
) -> None:
    config = tiny_config(
        verse_file, arch="lstm", layers=2, emb=32, tie_weights=True, weight_drop=0.3, emb_dropout=0.1,
        average_last=3, steps=24, eval_every=4, dropout=0.1,
    )  # fmt: skip
    summary = train(tmp_path / "run", options, config)
    averaged = summary["averaged"]
    assert 2 <= len(averaged["steps"]) <= 3 and averaged["steps"][-1] == summary["best_step"]
    best = checkpoint.load(checkpoint.checkpoint_path(tmp_path / "run", checkpoint.BEST))
    assert ("averaged_steps" in best) == averaged["kept"]
    assert best["model_config"]["weight_drop"] == 0.3

    manifest = export_run(tmp_path / "run", tmp_path / "out", name="verse", version="1")
    nodes = [n.op_type for n in onnx.load(str(tmp_path / "out" / ONNX_FILE)).graph.node]
    assert "LSTM" in nodes and not {"Dropout", "RandomUniform", "Bernoulli"} & set(nodes)
    assert manifest.training["config"]["weight_drop"] == 0.3
