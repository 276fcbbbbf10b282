"""Tiny exported models for tests: valid by the ``artifact`` contract, random weights, no torch.

Tests of the engine, the command core and the transports need models that load in milliseconds and
never depend on the real trained ones. The graph is the contract's step graph built directly with
``onnx.helper``: ``tokens`` int64 ``[batch, 1]`` → Gather (embedding) → one ONNX ``GRU`` (or
``LSTM``) step → MatMul + bias → ``logits`` float32 ``[batch, vocab]``; the state is
``h_in``→``h_out`` (LSTM: also ``c_in``→``c_out``), ``[1, batch, hidden]``, dynamic batch.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from artifact.lexicon import LEXICON_FILE, Lexicon
from artifact.manifest import (
    ONNX_FILE,
    Architecture,
    CorpusInfo,
    Decoding,
    GenerationDefaults,
    Manifest,
    Metrics,
    OnnxInfo,
    StateTensor,
    sha256_file,
)
from artifact.tokenizer import Tokenizer

OPSET = 18
VERSE_TEXT = string.ascii_letters + " .,;:!?'-\n"
NAMES_TEXT = string.ascii_lowercase

Cell = Literal["gru", "lstm"]


def _build_tokenizer(mode: Literal["char", "line"], vocab: str | None, with_unk: bool) -> Tokenizer:
    if mode == "char":
        tok = Tokenizer.build_char(VERSE_TEXT if vocab is None else vocab)
    else:
        tok = Tokenizer.build_line(list(NAMES_TEXT if vocab is None else vocab))
    if with_unk and tok.unk is None:
        specials = [s for s in tok.vocab if s in (tok.bos, tok.eos)]
        rest = [s for s in tok.vocab if s not in specials]
        tok = Tokenizer(
            mode=tok.mode, vocab=[*specials, "<unk>", *rest], unk="<unk>", bos=tok.bos, eos=tok.eos
        )
    return tok


def _step_graph(
    name: str,
    cell: Cell,
    vocab_size: int,
    embedding: int,
    hidden: int,
    rng: np.random.Generator,
    logit_bias: np.ndarray,
) -> onnx.ModelProto:
    gates = 3 if cell == "gru" else 4

    def rand(*shape: int, scale: float) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    inits = [
        numpy_helper.from_array(rand(vocab_size, embedding, scale=1.0), "embedding"),
        numpy_helper.from_array(rand(1, gates * hidden, embedding, scale=1 / np.sqrt(embedding)), "W"),
        numpy_helper.from_array(rand(1, gates * hidden, hidden, scale=1 / np.sqrt(hidden)), "R"),
        numpy_helper.from_array(rand(1, 2 * gates * hidden, scale=0.1), "B"),
        numpy_helper.from_array(rand(hidden, vocab_size, scale=2 / np.sqrt(hidden)), "out_w"),
        numpy_helper.from_array(logit_bias.astype(np.float32), "out_b"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "axis0"),
    ]
    state_names = [("h_in", "h_out")] + ([("c_in", "c_out")] if cell == "lstm" else [])
    rnn_inputs = ["x_seq", "W", "R", "B", "", "h_in"] + (["c_in"] if cell == "lstm" else [])
    rnn_outputs = ["", "h_out"] + (["c_out"] if cell == "lstm" else [])
    nodes = [
        helper.make_node("Gather", ["embedding", "tokens"], ["x_emb"], axis=0),  # [batch, 1, E]
        helper.make_node("Transpose", ["x_emb"], ["x_seq"], perm=[1, 0, 2]),  # [1, batch, E]
        helper.make_node(cell.upper(), rnn_inputs, rnn_outputs, hidden_size=hidden),
        helper.make_node("Squeeze", ["h_out", "axis0"], ["h_last"]),  # [batch, H]
        helper.make_node("MatMul", ["h_last", "out_w"], ["proj"]),
        helper.make_node("Add", ["proj", "out_b"], ["logits"]),
    ]
    if cell == "gru":
        nodes[2].attribute.append(helper.make_attribute("linear_before_reset", 1))
    state_shape: list[int | str] = [1, "batch", hidden]
    graph = helper.make_graph(
        nodes,
        name,
        inputs=[helper.make_tensor_value_info("tokens", TensorProto.INT64, ["batch", 1])]
        + [helper.make_tensor_value_info(i, TensorProto.FLOAT, state_shape) for i, _ in state_names],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", vocab_size])]
        + [helper.make_tensor_value_info(o, TensorProto.FLOAT, state_shape) for _, o in state_names],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    return model


def make_tiny_model(
    directory: Path,
    name: str = "tiny",
    mode: Literal["char", "line"] = "char",
    vocab: str | None = None,
    hidden: int = 16,
    seed: int = 0,
    version: str = "1",
    *,
    cell: Cell = "gru",
    embedding: int = 8,
    with_unk: bool = False,
    eos_bias: float = 1.0,
    val_loss: float = 1.5,
    description: str = "",
    generation: GenerationDefaults | None = None,
    decoding: Decoding | None = None,
    lexicon: list[str] | None = None,
    kind: str | None = None,
) -> Path:
    """Write ``directory`` as an exported model (``model.onnx`` + ``manifest.json``) and return it.

    ``mode="char"`` gives a verse model (kind ``verse``, vocabulary ``vocab`` or letters,
    punctuation, space and newline); ``mode="line"`` a names model (kind ``names``, vocabulary the
    characters of ``vocab`` or ``a``–``z``) whose ``</s>`` logit gets ``eos_bias`` so names end.
    ``with_unk`` adds ``<unk>`` so out-of-vocabulary seed characters map to it instead of being
    dropped. ``decoding`` sets the manifest's decoding rules; ``lexicon`` also writes that word
    list beside the model and names it there. The same arguments always give byte-identical files.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tok = _build_tokenizer(mode, vocab, with_unk)
    rng = np.random.default_rng(seed)
    bias = np.zeros(len(tok), dtype=np.float32)
    if tok.bos_id is not None:
        bias[tok.bos_id] = -30.0  # never sample the start symbol
    if tok.eos_id is not None:
        bias[tok.eos_id] = eos_bias
    model = _step_graph(name, cell, len(tok), embedding, hidden, rng, bias)
    onnx_path = directory / ONNX_FILE
    onnx.save(model, str(onnx_path))
    gates = 3 if cell == "gru" else 4
    parameters = len(tok) * embedding + gates * hidden * (embedding + hidden + 2) + (hidden + 1) * len(tok)
    states = [StateTensor(input="h_in", output="h_out", layers=1, hidden=hidden)]
    if cell == "lstm":
        states.append(StateTensor(input="c_in", output="c_out", layers=1, hidden=hidden))
    if generation is None:
        generation = (
            GenerationDefaults(temperature=0.8, top_p=0.95, max_tokens=200, max_lines=4)
            if mode == "char"
            else GenerationDefaults(temperature=1.0, top_p=None, max_tokens=24)
        )
    decoding = decoding or Decoding()
    if lexicon is not None:
        Lexicon.from_words(lexicon).write(directory / LEXICON_FILE)
        decoding = decoding.model_copy(
            update={"lexicon": LEXICON_FILE, "lexicon_sha256": sha256_file(directory / LEXICON_FILE)}
        )
    manifest = Manifest(
        name=name,
        version=version,
        created_at=datetime(2024, 1, 1, tzinfo=UTC).isoformat(),
        kind=kind or ("verse" if mode == "char" else "names"),  # type: ignore[arg-type]
        description=description or f"tiny random {cell.upper()}-{hidden} test model",
        architecture=Architecture(
            cell=cell,
            layers=1,
            hidden=hidden,
            embedding=embedding,
            vocab_size=len(tok),
            parameters=parameters,
        ),
        tokenizer=tok.to_dict(),
        onnx=OnnxInfo(sha256=sha256_file(onnx_path), opset=OPSET, state=states),
        corpus=CorpusInfo(name="tiny", sha256="0" * 64),
        metrics=Metrics(val_loss=val_loss),
        generation=generation,
        decoding=decoding,
    )
    manifest.write(directory)
    return directory


