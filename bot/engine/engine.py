"""The engine: which model version serves a request, loading it on first use, and swapping versions.

Lookups (``models``, ``versions``, ``manifest``, ``reload``) are synchronous and cheap; anything
that may load a model (``generate``, ``stream``, ``activate``, ``rollback``) is a coroutine and
loads on a worker thread. All bookkeeping happens on the event loop thread, so a swap is a plain
assignment: requests already submitted stay with the batcher of the version they started on,
which is drained and retired once the new version is in place.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from artifact.lexicon import Lexicon
from artifact.manifest import Manifest
from bot.config import Settings
from bot.engine.api import (
    BatchStats,
    EngineError,
    GenerationRequest,
    GenerationResult,
    InvalidRequestError,
    ModelInfo,
    ModelUnavailableError,
)
from bot.engine.batcher import Batcher, RetiredError
from bot.engine.constraints import Rules, refuse_acrostic
from bot.engine.prompt import Prompt, encode_prompt
from bot.engine.registry import ModelVersion, Registry, verify_files
from bot.engine.rules import default_form_of, forms_of, rules_for
from bot.engine.runner import BoundStateRunner, HostStateRunner, StepRunner
from bot.engine.sampling import resolve_params
from bot.engine.seeds import check_seed, draw_seed
from bot.engine.sequence import Sequence, Vocabulary
from bot.engine.session import Device, check_device, open_step_session

_Key = tuple[str, str]  # (model name, version)


@dataclass(frozen=True)
class LoadedModel:
    entry: ModelVersion
    vocabulary: Vocabulary
    batcher: Batcher
    provider: str
    rules: Rules | None  # decoding rules from the manifest; None: free sampling


@dataclass(frozen=True)
class _Submitted:
    seq: Sequence
    model: LoadedModel
    prompt: Prompt
    request: GenerationRequest


class Engine:
    """Serves every exported model under ``bundled_dir`` and ``models_dir`` (see ``registry``)."""

    def __init__(
        self,
        bundled_dir: Path,
        models_dir: Path | None = None,
        *,
        device: Device = "auto",
        max_batch: int = 64,
        max_queue: int = 1024,
        threads: int = 0,
        max_seed_chars: int = 500,
        cuda_graph: bool = False,
        decoding_rules: bool = True,
    ) -> None:
        """``decoding_rules=False`` samples freely, ignoring the manifests' rules (for comparisons)."""
        if max_batch < 1 or max_queue < 1 or threads < 0 or max_seed_chars < 0:
            raise ValueError(
                "max_batch and max_queue must be at least 1, threads and max_seed_chars at least 0"
            )
        self.registry = Registry(bundled_dir, models_dir)
        self.device: Device = device
        self.max_batch = max_batch
        self.max_queue = max_queue
        self.threads = threads
        self.max_seed_chars = max_seed_chars
        self.cuda_graph = cuda_graph
        self.decoding_rules = decoding_rules
        self._scanned = False
        self._loaded: dict[_Key, LoadedModel] = {}
        self._failed: dict[_Key, EngineError] = {}
        self._locks: dict[_Key, asyncio.Lock] = {}
        self._retired: list[Batcher] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        return cls(
            settings.bundled_models_dir,
            settings.resolved_models_dir,
            device=settings.device,
            max_batch=settings.engine_max_batch,
            max_queue=settings.engine_max_queue,
            threads=settings.engine_threads,
            max_seed_chars=settings.max_seed_chars,
        )

    # ----------------------------------------------------------------- lifecycle
    async def start(self, *, preload: bool = False) -> None:
        """Scan the model directories; ``preload`` also loads every active version now."""
        check_device(self.device)
        self.reload()
        if preload:
            for name in self.registry.names():
                with contextlib.suppress(EngineError):  # refused models stay refused; others serve
                    await self._model(name, None)

    async def close(self) -> None:
        batchers = [m.batcher for m in self._loaded.values()] + self._retired
        for batcher in batchers:
            batcher.close(drain=False)
        for batcher in batchers:
            await asyncio.to_thread(batcher.join)
        self._loaded.clear()
        self._retired.clear()

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ----------------------------------------------------------------- generation
    async def generate(self, request: GenerationRequest) -> GenerationResult:
        sub = await self._submit(request, streaming=False)
        assert sub.seq.future is not None
        try:
            await sub.seq.future
        except asyncio.CancelledError:
            sub.seq.cancelled = True
            raise
        return self._result(sub)

    def stream(self, request: GenerationRequest) -> TextStream:
        """Text pieces as they are sampled; joined, they equal ``generate``'s ``continuation``.

        The returned iterator's ``result`` holds the full ``GenerationResult`` once exhausted.
        """
        return TextStream(self, request)

    async def _submit(self, request: GenerationRequest, *, streaming: bool) -> _Submitted:
        seed = check_seed(draw_seed() if request.rng_seed is None else request.rng_seed)
        loop = asyncio.get_running_loop()
        while True:
            model = await self._model(request.model, request.version)
            manifest = model.entry.manifest
            params = resolve_params(request.params, manifest.generation)
            prompt = encode_prompt(model.vocabulary.tokenizer, request.seed_text, self.max_seed_chars)
            constraint = None
            if model.rules is not None:
                constraint = model.rules.start(prompt.ids, request)
            else:
                refuse_acrostic(request.acrostic)
            seq = Sequence(
                prompt.ids, params, seed, model.vocabulary, loop, streaming=streaming, constraint=constraint
            )
            try:
                model.batcher.submit(seq)
            except RetiredError:
                continue  # swapped out between lookup and submit: take the version now serving
            return _Submitted(seq, model, prompt, request)

    def _result(self, sub: _Submitted) -> GenerationResult:
        seq, entry = sub.seq, sub.model.entry
        continuation = "".join(seq.pieces)
        return GenerationResult(
            text=sub.prompt.seen + continuation,
            continuation=continuation,
            model=entry.name,
            model_version=entry.version,
            seed_text=sub.request.seed_text,
            rng_seed=seq.rng_seed,
            params=seq.params,
            dropped=list(sub.prompt.dropped),
            tokens=len(seq.generated),
            latency_s=seq.latency_s,
        )

    # ----------------------------------------------------------------- models and versions
    def models(self) -> list[ModelInfo]:
        """The served version of every model that can serve, with the versions one could go back to."""
        self._ensure_scanned()
        infos = []
        for name in self.registry.names():
            try:
                entry = self.registry.get(name)
            except EngineError:
                continue
            key = (name, entry.version)
            if key in self._failed:
                continue
            loaded = self._loaded.get(key)
            manifest = entry.manifest
            infos.append(
                ModelInfo(
                    name=name,
                    version=entry.version,
                    kind=manifest.kind,
                    description=manifest.description,
                    metrics=manifest.metrics.model_dump(mode="json", exclude_none=True),
                    previous_versions=[
                        v.version for v in self.registry.versions(name) if v.version != entry.version
                    ],
                    previous_metrics={
                        v.version: v.manifest.metrics.model_dump(mode="json", exclude_none=True)
                        for v in self.registry.versions(name)
                        if v.version != entry.version
                    },
                    provider=loaded.provider if loaded else None,
                    defaults=resolve_params(None, manifest.generation),
                    form=manifest.decoding.form,
                    forms=forms_of(manifest) if self.decoding_rules else (),
                    default_form=default_form_of(manifest) if self.decoding_rules else None,
                    symbols=entry.symbols,
                )
            )
        return infos

    def batch_stats(self) -> list[BatchStats]:
        """Queue depth, batch size and steps run of every loaded model version's batcher."""
        return [
            BatchStats(name, version, m.batcher.queued, m.batcher.batch, m.batcher.steps)
            for (name, version), m in self._loaded.items()
        ]

    def versions(self, name: str) -> list[tuple[str, Manifest]]:
        """Every valid version of ``name``, newest first (bundled included)."""
        self._ensure_scanned()
        return [(v.version, v.manifest) for v in self.registry.versions(name)]

    def manifest(self, name: str, version: str | None = None) -> Manifest:
        self._ensure_scanned()
        return self.registry.get(name, version).manifest

    def active_version(self, name: str) -> str:
        self._ensure_scanned()
        return self.registry.active_version(name)

    @property
    def models_dir(self) -> Path | None:
        """Where retrained versions go: ``<models_dir>/<name>/<version>/``."""
        return self.registry.models_dir

    def reload(self) -> None:
        """Rescan the directories (new versions, ``active`` files written elsewhere); retry refused ones."""
        self.registry.scan()
        self._scanned = True
        self._failed.clear()
        self._retire_inactive()

    async def activate(self, name: str, version: str) -> None:
        """Serve ``version`` from now on; it is loaded and checked first, so a bad one changes nothing."""
        await self._switch(name, version, rollback=False)

    async def rollback(self, name: str, version: str | None = None) -> str:
        """Go back to ``version``, or to the one served before the current; returns the version now served."""
        self._ensure_scanned()
        if version is None:
            history = self.registry.history(name)
            bundled = [v.version for v in self.registry.versions(name) if v.bundled]
            current = self.registry.active_version(name)
            candidates = [v for v in [*history, *bundled] if v != current]
            if not candidates:
                raise InvalidRequestError(f"model '{name}' has no earlier version to roll back to")
            version = candidates[0]
        await self._switch(name, version, rollback=True)
        return version

    async def _switch(self, name: str, version: str, *, rollback: bool) -> None:
        self._ensure_scanned()
        self._failed.pop((name, version), None)  # an explicit activation deserves a fresh check
        await self._model(name, version)
        self.registry.record_switch(name, version, rollback=rollback)
        self._retire_inactive()

    # ----------------------------------------------------------------- loading
    def _ensure_scanned(self) -> None:
        if not self._scanned:
            self.reload()

    async def _model(self, name: str, version: str | None) -> LoadedModel:
        self._ensure_scanned()
        entry = self.registry.get(name, version)
        key = (entry.name, entry.version)
        loaded = self._loaded.get(key)
        if loaded is not None:
            return loaded
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key in self._loaded:
                return self._loaded[key]
            if key in self._failed:
                raise self._failed[key]
            try:
                loaded = await asyncio.to_thread(self._load, entry)
            except ModelUnavailableError as err:
                self._failed[key] = err
                raise
            self._loaded[key] = loaded
            return loaded

    def _load(self, entry: ModelVersion) -> LoadedModel:
        onnx_path = verify_files(entry)
        step = open_step_session(
            onnx_path, entry.manifest, self.device, self.threads, cuda_graph=self.cuda_graph
        )
        runner: StepRunner
        if step.provider == "cuda":
            runner = BoundStateRunner(step, self.max_batch, cuda_graph=self.cuda_graph)
        else:
            runner = HostStateRunner(step)
        vocabulary = Vocabulary.of(entry.manifest.build_tokenizer())
        decoding = entry.manifest.decoding
        rules = None
        if self.decoding_rules:
            lexicon = Lexicon.read(entry.path / decoding.lexicon) if decoding.lexicon else None
            rules = rules_for(decoding, vocabulary.tokenizer, lexicon)
        batcher = Batcher(
            runner, vocabulary, max_batch=self.max_batch, max_queue=self.max_queue, name=entry.name
        )
        return LoadedModel(entry, vocabulary, batcher, step.provider, rules)

    def _retire_inactive(self) -> None:
        """Let loaded versions that no longer serve finish their requests, then stop."""
        self._retired = [b for b in self._retired if b.alive]
        for key, loaded in list(self._loaded.items()):
            name, version = key
            try:
                still_served = self.registry.get(name).version == version
            except EngineError:
                still_served = False
            if not still_served:
                del self._loaded[key]
                loaded.batcher.close(drain=True)
                self._retired.append(loaded.batcher)


class TextStream(AsyncIterator[str]):
    """``async for piece in engine.stream(request)``; ``result`` is set once the text is complete."""

    def __init__(self, engine: Engine, request: GenerationRequest) -> None:
        self._engine = engine
        self._request = request
        self._sub: _Submitted | None = None
        self.result: GenerationResult | None = None

    @property
    def seen_text(self) -> str | None:
        """The seed as the model saw it (what ``result.text`` starts with), once submitted."""
        return None if self._sub is None else self._sub.prompt.seen

    def __aiter__(self) -> TextStream:
        return self

    async def __anext__(self) -> str:
        if self.result is not None:
            raise StopAsyncIteration
        if self._sub is None:
            self._sub = await self._engine._submit(self._request, streaming=True)
        seq = self._sub.seq
        assert seq.chunks is not None
        try:
            piece = await seq.chunks.get()
        except asyncio.CancelledError:
            seq.cancelled = True
            raise
        if piece is not None:
            return piece
        if seq.error is not None:
            raise seq.error
        self.result = self._engine._result(self._sub)
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop early: the request leaves the batch at its next step."""
        if self._sub is not None:
            self._sub.seq.cancelled = True
