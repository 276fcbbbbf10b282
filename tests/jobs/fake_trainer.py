"""A stand-in for ``bardling train`` and ``bardling export`` that misbehaves on request.

Run as ``python fake_trainer.py SCENARIO TEMPLATES train|export|evaluate ARGS...`` (the job worker appends
the subcommand and its options to the configured command). ``TEMPLATES`` is a bundled-models
directory; ``export`` copies ``TEMPLATES/<name>`` (or the first model there) as the new version.
It writes ``metrics.jsonl`` as the real trainer does, and its pid to ``<run dir>/pid``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

STEP_PAUSE_S = 0.01
PNG = bytes.fromhex("89504e470d0a1a0a")  # enough of a PNG for a notice to carry


def option(args: list[str], name: str, default: str | None = None) -> str:
    if name in args:
        return args[args.index(name) + 1]
    if default is None:
        sys.exit(f"error: {name} is missing")
    return default


def event(run_dir: Path, **fields: object) -> None:
    with (run_dir / "metrics.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(fields) + "\n")


def train(scenario: str, args: list[str]) -> None:
    run_dir = Path(option(args, "--run-dir"))
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "pid").write_text(str(os.getpid()))
    (run_dir / "argv.json").write_text(json.dumps(args))
    if scenario == "crash":
        print("error: the corpus caught fire", file=sys.stderr)
        sys.exit(2)
    total = int(option(args, "--steps", "10"))
    for step in range(1, total + 1):
        event(
            run_dir,
            event="progress",
            step=step,
            total_steps=total,
            loss=3.0 - step / total,
            eta_s=(total - step) * STEP_PAUSE_S,
            elapsed_s=step * STEP_PAUSE_S,
        )
        if step == 3 and scenario == "nan":
            message = "loss became NaN at step 3"
            event(run_dir, event="error", message=message, step=3, total_steps=total, elapsed_s=0.0)
            print(f"error: {message}", file=sys.stderr)
            sys.exit(1)
        if step == 3 and scenario == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        if step == 3 and scenario == "hang":
            time.sleep(3600)
        time.sleep(STEP_PAUSE_S)
    event(run_dir, event="eval", step=total, total_steps=total, val_loss=1.25, elapsed_s=1.0)
    event(run_dir, event="done", step=total, total_steps=total, val_loss=1.2, elapsed_s=1.0)
    (run_dir / "loss.png").write_bytes(PNG)


def export(scenario: str, templates: Path, args: list[str]) -> None:
    name, out, version = option(args, "--name"), Path(option(args, "--out")), option(args, "--version")
    if scenario == "export_fail":
        print("error: parity check failed: max |Δ logits| 3.1e-02 > 1e-04", file=sys.stderr)
        sys.exit(1)
    template = templates / name if (templates / name).is_dir() else templates / "shakespeare"
    shutil.copytree(template, out)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    manifest |= {"name": name, "version": version, "created_at": "2030-01-01T00:00:00+00:00"}
    manifest.pop("content_sha256", None)  # rewritten by hand below: unsealed
    manifest["metrics"]["val_loss"] = 9.0 if scenario == "worse" else 1.2
    manifest["metrics"]["steps"] = 10
    if scenario == "mismatch":
        manifest["corpus"]["sha256"] = "f" * 64
    if scenario == "corrupt":
        (out / "model.onnx").write_bytes(b"not a model")
    (out / "manifest.json").write_text(json.dumps(manifest), "utf-8")


def evaluate(scenario: str, args: list[str]) -> None:
    """Stands in for measuring a served model: the tiny models' true loss is 1.5, whatever their
    manifests say."""
    if scenario == "evaluate_fail":
        print("error: corpus 'dinos' is not the text dinos was trained on", file=sys.stderr)
        sys.exit(1)
    Path(option(args, "--json-out")).write_text(json.dumps({"held_out": {"val_loss": 1.5}}), "utf-8")


def main() -> None:
    scenario, templates, command, *args = sys.argv[1:]
    if command == "train":
        train(scenario, args)
    elif command == "export":
        export(scenario, Path(templates), args)
    elif command == "evaluate":
        evaluate(scenario, args)
    else:
        sys.exit(f"error: unknown command {command}")


if __name__ == "__main__":
    main()
