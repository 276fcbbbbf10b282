"""The training loop: AdamW, warm-up + cosine, clipping, TBPTT or line batches, exact resume."""

from __future__ import annotations

import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from rich.text import Text

from artifact.corpora import load_corpus
from artifact.run_metrics import MetricsLog
from artifact.tokenizer import Tokenizer
from training import checkpoint
from training.batches import LineBatches, StreamBatches
from training.config import CONFIG_FILE, DEFAULT_STEPS, TrainConfig, read_run_config, write_run_config
from training.data import Dataset, LineData, dataset_for
from training.evaluate import SUMMARY_FILE, final_metrics, quick_val_loss, read_summary, write_summary
from training.models import ModelConfig, RecurrentLM, TorchState
from training.plots import plot_losses
from training.previews import preview
from training.reporting import ProgressView, summary_table
from training.scoring import IGNORE
from training.tensorboard_log import TensorBoardLog

EVALS_PER_RUN = 10


class TrainingError(Exception):
    """Training cannot go on (the loss diverged, the data does not fit); already logged."""


@dataclass
class RunOptions:
    """How to run, not what to learn: none of this changes the trained weights."""

    corpora_dir: Path | None
    cache_dir: Path
    device: str = "auto"
    threads: int | None = None
    max_minutes: float | None = None
    should_stop: Callable[[], bool] | None = None  # polled every step: a clean, resumable stop
    show_progress: bool = True
    log_every: int | None = None
    tensorboard: bool = False  # also write TensorBoard event files (needs the optional package)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("--device cuda was asked for, but PyTorch sees no CUDA GPU")
    if name not in ("cpu", "cuda"):
        raise TrainingError(f"unknown device {name!r}; use auto, cpu or cuda")
    return torch.device(name)


