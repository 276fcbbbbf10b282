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
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from artifact.forms import ENGLISH_FORMS, FORMS, LINE_CANDIDATES
from artifact.lexicon import Lexicon
from artifact.manifest import Manifest
from artifact.tang_prosody import Prosody
from artifact.verse_form import is_ideograph
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
from bot.engine.composer import Composition
from bot.engine.constraints import Rules, refuse_acrostic
from bot.engine.prompt import Prompt, encode_prompt
from bot.engine.registry import ModelVersion, Registry, verify_files
from bot.engine.rules import default_form_of, forms_of, rules_for
from bot.engine.runner import BoundStateRunner, HostStateRunner, StepRunner
from bot.engine.sampling import resolve_params
from bot.engine.seeds import check_seed, draw_seed
from bot.engine.sequence import Sequence, Vocabulary
from bot.engine.session import Device, check_device, open_step_session
from bot.engine.verse import FormRules

_Key = tuple[str, str]  # (model name, version)


@dataclass(frozen=True)
class LoadedModel:
    entry: ModelVersion
    vocabulary: Vocabulary
    batcher: Batcher
    provider: str
    rules: Rules | None  # decoding rules from the manifest; None: free sampling
    forms: FormRules | None  # English verse forms, for a model with a whole-word lexicon


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
        line_candidates: int = LINE_CANDIDATES,
    ) -> None:
        """``decoding_rules=False`` samples freely, ignoring the manifests' rules (for comparisons);
        ``line_candidates`` is K, the lines sampled for each line of a form poem."""
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
        if line_candidates < 1:
            raise ValueError("line_candidates must be at least 1")
        self.line_candidates = line_candidates
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
            line_candidates=settings.line_candidates,
        )

    # ----------------------------------------------------------------- lifecycle
    async def start(self, *, preload: bool = False) -> None:
        """Scan the model directories; ``preload`` also loads every active version now."""
        check_device(self.device)
        self.reload()
        await asyncio.to_thread(self._verify_served)
        if preload:
            for name in self.registry.names():
                with contextlib.suppress(EngineError):  # refused models stay refused; others serve
                    await self._model(name, None)

    def _verify_served(self) -> None:
        """Check the served versions' files against their manifests now (cheap: hashing, no loading),
        so a tampered or truncated model is reported at start-up, not at its first request."""
        for name in self.registry.names():
            try:
                entry = self.registry.get(name)
            except EngineError:
                continue  # no usable version at all: ``unavailable()`` says why
            try:
                verify_files(entry)
            except ModelUnavailableError as err:
                self._failed[(name, entry.version)] = err

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
        if request.form in ENGLISH_FORMS:
            return await self._compose(request)
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
                # the rules see the seed actually used (a shape drawn from it must replay the same)
                constraint = model.rules.start(prompt.ids, replace(request, rng_seed=seed))
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

    async def _compose(
        self, request: GenerationRequest, on_line: Callable[[str], None] | None = None
    ) -> GenerationResult:
        """A poem in an English form, line by line (``bot.engine.composer``); the seed is printed
        as the user typed it, whatever the model could read of it."""
        seed = check_seed(draw_seed() if request.rng_seed is None else request.rng_seed)
        model = await self._model(request.model, request.version)
        form = FORMS[request.form or ""]
        if model.forms is None or form.name not in forms_of(model.entry.manifest):
            raise InvalidRequestError(f"{model.entry.name} cannot write a {form.name}")
        refuse_acrostic(request.acrostic)
        params = resolve_params(request.params, model.entry.manifest.generation)
        prompt = encode_prompt(model.vocabulary.tokenizer, request.seed_text, self.max_seed_chars)
        composition = Composition(form, model.forms, model.batcher, model.vocabulary, self.line_candidates)
        started = time.perf_counter()
        seed_ids = prompt.ids if prompt.seen else []
        lines = await composition.write(prompt.ids, seed_ids, params, seed, request.seed_text, on_line)
        continuation = "".join(line.text for line in lines)
        return GenerationResult(
            text=joined(request.seed_text, continuation),
            seen_text=prompt.seen,
            continuation=continuation,
            model=model.entry.name,
            model_version=model.entry.version,
            seed_text=request.seed_text,
            rng_seed=seed,
            params=params,
            dropped=list(prompt.dropped),
            tokens=sum(line.tokens for line in lines),
            latency_s=time.perf_counter() - started,
            score=sum(line.logprob for line in lines) / max(1, sum(line.tokens for line in lines)),
        )

    def _result(self, sub: _Submitted) -> GenerationResult:
        seq, entry = sub.seq, sub.model.entry
        continuation = "".join(seq.pieces)
        return GenerationResult(
            text=joined(_shown_seed(sub), continuation),
            seen_text=sub.prompt.seen,
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

    def unavailable(self) -> dict[str, str]:
        """Models that are installed but cannot serve (broken files, a refused or failed load), with
        the reason: never served under their name by another model, and reported as they are."""
        self._ensure_scanned()
        found: dict[str, str] = {}
        for name in self.registry.names():
            try:
                entry = self.registry.get(name)
            except EngineError as err:
                found[name] = str(err)
                continue
            failed = self._failed.get((name, entry.version))
            if failed is not None:
                found[name] = str(failed)
        return found

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

    def model_dir(self, name: str, version: str | None = None) -> Path:
        """Where a version (default: the served one) lies: its manifest, graph and rule files."""
        self._ensure_scanned()
        return self.registry.get(name, version).path

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
        """Go back to ``version``, or to the one served before the current; returns the version now served.

        Only to a version that once served this model: any other (one the gate rejected, one copied
        in by hand) goes through a gated activation instead (``bot.jobs.service``).
        """
        self._ensure_scanned()
        if version is not None and version not in self.registry.once_served(name):
            self.registry.get(name, version)  # an unknown version is said to be unknown
            raise InvalidRequestError(
                f"model '{name}' version {version} has never been served, so there is nothing to roll "
                "back to; activate it instead (it is checked first)"
            )
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
            prosody = Prosody.read(entry.path / decoding.prosody) if decoding.prosody else None
            rules = rules_for(decoding, vocabulary.tokenizer, lexicon, prosody)
        forms = None
        if self.decoding_rules and decoding.words:
            words = Lexicon.read(entry.path / decoding.words)
            forms = FormRules(vocabulary.tokenizer, words, capitals=decoding.line_capitals)
        batcher = Batcher(
            runner, vocabulary, max_batch=self.max_batch, max_queue=self.max_queue, name=entry.name
        )
        return LoadedModel(entry, vocabulary, batcher, step.provider, rules, forms)

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


def _shown_seed(sub: _Submitted) -> str:
    """A verse or prose text shows the user's words as typed; a name, its prefix as the model read it."""
    return sub.prompt.seen if sub.model.entry.manifest.kind == "names" else sub.request.seed_text


def joined(seed_text: str, continuation: str) -> str:
    """The user's words as typed, then the verse: a space between them where the model could not
    read the seed's last characters (an emoji) and the verse goes on with a word."""
    tail = seed_text[-1:]
    word = continuation[:1].isalpha() and not is_ideograph(continuation[0])  # Chinese takes no spaces
    if tail and word and not (tail.isspace() or tail.isalpha() or tail == "'"):
        return f"{seed_text} {continuation}"
    return seed_text + continuation


class TextStream(AsyncIterator[str]):
    """``async for piece in engine.stream(request)``; ``result`` is set once the text is complete."""

    def __init__(self, engine: Engine, request: GenerationRequest) -> None:
        self._engine = engine
        self._request = request
        self._sub: _Submitted | None = None
        self.result: GenerationResult | None = None
        self._lines: asyncio.Queue[str | None] | None = None  # a form poem's chosen lines
        self._task: asyncio.Task[GenerationResult] | None = None

    @property
    def seen_text(self) -> str | None:
        """The seed as ``result.text`` starts with it, once submitted."""
        if self._task is not None:
            return self._request.seed_text
        return None if self._sub is None else _shown_seed(self._sub)

    async def _next_line(self) -> str:
        """A form poem streams line by line, each line as soon as the composer has chosen it."""
        seed = self._request.seed_text
        first = self._lines is None
        if self._lines is None:
            lines: asyncio.Queue[str | None] = asyncio.Queue()
            self._lines = lines
            self._task = asyncio.create_task(self._engine._compose(self._request, lines.put_nowait))
            self._task.add_done_callback(lambda _: lines.put_nowait(None))
        assert self._task is not None
        line = await self._lines.get()
        if line is not None:
            return joined(seed, line)[len(seed) :] if first else line
        self.result = await self._task
        raise StopAsyncIteration

    def __aiter__(self) -> TextStream:
        return self

    async def __anext__(self) -> str:
        if self.result is not None:
            raise StopAsyncIteration
        if self._request.form in ENGLISH_FORMS:
            return await self._next_line()
        first = self._sub is None
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
            shown = _shown_seed(self._sub)
            return joined(shown, piece)[len(shown) :] if first else piece
        if seq.error is not None:
            raise seq.error
        self.result = self._engine._result(self._sub)
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop early: the request leaves the batch at its next step."""
        if self._task is not None:
            self._task.cancel()
        if self._sub is not None:
            self._sub.seq.cancelled = True
