"""What the model writes so far: a short sample shown at each evaluation of ``bardling train``.

A loss figure says little to a person; a few lines of text show at a glance whether the model has
learnt spelling, line breaks or names. Sampling uses numpy's generator and the model in eval mode
under ``inference_mode``, so it never touches the training RNG: a run with previews trains the
same weights as one without.
"""

from __future__ import annotations

import numpy as np
import torch

from artifact.sampling import SamplingParams
from training.data import Dataset, LineData
from training.models import RecurrentLM
from training.scoring import sample
from training.torch_backend import TorchBackend

PREVIEW_TOKENS = {"char": 160, "word": 30}  # enough to judge, short enough for a terminal
PREVIEW_LINES = 3  # line models: names or poems, one a line


def preview(model: RecurrentLM, data: Dataset, device: torch.device, *, seed: int) -> str:
    """A sample from ``model`` at temperature 0.8, primed with the start of the held-out text."""
    tokenizer = data.tokenizer
    backend = TorchBackend(model, device)
    rng = np.random.default_rng(seed)
    if isinstance(data, LineData):
        assert tokenizer.bos_id is not None
        lines = sample(
            backend,
            [tokenizer.bos_id],
            count=PREVIEW_LINES,
            params=SamplingParams(temperature=0.8, top_p=0.95, max_tokens=data.longest_line + 1),
            rng=rng,
            stop_id=tokenizer.eos_id,
            banned=tokenizer.never_sampled,
        )
        return "\n".join(tokenizer.decode(ids).strip() for ids in lines)
    prime = [int(data.val[0])]
    max_tokens = PREVIEW_TOKENS.get(tokenizer.mode, PREVIEW_TOKENS["char"])
    params = SamplingParams(temperature=0.8, top_p=0.95, max_tokens=max_tokens)
    (ids,) = sample(backend, prime, count=1, params=params, rng=rng, banned=tokenizer.never_sampled)
    return tokenizer.decode(prime + ids).strip()
