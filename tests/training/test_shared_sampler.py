"""The trainer's samples (model cards, novelty figures) are drawn as the bot draws them: the same
sampler, the same parameters and the same random stream give the same text."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from artifact.manifest import Manifest
from artifact.sampling import SamplingParams
from bot.engine import Engine
from bot.engine.api import GenerationRequest
from tests.support.tiny_models import make_tiny_model
from training.evaluate_onnx import OnnxBackend
from training.scoring import sample


async def test_the_trainer_samples_what_the_engine_serves(tmp_path: Path) -> None:
    directory = make_tiny_model(tmp_path / "bundle" / "verse", name="verse", hidden=24, seed=3)
    manifest = Manifest.read(directory)
    tokenizer = manifest.build_tokenizer()
    backend = OnnxBackend(directory / manifest.onnx.file, manifest.onnx.state)
    params = SamplingParams(temperature=0.9, top_k=12, top_p=0.9, max_tokens=60, max_lines=None)
    async with Engine(tmp_path / "bundle", device="cpu", threads=1, decoding_rules=False) as engine:
        for rng_seed in (1, 2, 3):
            served = await engine.generate(GenerationRequest("verse", "O ", params, rng_seed=rng_seed))
            (ids,) = sample(
                backend,
                tokenizer.encode("O ").ids,
                count=1,
                params=params,
                rng=np.random.default_rng(rng_seed),
                banned=tokenizer.never_sampled,
            )
            assert tokenizer.decode(ids) == served.continuation
