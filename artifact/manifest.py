"""The exported-model contract between ``training`` (writer) and ``bot.engine`` (reader).

An exported model is a directory holding ``model.onnx`` (one decoding step) and
``manifest.json`` (this schema). The ONNX graph has:

- input ``tokens``: int64 ``[batch, 1]``
- for each entry of ``onnx.state``: input ``<input>`` and output ``<output>``, float32
  ``[layers, batch, hidden]`` (batch on axis 1; zeros are the initial state)
- output ``logits``: float32 ``[batch, vocab]``

Batch is a dynamic axis, so the engine can run any number of independent sequences per step.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from artifact.tokenizer import Tokenizer

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
ONNX_FILE = "model.onnx"
CARD_FILE = "README.md"
TOKENS_INPUT = "tokens"
LOGITS_OUTPUT = "logits"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=())


class StateTensor(_Strict):
    input: str
    output: str
    layers: int
    hidden: int


class OnnxInfo(_Strict):
    file: str = ONNX_FILE
    sha256: str
    opset: int
    state: list[StateTensor]
    dtype: Literal["float32", "float16", "int8"] = "float32"


class Architecture(_Strict):
    cell: Literal["rnn", "gru", "lstm"]
    layers: int
    hidden: int
    embedding: int
    dropout: float = 0.0
    vocab_size: int
    parameters: int


class CorpusInfo(_Strict):
    name: str
    sha256: str
    chars: int | None = None


class Metrics(_Strict):
    """Held-out figures; nats per token unless the name says otherwise."""

    val_loss: float
    val_bpc: float | None = None
    val_ppl: float | None = None
    windowed_256_loss: float | None = None
    test_loss: float | None = None
    test_ppl: float | None = None
    train_time_s: float | None = None
    hardware: str | None = None
    steps: int | None = None
    novelty: dict[str, float] | None = None


class GenerationDefaults(_Strict):
    """Sampling settings the bot serves this model with unless a user overrides them."""

    temperature: float = 0.8
    top_k: int | None = None
    top_p: float | None = 0.95
    max_tokens: int = 400
    max_lines: int | None = None


class Decoding(_Strict):
    """Rules the engine applies while sampling this model; every one is off unless set.

    ``lexicon`` names a file in the model directory (one word per line, see
    ``artifact.lexicon``): a word may only end where its letters spell one of them.
    ``form: regulated`` is Chinese regulated verse: clauses of 5 or 7 characters closed by
    ``，`` and ``。`` in turn, four or eight of them (``artifact.verse_form``).
    """

    lexicon: str | None = None
    lexicon_sha256: str | None = None
    sentence_end: bool = False  # stop after a sentence ends near the length asked for, not mid-word
    line_capitals: bool = False  # a line starts with a capital, as verse does
    form: Literal["regulated"] | None = None


class Manifest(_Strict):
    format_version: int = FORMAT_VERSION
    name: str
    version: str
    created_at: str
    kind: Literal["verse", "names", "prose"] = "verse"
    description: str = ""
    architecture: Architecture
    tokenizer: dict[str, Any]
    onnx: OnnxInfo
    corpus: CorpusInfo
    metrics: Metrics
    training: dict[str, Any] = Field(default_factory=dict)
    generation: GenerationDefaults = Field(default_factory=GenerationDefaults)
    decoding: Decoding = Field(default_factory=Decoding)
    samples: list[str] = Field(default_factory=list)
    libraries: dict[str, str] = Field(default_factory=dict)

    def build_tokenizer(self) -> Tokenizer:
        return Tokenizer.from_dict(self.tokenizer)

    @property
    def corpus_source(self) -> str:
        """What to load the corpus by: the name or file the run trained on."""
        return str((self.training.get("config") or {}).get("corpus") or self.corpus.name)

    # ----------------------------------------------------------------- files
    @classmethod
    def read(cls, directory: Path) -> Manifest:
        return cls.model_validate_json((directory / MANIFEST_FILE).read_text(encoding="utf-8"))

    def write(self, directory: Path) -> Path:
        path = directory / MANIFEST_FILE
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", "utf-8")
        tmp.replace(path)
        return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
