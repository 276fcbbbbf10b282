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

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from artifact.files import write_atomic
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

    @model_validator(mode="after")
    def _within_limits(self) -> GenerationDefaults:
        """The limits a user's request is held to (``artifact.sampling``): a manifest whose defaults
        break them is refused where it is written (export) and where it is read (the bot, the gate)."""
        from artifact.sampling import ParamsError, defaults_of, validate_params  # it imports this module

        try:
            validate_params(defaults_of(self))
        except ParamsError as err:
            raise ValueError(str(err)) from None
        return self


class Decoding(_Strict):
    """Rules the engine applies while sampling this model; every one is off unless set.

    ``lexicon`` names a file in the model directory (one word per line, see
    ``artifact.lexicon``): a word may only end where its letters spell one of them.
    ``form: regulated`` is Chinese regulated verse: clauses of 5 or 7 characters closed by
    ``，`` and ``。`` in turn, four or eight of them (``artifact.verse_form``).
    """

    lexicon: str | None = None
    lexicon_sha256: str | None = None
    words: str | None = None  # whole words (``lexicon.WHOLE_WORD``) verse forms write: no proper names
    words_sha256: str | None = None
    sentence_end: bool = False  # stop after a sentence ends near the length asked for, not mid-word
    line_capitals: bool = False  # a line starts with a capital, as verse does
    form: Literal["regulated"] | None = None
    # regulated verse: the tone and rhyme table (``artifact.tang_prosody``) and the corpus's shares
    # of each shape ("8x5": 8 lines of 5 characters), which a poem of no asked shape is drawn by
    prosody: str | None = None
    prosody_sha256: str | None = None
    shapes: dict[str, float] | None = None


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
    # sha256 of everything else in the file (``content_sha256``): absent in manifests older than it
    content_sha256: str | None = None

    def build_tokenizer(self) -> Tokenizer:
        return Tokenizer.from_dict(self.tokenizer)

    @property
    def corpus_source(self) -> str:
        """What to load the corpus by: the name or file the run trained on."""
        return str((self.training.get("config") or {}).get("corpus") or self.corpus.name)

    # ----------------------------------------------------------------- files
    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """The manifest, once its content checksum (when it has one) matches what it says."""
        raw = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        sealed = isinstance(raw, dict) and raw.get(HASH_FIELD) is not None
        if sealed and raw[HASH_FIELD] != content_sha256(raw):
            raise ManifestIntegrityError(f"{MANIFEST_FILE} does not match its content checksum")
        return cls.model_validate(raw)

    def write(self, directory: Path) -> Path:
        """Validated (an export never writes a manifest the bot would refuse) and sealed with its checksum."""
        document = type(self).model_validate(self.model_dump()).model_dump(mode="json")
        document[HASH_FIELD] = content_sha256(document)
        path = directory / MANIFEST_FILE
        write_atomic(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        self.content_sha256 = document[HASH_FIELD]  # this object now says what the file says
        return path


HASH_FIELD = "content_sha256"


class ManifestIntegrityError(ValueError):
    """The manifest was changed after it was written (its content checksum does not match)."""


def content_sha256(document: dict[str, Any]) -> str:
    """sha256 of a manifest's JSON document without its own checksum field, in a canonical form (sorted
    keys, no spaces): a swapped vocabulary entry or an edited loss changes it; re-indenting does not."""
    rest = {k: v for k, v in document.items() if k != HASH_FIELD}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal(directory: Path) -> None:
    """Add (or renew) the content checksum of an existing manifest, changing nothing else in the file:
    for manifests written before the checksum existed, once their content is known to be right."""
    path = directory / MANIFEST_FILE
    document = json.loads(path.read_text(encoding="utf-8"))
    Manifest.model_validate(document)  # never seal what the bot would refuse
    document[HASH_FIELD] = content_sha256(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")


def describe_invalid(err: Exception) -> str:
    """A short reason a manifest could not be read, fit for ``doctor`` and the logs."""
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{MANIFEST_FILE} is invalid: {where}: {first['msg'].removeprefix('Value error, ')}"
    if isinstance(err, ManifestIntegrityError):
        return str(err)
    if isinstance(err, OSError):
        return f"{MANIFEST_FILE} is missing or unreadable"
    return f"{MANIFEST_FILE} is not valid JSON"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