def default_threads(device: torch.device) -> int:
    """Half the cores, at most 4: a recurrent step's matmuls are too small to scale further, and
    on a shared CPU an oversubscribed OpenMP team runs several times slower than one thread."""
    if device.type != "cpu":
        return torch.get_num_threads()
    return max(1, min(4, (os.cpu_count() or 2) // 2))


def hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU, {torch.cuda.get_device_name(device)}"
    threads = torch.get_num_threads()
    return f"CPU, {os.cpu_count()} cores ({threads} thread{'s' if threads != 1 else ''})"


def new_run_dir(runs_dir: Path, config: TrainConfig) -> Path:
    stem = Path(config.corpus).stem if Path(config.corpus).is_file() else config.corpus
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = runs_dir / f"{stem}-{config.arch}{config.hidden}-{stamp}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = runs_dir / f"{stem}-{config.arch}{config.hidden}-{stamp}-{suffix}"
    return run_dir


def lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up to 1, then a cosine down to ``min_ratio`` at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def train(run_dir: Path, options: RunOptions, config: TrainConfig | None = None) -> dict[str, Any]:
    """Start a run in ``run_dir`` with ``config``, or resume the one there when ``config`` is None.

    Returns the run summary. Every failure after ``run_dir`` exists is also an ``error`` event.
    """
    if config is not None and (run_dir / CONFIG_FILE).exists():
        raise TrainingError(
            f"{run_dir} already holds a run; continue it with --resume or pick another --run-dir"
        )
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    log = TensorBoardLog(run_dir) if options.tensorboard else MetricsLog(run_dir)
    if config is not None:
        log.path.unlink(missing_ok=True)  # the error of an attempt that never got going
    try:
        return _Run(run_dir, options, config, log).run()
    except TrainingError as exc:
        if not any(e["event"] == "error" for e in log.events()):
            log.write("error", message=str(exc), step=0, total_steps=0, elapsed_s=0.0)
        _forget_unstarted(run_dir, created)
        raise
    except Exception as exc:
        log.write("error", message=f"{type(exc).__name__}: {exc}", step=0, total_steps=0, elapsed_s=0.0)
        _forget_unstarted(run_dir, created)
        raise


def _forget_unstarted(run_dir: Path, created: bool) -> None:
    """A run directory made by a start that failed before the run began (an unknown corpus, data
    too small) holds nothing worth keeping; the caller reports the error. A directory someone else
    made (a retraining job's, with its log) stays."""
    if created and not (run_dir / CONFIG_FILE).exists():
        shutil.rmtree(run_dir, ignore_errors=True)


class _Run:
    def __init__(self, run_dir: Path, options: RunOptions, config: TrainConfig | None, log: MetricsLog):
        self.run_dir, self.options, self.log = run_dir, options, log
        self.device = pick_device(options.device)
        torch.set_num_threads(options.threads or default_threads(self.device))
        resume = (
            checkpoint.load(checkpoint.checkpoint_path(run_dir, checkpoint.LAST)) if config is None else None
        )
        recorded = read_run_config(run_dir) if config is None else None
        if recorded is not None:
            config = TrainConfig.from_dict(recorded["config"])
        assert config is not None
        config.validate()
        self.config = config
        corpus = load_corpus(config.corpus, corpora_dir=options.corpora_dir, cache_dir=options.cache_dir)
        if recorded is not None and recorded["corpus"]["sha256"] != corpus.sha256:
            raise TrainingError(f"{config.corpus} has changed since this run started (sha256 differs)")
        tokenizer = Tokenizer.from_dict(resume["tokenizer"]) if resume else None
        try:
            self.data: Dataset = dataset_for(corpus, config.to_dict(), tokenizer)
        except ValueError as exc:
            raise TrainingError(str(exc)) from None
        config.mode, config.lowercase = self.data.mode, self.data.tokenizer.lowercase
        self.batches = self._batches()
        if config.steps is None and config.epochs is not None:
            config.steps = max(1, round(config.epochs * self.batches.steps_per_epoch))
        config.steps = config.steps or DEFAULT_STEPS
        if config.eval_every is None:
            config.eval_every = max(1, config.steps // EVALS_PER_RUN)
        self.total = config.steps
        self.model_config = ModelConfig(
            config.arch,
            len(self.data.tokenizer),
            config.emb,
            config.hidden,
            config.layers,
            config.dropout,
            config.tie_weights,
            config.weight_drop,
            config.emb_dropout,
        )
        torch.manual_seed(config.seed)
        self.model = RecurrentLM(self.model_config).to(self.device)
        decay = [p for p in self.model.parameters() if p.dim() >= 2]
        no_decay = [p for p in self.model.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": decay, "weight_decay": config.weight_decay},
                {"params": no_decay, "weight_decay": 0.0},
            ],
            lr=config.lr,
            betas=(0.9, 0.99),
        )
        warmup = min(config.warmup, max(1, self.total // 10))  # short runs: a tenth at most
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, warmup, self.total, config.min_lr_ratio)
        )
        self.step, self.best_val, self.best_step, self.elapsed_before = 0, math.inf, 0, 0.0
        self.carried: TorchState | None = None
        self.last_eval_step = -1
        self.averaging = _Averaging(config.average_last)
        self.window = {"loss_sum": 0.0, "count": 0}
        if resume is not None:
            self._restore(resume)
        else:
            write_run_config(
                run_dir,
                config,
                {
                    "corpus": {"name": corpus.name, "sha256": corpus.sha256, "chars": corpus.chars},
                    "data": self._data_facts(),
                    "model": self.model_config.to_dict(),
                    "parameters": self.model.parameters_count,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
            )
        self.corpus = corpus

    def _data_facts(self) -> dict[str, int]:
        data = self.data
        if isinstance(data, LineData):
            return {
                "train_lines": len(data.train),
                "val_lines": len(data.val),
                "longest_line": data.longest_line,
            }
        return {"train_tokens": len(data.train), "val_tokens": len(data.val), "vocab": len(data.tokenizer)}

    def _batches(self) -> StreamBatches | LineBatches:
        cfg, data = self.config, self.data
        try:
            if isinstance(data, LineData):
                assert data.tokenizer.eos_id is not None
                return LineBatches(data.train, cfg.batch, data.tokenizer.eos_id, cfg.seed)
            return StreamBatches(data.train, cfg.batch, cfg.seq_len, cfg.seed)
        except ValueError as exc:
            raise TrainingError(str(exc)) from None

    # ------------------------------------------------------------------ checkpoints
    def _payload(self) -> dict[str, Any]:
        return {
            "model_config": self.model_config.to_dict(),
            "tokenizer": self.data.tokenizer.to_dict(),
            "model": self.model.state_dict(),
            "step": self.step,
            "best_val": self.best_val,
            "best_step": self.best_step,
        }

    def _save_last(self, elapsed: float) -> None:
        payload = self._payload() | {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "batches": self.batches.state_dict(),
            "carried": None if self.carried is None else [s.cpu() for s in self.carried],
            "window": dict(self.window),
            "averaging": self.averaging.state_dict(),
            "rng": checkpoint.rng_states(),
            "elapsed_s": elapsed,
        }
        checkpoint.save(checkpoint.checkpoint_path(self.run_dir, checkpoint.LAST), payload)

    def _restore(self, payload: dict[str, Any]) -> None:
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        self.batches.load_state_dict(payload["batches"])
        carried = payload["carried"]
        self.carried = None if carried is None else tuple(s.to(self.device) for s in carried)
        self.window = dict(payload["window"])
        self.averaging.load_state_dict(payload.get("averaging"))
        self.step, self.best_val, self.best_step = payload["step"], payload["best_val"], payload["best_step"]
        self.elapsed_before = payload["elapsed_s"]
        checkpoint.restore_rng_states(payload["rng"])

    # ------------------------------------------------------------------ the loop
    def run(self) -> dict[str, Any]:
        finished = read_summary(self.run_dir) if self.step >= self.total else None
        if finished is not None:
            return finished  # resuming a finished run changes nothing
        self.log.rewind(self.step)
        cfg, opts = self.config, self.options
        assert cfg.eval_every is not None
        log_every = opts.log_every or max(1, self.total // 500)
        started = time.monotonic()
        deadline = None if opts.max_minutes is None else started + opts.max_minutes * 60
        stopped: str | None = None
        last_log_time, last_log_step, tokens_since = started, self.step, 0
        with ProgressView(self.total, self.step, opts.show_progress) as view:
            while self.step < self.total:
                if opts.should_stop is not None and opts.should_stop():
                    stopped = "interrupted"
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    stopped = "time limit"
                    break
                loss, tokens = self._train_step()
                self.step += 1
                tokens_since += tokens
                self.window["loss_sum"] += loss
                self.window["count"] += 1
                now = time.monotonic()
                elapsed = self.elapsed_before + now - started
                if self.step % log_every == 0 or self.step == self.total:
                    rate = tokens_since / max(now - last_log_time, 1e-9)
                    per_step = (now - last_log_time) / max(self.step - last_log_step, 1)
                    mean = self.window["loss_sum"] / self.window["count"]
                    self.window = {"loss_sum": 0.0, "count": 0}
                    self.log.write(
                        "progress",
                        **self._where(elapsed),
                        loss=mean,
                        tokens_per_s=rate,
                        eta_s=per_step * (self.total - self.step),
                        lr=self.scheduler.get_last_lr()[0],
                        epoch=self.batches.epoch,
                    )
                    view.update(self.step, mean, rate)
                    last_log_time, last_log_step, tokens_since = now, self.step, 0
                if self.step % cfg.eval_every == 0 or self.step == self.total:
                    view.set_val(self._evaluate(elapsed))
                    self._show_preview(view)
            elapsed = self.elapsed_before + time.monotonic() - started
            if stopped == "interrupted":
                self._save_last(elapsed)  # no evaluation: the resumed run must match an unbroken one
                self.log.write("done", **self._where(elapsed), stopped=stopped, run_dir=str(self.run_dir))
                return {"stopped": stopped, "step": self.step, "run_dir": str(self.run_dir)}
            if self.last_eval_step != self.step:
                self._evaluate(elapsed)
        return self._finish(elapsed, stopped)

    def _show_preview(self, view: ProgressView) -> None:
        """A few lines of what the model writes now, above the progress bar (not when quiet)."""
        if self.options.show_progress:
            text = preview(self.model, self.data, self.device, seed=self.config.seed + self.step)
            view.progress.console.print(Text(f"step {self.step}:", style="dim"), Text(text), sep="\n")

    def _where(self, elapsed: float) -> dict[str, Any]:
        return {"step": self.step, "total_steps": self.total, "elapsed_s": round(elapsed, 3)}

    def _train_step(self) -> tuple[float, int]:
        batch = self.batches.next()
        inputs, targets = batch.inputs.to(self.device), batch.targets.to(self.device)
        if batch.reset_state or self.carried is None:
            state = self.model.initial_state(inputs.shape[0], self.device)
        else:
            state = self.carried
        self.model.train()
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            logits, new_state = self.model(inputs, state)
        loss = F.cross_entropy(logits.float().transpose(1, 2), targets, ignore_index=IGNORE)
        value = float(loss.item())
        if not math.isfinite(value):
            message = f"loss became {'NaN' if math.isnan(value) else 'infinite'} at step {self.step + 1}"
            self.log.write("error", message=message, **self._where(self.elapsed_before))
            raise TrainingError(message)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.clip)
        self.optimizer.step()
        self.scheduler.step()
        self.carried = tuple(s.detach().float() for s in new_state)
        return value, int((targets != IGNORE).sum())

    def _evaluate(self, elapsed: float) -> float:
        val = quick_val_loss(self.model, self.data, self.device)
        self.last_eval_step = self.step
        self.averaging.record(self.step, self.model)
        if val < self.best_val:
            self.best_val, self.best_step = val, self.step
            self.averaging.mark_best()
            checkpoint.save(checkpoint.checkpoint_path(self.run_dir, checkpoint.BEST), self._payload())
        self._save_last(elapsed)
        self.log.write("eval", **self._where(elapsed), val_loss=val, best_val_loss=self.best_val)
        plot_losses(self.run_dir, title=self.run_dir.name)
        return val

    def _average(self) -> dict[str, Any] | None:
        """Checkpoint averaging: the mean weights replace ``best.pt`` only if they score better."""
        mean, steps = self.averaging.mean_up_to_best()
        if mean is None:
            return None
        self.model.load_state_dict(mean)
        val = quick_val_loss(self.model, self.data, self.device)
        kept = val < self.best_val
        if kept:
            self.best_val = val
            payload = self._payload() | {"step": self.best_step, "averaged_steps": steps}
            checkpoint.save(checkpoint.checkpoint_path(self.run_dir, checkpoint.BEST), payload)
        return {"steps": steps, "val_loss": val, "kept": kept}

    def _finish(self, elapsed: float, stopped: str | None) -> dict[str, Any]:
        averaged = self._average()
        best = checkpoint.load(checkpoint.checkpoint_path(self.run_dir, checkpoint.BEST))
        self.model.load_state_dict(best["model"])
        metrics = final_metrics(self.model, self.data, self.device)
        run_figures = {
            "train_time_s": round(elapsed, 1),
            "hardware": hardware(self.device),
            "steps": self.step,
        }
        summary: dict[str, Any] = {
            "metrics": metrics | run_figures,
            "best_step": self.best_step,
            "parameters": self.model.parameters_count,
            "stopped": stopped,
        }
        if averaged is not None:
            summary["averaged"] = averaged
        write_summary(self.run_dir, summary)
        self.log.write(
            "done",
            **self._where(elapsed),
            val_loss=metrics["val_loss"],
            best_step=self.best_step,
            run_dir=str(self.run_dir),
            **({"stopped": stopped} if stopped else {}),
        )
        plot_losses(self.run_dir, title=self.run_dir.name)
        if self.options.show_progress:
            from rich.console import Console

            rows: dict[str, Any] = {"run": str(self.run_dir), "steps": self.step, "best step": self.best_step}
            rows |= {k: v for k, v in summary["metrics"].items() if not isinstance(v, dict)}
            rows |= {f"novelty {k}": v for k, v in (metrics.get("novelty") or {}).items()}
            Console().print(summary_table(f"{self.corpus.name}: {SUMMARY_FILE}", rows))
        return summary


class _Averaging:
    """The last ``n`` evaluated weights (CPU copies), and the window that ended at the best evaluation.

    Averaging the weights of a few evaluations up to the best one (a cheap stand-in for
    Polyak/ASGD averaging) smooths the noise of the last optimizer steps; ``n`` < 2 keeps nothing.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.window: list[tuple[int, dict[str, torch.Tensor]]] = []
        self.best: list[tuple[int, dict[str, torch.Tensor]]] = []

    def record(self, step: int, model: torch.nn.Module) -> None:
        if self.n < 2:
            return
        weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        self.window = [*self.window, (step, weights)][-self.n :]

    def mark_best(self) -> None:
        self.best = list(self.window)

    def mean_up_to_best(self) -> tuple[dict[str, torch.Tensor] | None, list[int]]:
        if len(self.best) < 2:
            return None, []
        mean = {
            key: torch.stack([w[key].float() for _, w in self.best]).mean(0).to(self.best[0][1][key].dtype)
            for key in self.best[0][1]
        }
        return mean, [step for step, _ in self.best]

    def state_dict(self) -> dict[str, Any] | None:
        return {"window": self.window, "best": self.best} if self.n >= 2 else None

    def load_state_dict(self, state: dict[str, Any] | None) -> None:
        if state is not None:
            self.window = [(int(step), weights) for step, weights in state["window"]]
            self.best = [(int(step), weights) for step, weights in state["best"]]