def make_tiny_models_dir(directory: Path, *, hidden: int = 16, seed: int = 0) -> Path:
    """A bundled-models directory with a ``shakespeare``-like verse model and a ``dinos``-like names model.

    Use it from a fixture: ``make_tiny_models_dir(tmp_path / "exported_models")``.
    """
    make_tiny_model(directory / "shakespeare", name="shakespeare", mode="char", hidden=hidden, seed=seed)
    make_tiny_model(directory / "dinos", name="dinos", mode="line", hidden=hidden, seed=seed + 1)
    return directory


def make_tiny_version(
    models_dir: Path,
    name: str,
    version: str,
    mode: Literal["char", "line"] = "char",
    *,
    seed: int = 0,
    hidden: int = 16,
    activate: bool = False,
) -> Path:
    """A retrained version at ``<models_dir>/<name>/<version>/``; ``activate`` also writes ``active``."""
    path = make_tiny_model(
        models_dir / name / version, name=name, mode=mode, seed=seed, hidden=hidden, version=version
    )
    if activate:
        (models_dir / name / "active").write_text(version + "\n", encoding="utf-8")
    return path


TANG_VOCAB = "春夏秋冬风花雪月山高水长一帆顺明日白依尽人，。？"


def make_tiny_tang_model(directory: Path, *, temperature: float = 1.0, top_p: float | None = None) -> Path:
    """A one-poem-per-line verse model over a few ideographs, served in the regulated form."""
    return make_tiny_model(
        directory,
        name=directory.name,
        mode="line",
        vocab=TANG_VOCAB,
        eos_bias=3.0,
        kind="verse",
        generation=GenerationDefaults(temperature=temperature, top_p=top_p, max_tokens=66),
        decoding=Decoding(form="regulated"),
    )
