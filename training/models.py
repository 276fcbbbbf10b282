"""The recurrent language model: embedding → RNN | GRU | LSTM → linear head over the vocabulary."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from training.config import Cell

TorchState = tuple[torch.Tensor, ...]

_CELLS: dict[str, type[nn.RNN] | type[nn.GRU] | type[nn.LSTM]] = {
    "rnn": nn.RNN,
    "gru": nn.GRU,
    "lstm": nn.LSTM,
}


@dataclass(frozen=True)
class ModelConfig:
    cell: Cell
    vocab_size: int
    embedding: int
    hidden: int
    layers: int
    dropout: float
    tie_weights: bool = False  # the head reuses the embedding matrix (needs embedding == hidden)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def state_names(self) -> list[tuple[str, str]]:
        """ONNX (input, output) names per state tensor, as ``artifact.manifest`` defines them."""
        return [("h_in", "h_out"), ("c_in", "c_out")] if self.cell == "lstm" else [("h_in", "h_out")]


class RecurrentLM(nn.Module):
    """Dropout acts between stacked layers (inside the cell) and before the head.

    With ``tie_weights`` the output layer shares the embedding matrix (Press & Wolf 2017;
    Inan et al. 2017): a word-level model loses a vocabulary-sized matrix, and usually some
    perplexity with it.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.cell not in _CELLS:
            raise ValueError(f"unknown cell {config.cell!r}; choose one of {', '.join(_CELLS)}")
        if config.tie_weights and config.embedding != config.hidden:
            raise ValueError(
                f"tied weights need the embedding size to equal the hidden size "
                f"({config.embedding} ≠ {config.hidden})"
            )
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embedding)
        self.rnn = _CELLS[config.cell](
            config.embedding,
            config.hidden,
            num_layers=config.layers,
            dropout=config.dropout if config.layers > 1 else 0.0,
            batch_first=True,
        )
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)
        if config.tie_weights:
            self.head.weight = self.embed.weight

    def initial_state(self, batch: int, device: torch.device | str = "cpu") -> TorchState:
        shape = (self.config.layers, batch, self.config.hidden)
        return tuple(torch.zeros(shape, device=device) for _ in self.config.state_names)

    def features(self, tokens: torch.Tensor, state: TorchState) -> tuple[torch.Tensor, TorchState]:
        """``tokens`` ``[batch, time]`` → top-layer outputs ``[batch, time, hidden]`` and the next state."""
        x = self.embed(tokens)
        if self.config.cell == "lstm":
            out, (h, c) = self.rnn(x, (state[0], state[1]))
            return out, (h, c)
        out, h = self.rnn(x, state[0])
        return out, (h,)

    def forward(self, tokens: torch.Tensor, state: TorchState) -> tuple[torch.Tensor, TorchState]:
        """``tokens`` ``[batch, time]`` → logits ``[batch, time, vocab]`` and the next state."""
        out, new_state = self.features(tokens, state)
        return self.head(self.drop(out)), new_state

    @property
    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
