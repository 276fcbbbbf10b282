"""The recurrent language model: embedding → RNN | GRU | LSTM → linear head over the vocabulary."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

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
    weight_drop: float = 0.0  # DropConnect on the hidden-to-hidden matrices, training only
    emb_dropout: float = 0.0  # whole embedding rows (symbols) dropped per batch, training only

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

    ``weight_drop`` and ``emb_dropout`` are AWD-LSTM's regularizers (Merity et al. 2018). Both act
    only in training mode and only on a copy of the weights passed to the cell, so the parameters,
    the checkpoints and the exported step graph are exactly those of a model trained without them.
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
        x = self._embed(tokens)
        if self.config.cell == "lstm":
            out, (h, c) = self._cell(x, (state[0], state[1]))
            return out, (h, c)
        out, h = self._cell(x, state[0])
        return out, (h,)

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        p = self.config.emb_dropout
        if not (self.training and p > 0):
            return self.embed(tokens)
        weight = self.embed.weight
        keep = weight.new_empty((weight.shape[0], 1)).bernoulli_(1 - p) / (1 - p)
        return F.embedding(tokens, weight * keep)

    def _cell(self, x: torch.Tensor, state: Any) -> Any:
        """The cell, with freshly DropConnect-ed recurrent matrices in training (one mask per batch)."""
        p = self.config.weight_drop
        if not (self.training and p > 0):
            return self.rnn(x, state)
        dropped = {
            name: F.dropout(getattr(self.rnn, name), p, training=True)
            for name in self.rnn._flat_weights_names
            if name.startswith("weight_hh")
        }
        return functional_call(self.rnn, dropped, (x, state))

    def forward(self, tokens: torch.Tensor, state: TorchState) -> tuple[torch.Tensor, TorchState]:
        """``tokens`` ``[batch, time]`` → logits ``[batch, time, vocab]`` and the next state."""
        out, new_state = self.features(tokens, state)
        return self.head(self.drop(out)), new_state

    @property
    def parameters_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
