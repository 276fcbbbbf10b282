"""A PyTorch model as a ``scoring.Backend``, so checkpoints are scored like exported models."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from training.models import RecurrentLM
from training.scoring import IGNORE, State


class TorchBackend:
    def __init__(self, model: RecurrentLM, device: torch.device | str = "cpu") -> None:
        self.model, self.device = model, torch.device(device)

    def initial_state(self, batch: int) -> State:
        return tuple(
            np.zeros((self.model.config.layers, batch, self.model.config.hidden), np.float32)
            for _ in self.model.config.state_names
        )

    def _run(self, tokens: np.ndarray, state: State) -> tuple[torch.Tensor, State]:
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.inference_mode():
                torch_state = tuple(torch.from_numpy(s).to(self.device) for s in state)
                logits, new = self.model(torch.from_numpy(tokens).to(self.device), torch_state)
        finally:
            self.model.train(was_training)
        return logits.float(), tuple(s.float().cpu().numpy() for s in new)

    def step(self, tokens: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        logits, new = self._run(tokens[:, None], state)
        return logits[:, 0].cpu().numpy(), new

    def nll(self, inputs: np.ndarray, targets: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        logits, new = self._run(np.ascontiguousarray(inputs), state)
        tgt = torch.from_numpy(np.ascontiguousarray(targets)).to(self.device)
        nll = F.cross_entropy(logits.transpose(1, 2), tgt, ignore_index=IGNORE, reduction="none")
        return nll.double().cpu().numpy(), new
