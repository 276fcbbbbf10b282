"""Word-level, pre-split corpora the Penn Treebank way, and tied input/output embeddings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
import pytest
import torch

from artifact.corpora import CORPORA, CorpusFile, CorpusSpec
from artifact.manifest import ONNX_FILE, Manifest
from training.card import train_command
from training.checkpoint import BEST, checkpoint_path, load_model
from training.config import TrainConfig
from training.evaluate import evaluate_run
from training.evaluate_onnx import evaluate_model_dir
from training.export import export_run
from training.models import ModelConfig, RecurrentLM
from training.trainer import RunOptions, train

TRAIN = " the cat sat on the mat \n the dog sat on the cat \n a cat saw a dog \n" * 12
VALID = " the dog sat on the mat \n a cat sat \n" * 3
TEST = " the cat saw the zebra \n"  # "zebra" is not in the training text


@pytest.fixture
def word_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A registered three-file word corpus in a corpora directory; returns that directory."""
    root = tmp_path / "corpora"
    files = []
    for role, text in (("train", TRAIN), ("valid", VALID), ("test", TEST)):
        path = root / "toyptb" / f"toy.{role}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        sha = hashlib.sha256(text.encode()).hexdigest()
        files.append(CorpusFile(f"toyptb/toy.{role}.txt", sha, role=role))
    monkeypatch.setitem(CORPORA, "toyptb", CorpusSpec("toyptb", "words", tuple(files)))
    return root


def _model(tie: bool, embedding: int = 16, hidden: int = 16, vocab: int = 50) -> RecurrentLM:
    return RecurrentLM(ModelConfig("lstm", vocab, embedding, hidden, 2, 0.0, tie_weights=tie))


def test_tied_head_is_the_embedding_matrix() -> None:
    tied, untied = _model(True), _model(False)
    assert tied.head.weight is tied.embed.weight
    assert untied.parameters_count - tied.parameters_count == 50 * 16
    logits, _ = tied(torch.zeros(3, 5, dtype=torch.long), tied.initial_state(3))
    assert logits.shape == (3, 5, 50)


def test_tying_needs_equal_embedding_and_hidden_sizes() -> None:
    with pytest.raises(ValueError, match="embedding size"):
        _model(True, embedding=8, hidden=16)
    with pytest.raises(ValueError, match="--tie-weights"):
        TrainConfig(corpus="x", tie_weights=True, emb=64, hidden=448).validate()


def test_tied_word_model_reports_test_perplexity_through_export(word_corpus: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    options = RunOptions(corpora_dir=word_corpus, cache_dir=cache, device="cpu", show_progress=False)
    config = TrainConfig(
        corpus="toyptb", arch="lstm", layers=2, hidden=16, emb=16, tie_weights=True, dropout=0.0,
        batch=2, seq_len=8, steps=30, eval_every=15, warmup=2, lr=1e-2,
    )  # fmt: skip
    run = tmp_path / "runs" / "toy"
    summary = train(run, options, config)
    metrics = summary["metrics"]
    assert metrics["val_bpc"] is None and metrics["test_ppl"] > 1.0
    model, tokenizer, _ = load_model(checkpoint_path(run, BEST))
    vocab = len(tokenizer)
    assert summary["parameters"] == _model(False, vocab=vocab).parameters_count - vocab * 16
    assert model.head.weight is model.embed.weight  # tying survives a checkpoint
    # vocabulary from the training file alone; every line ends in <eos>; unseen words are <unk>
    assert tokenizer.mode == "word" and "zebra" not in tokenizer.vocab
    assert tokenizer.encode(TEST).ids[-1] == tokenizer.eos_id
    assert tokenizer.encode(TEST).ids.count(tokenizer.unk_id) == 1
    rescored = evaluate_run(run, corpora_dir=word_corpus, cache_dir=cache)
    assert rescored["test_ppl"] == pytest.approx(metrics["test_ppl"], rel=1e-6)

    out = tmp_path / "models" / "toy"
    manifest = export_run(run, out, name="toy", version="1", corpora_dir=word_corpus, cache_dir=cache)
    assert manifest.kind == "prose" and manifest.metrics.test_ppl == pytest.approx(metrics["test_ppl"])
    assert "--tie-weights" in train_command(manifest.training["config"], "runs/toy")
    card = (out / "README.md").read_text("utf-8")
    assert "test perplexity" in card and "--tie-weights" in card
    matrices = [i for i in onnx.load(str(out / ONNX_FILE)).graph.initializer if list(i.dims) == [vocab, 16]]
    assert len(matrices) == 1  # the tied matrix is stored once in the graph
    onnx_figures = evaluate_model_dir(out, corpora_dir=word_corpus, cache_dir=cache)
    assert onnx_figures["test_ppl"] == pytest.approx(Manifest.read(out).metrics.test_ppl, rel=1e-3)
