"""Everything a short GPU window is for, in one call: install, prove CUDA, GPU tests, benchmarks,
training, export, evaluation.

    bench/gpu/run.sh OUTDIR            # a Linux machine with one NVIDIA GPU; see bench/gpu/README.md
    bench/gpu/run.sh --smoke OUTDIR    # the same stages on the CPU at toy sizes (the test suite runs it)

Every stage is its own process under one wall-clock budget (``--budget-s``, 540 s by default), so
a stage that fails or hangs costs only itself; each leaves a log under ``OUTDIR/logs`` and its
figures as JSON in OUTDIR. The run ends with a Markdown table (also ``OUTDIR/report.md``) and one
JSON object (also ``OUTDIR/results.json``). This file uses the standard library alone: the stages
import what they need once the install stage has put it on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GPU_TESTS = ["tests/engine/test_cuda.py"]
CLI = "import sys; from bot.cli import app; app(prog_name='bardling')"  # `bardling`, installed or not
TARGETS = {"poem_batch1_ms": 10.0, "chars_per_s_256": 1_000_000, "shakespeare_stateful": 1.36}
TARGETS |= {"shakespeare_windowed_256": 1.45, "ptb_test_ppl": 78.0}
EXPORT_EVAL_RESERVE_S = 120  # what export + evaluation of one trained model needs after its training
PTB_MIN_S = 180  # PTB is trained (for what is left minus export and evaluation) only from this much


@dataclass
class Stage:
    name: str
    status: str  # ok | failed | timeout | skipped
    seconds: float = 0.0
    detail: str = ""
    log: str | None = None


@dataclass
class Plan:
    """The sizes of everything: a real GPU run, or the smoke run's toys on the CPU."""

    device: str
    levels: str
    chars: int
    requests: int
    naive_requests: int
    random_hidden: int
    graph_variants: tuple[bool, ...]
    eval_samples: int
    eval_rules: bool  # the served decoding rules (and forms) in `bardling evaluate`'s samples
    gpu_tests_required: bool


GPU = Plan("cuda", "1,64,256", 400, 64, 10, 1024, (True, False), 50, True, True)
# a toy model cannot meet the verse forms' rules, and the search for them would outlast the test
SMOKE = Plan("cpu", "1,4", 20, 4, 2, 32, (False,), 3, False, False)


@dataclass
class Run:
    out: Path
    deadline: float
    env: dict[str, str]
    python: str
    started: float = field(default_factory=time.monotonic)
    stages: list[Stage] = field(default_factory=list)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def step(self, name: str, argv: list[str], cap: float, detail: str = "") -> Stage:
        """Run ``argv`` (cwd: the project root) for at most ``cap`` seconds and what the budget has left."""
        timeout = min(cap, self.left() - 2)
        log = self.out / "logs" / f"{name}.log"
        if timeout < 3:
            return self.record(Stage(name, "skipped", 0.0, "no time left in the budget"))
        began = time.monotonic()
        with log.open("w", encoding="utf-8") as fh:
            fh.write("$ " + " ".join(argv) + "\n")
            fh.flush()
            try:
                proc = subprocess.run(
                    argv, cwd=ROOT, env=self.env, stdout=fh, stderr=subprocess.STDOUT, timeout=timeout
                )
                status = "ok" if proc.returncode == 0 else "failed"
                note = detail if status == "ok" else f"exit {proc.returncode}: {_last_error(log)}"
            except subprocess.TimeoutExpired:
                status, note = "timeout", f"stopped after {timeout:.0f} s"
        return self.record(Stage(name, status, round(time.monotonic() - began, 1), note, _rel(log, self.out)))

    def record(self, stage: Stage) -> Stage:
        self.stages.append(stage)
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f} s] {stage.name}: {stage.status} {stage.detail}".rstrip(), flush=True)
        return stage


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--smoke", action="store_true", help="toy sizes on the CPU, in seconds")
    parser.add_argument("--budget-s", type=float, default=540.0, help="wall-clock budget of the whole run")
    parser.add_argument("--shakespeare-s", type=float, default=170.0, help="training budget, seconds")
    parser.add_argument("--no-ptb", action="store_true", help="skip the PTB recipe")
    parser.add_argument(
        "--wheelhouse",
        type=Path,
        default=_env_path("BARDLING_WHEELHOUSE"),
        help="wheels to install first (default: $BARDLING_WHEELHOUSE); see prepare.sh",
    )
    parser.add_argument(
        "--ort-wheel",
        type=Path,
        default=_env_path("BARDLING_ORT_GPU_WHEEL"),
        help="the onnxruntime-gpu wheel, or a folder of its parts part.* + SHA256 "
        "(default: $BARDLING_ORT_GPU_WHEEL)",
    )
    parser.add_argument(
        "--site",
        type=Path,
        default=_env_path("BARDLING_GPU_SITE")
        or Path(os.environ.get("TMPDIR", "/tmp")) / "bardling-gpu-site",
        help="where the wheels are installed (put first on PYTHONPATH)",
    )
    parser.add_argument("--bundle", type=Path, help="also write the few small files worth keeping here")
    args = parser.parse_args()
    out = args.outdir.resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    plan = SMOKE if args.smoke else GPU
    env = dict(os.environ, PYTHONUNBUFFERED="1", BARDLING_DATA_DIR=str(out / "data"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    run = Run(out, time.monotonic() + args.budget_s, env, os.environ.get("PYTHON") or sys.executable)
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "smoke" if args.smoke else "gpu",
        "budget_s": args.budget_s,
        "targets": TARGETS,
    }
    if not args.smoke:
        install(run, args)
    report["provider"] = prove_provider(run, plan)
    report["tests"] = gpu_tests(run, plan)
    report["bench"] = benchmarks(run, plan)
    report["training"] = {}
    shakespeare_s = min(args.shakespeare_s, run.left() - EXPORT_EVAL_RESERVE_S)
    report["training"]["shakespeare"] = train_export_evaluate(run, plan, "shakespeare", shakespeare_s, args)
    if args.smoke or args.no_ptb:
        run.record(Stage("train-ptb", "skipped", 0.0, "smoke run" if args.smoke else "--no-ptb"))
    elif run.left() < PTB_MIN_S:
        run.record(Stage("train-ptb", "skipped", 0.0, f"{run.left():.0f} s left, PTB needs {PTB_MIN_S}"))
    else:
        ptb_s = run.left() - EXPORT_EVAL_RESERVE_S
        report["training"]["ptb"] = train_export_evaluate(run, plan, "ptb", ptb_s, args)
    report["stages"] = [asdict(s) for s in run.stages]
    report["wall_s"] = round(time.monotonic() - run.started, 1)
    report["met"] = targets_met(report)
    table = render(report)
    (out / "report.md").write_text(table, "utf-8")
    (out / "results.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    if args.bundle is not None:
        bundle(out, args.bundle.resolve())
    print(table)
    print(json.dumps(report))
    if any(s.status in ("failed", "timeout") for s in run.stages):
        sys.exit(1)


# ------------------------------------------------------------------------------------------- stages
def install(run: Run, args: argparse.Namespace) -> None:
    """Wheels into ``--site`` (first on PYTHONPATH): the project's missing dependencies and ORT-GPU."""
    began = time.monotonic()
    try:
        wheels = sorted(args.wheelhouse.glob("*.whl")) if args.wheelhouse else []
        if args.ort_wheel is not None:
            wheels.append(assemble_wheel(args.ort_wheel, args.site.parent))
    except (OSError, ValueError) as err:
        run.record(Stage("install", "failed", 0.0, str(err)))
        return
    if not wheels:
        run.record(
            Stage("install", "skipped", 0.0, "no --wheelhouse or --ort-wheel: using what is installed")
        )
        return
    argv = [run.python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile"]
    argv += ["--disable-pip-version-check", "--upgrade", "--target", str(args.site), *map(str, wheels)]
    stage = run.step("install", argv, 180, f"{len(wheels)} wheels into {args.site}")
    stage.seconds = round(time.monotonic() - began, 1)
    if stage.status == "ok":
        run.env["PYTHONPATH"] = os.pathsep.join([str(args.site), run.env["PYTHONPATH"]])


def assemble_wheel(path: Path, scratch: Path) -> Path:
    """A wheel file as is; a folder holding one; or a folder of its parts (``part.*``, in name order)
    and the ``SHA256`` line (``sha256sum`` output) that names the wheel and checks the joined file."""
    if path.is_file():
        return path
    found = sorted(path.glob("*.whl"))
    if found:
        return found[0]
    parts = sorted(path.glob("part.*"))
    sums = path / "SHA256"
    if not parts or not sums.is_file():
        raise ValueError(f"{path} holds no wheel, or not both its parts (part.*) and SHA256")
    digest, name = sums.read_text("utf-8").split()[:2]
    target = scratch / Path(name).name
    scratch.mkdir(parents=True, exist_ok=True)
    hasher = hashlib.sha256()
    with target.open("wb") as joined:
        for part in parts:
            data = part.read_bytes()
            hasher.update(data)
            joined.write(data)
    if hasher.hexdigest() != digest:
        raise ValueError(f"the parts in {path} do not join into the wheel SHA256 names (checksum differs)")
    return target


def prove_provider(run: Run, plan: Plan) -> dict[str, Any] | None:
    target = run.out / "provider.json"
    argv = [run.python, str(HERE / "provider.py"), "--device", plan.device, "--out", str(target)]
    stage = run.step("provider", argv, 90)
    found = _read_json(target)
    if found is not None:
        stage.detail = f"session on {found['session_provider']} (onnxruntime {found['onnxruntime']})"
    return found


def gpu_tests(run: Run, plan: Plan) -> dict[str, Any]:
    xml = run.out / "tests.xml"
    argv = [run.python, "-m", "pytest", "-q", "-rs", "-m", "gpu", "-p", "no:cacheprovider"]
    stage = run.step("gpu-tests", [*argv, f"--junitxml={xml}", *GPU_TESTS], 180)
    counts = _junit_counts(xml)
    stage.detail = ", ".join(f"{v} {k}" for k, v in counts.items())
    if stage.status == "ok" and plan.gpu_tests_required and (counts["skipped"] or not counts["passed"]):
        stage.status = "failed"  # a GPU run whose GPU tests skipped has not tested the GPU
    return counts


def benchmarks(run: Run, plan: Plan) -> dict[str, Any]:
    models = {
        "shakespeare": (ROOT / "exported_models" / "shakespeare", None),
        f"gru{plan.random_hidden}": (
            run.out / "bench-models" / f"gru{plan.random_hidden}",
            plan.random_hidden,
        ),
    }
    results: dict[str, Any] = {}
    for name, (model_dir, hidden) in models.items():
        row: dict[str, Any] = {}
        eager_json = run.out / f"bench-{name}-eager.json"
        argv = [run.python, str(HERE / "eager.py"), "--model-dir", str(model_dir), "--device", plan.device]
        argv += ["--batches", plan.levels, "--chars", str(plan.chars), "--out", str(eager_json)]
        argv += ["--random-hidden", str(hidden)] if hidden else []
        run.step(f"bench-{name}-eager", argv, 120)
        row["eager"] = _read_json(eager_json)
        for graph in plan.graph_variants:
            key = "engine_graph" if graph else "engine"
            argv = [run.python, str(ROOT / "bench" / "generate.py"), "--model-dir", str(model_dir)]
            argv += ["--device", plan.device, "--concurrency", plan.levels, "--chars", str(plan.chars)]
            argv += ["--requests", str(plan.requests), "--naive-requests", str(plan.naive_requests)]
            argv += ["--cuda-graph"] if graph else []
            argv += ["--threads", "1"] if plan.device == "cpu" else []
            stage = run.step(f"bench-{name}-{key.replace('_', '-')}", argv, 150)
            row[key] = _last_json_line(run.out / stage.log) if stage.log else None
        results[name] = row
    return results


def train_export_evaluate(
    run: Run, plan: Plan, recipe: str, budget_s: float, args: argparse.Namespace
) -> dict[str, Any]:
    """One recipe: trained (training's Python API, every field a TrainConfig field), then exported
    and evaluated with the ``bardling`` commands, as an operator would."""
    result: dict[str, Any] = {}
    train_json = run.out / f"train-{recipe}.json"
    argv = [run.python, str(HERE / "train.py"), recipe, "--budget-s", f"{budget_s:.0f}"]
    argv += ["--runs", str(run.out / "runs"), "--out", str(train_json), "--device", plan.device]
    argv += ["--smoke"] if args.smoke else []
    stage = run.step(f"train-{recipe}", argv, budget_s + 60)
    trained = _read_json(train_json)
    result["train"] = trained
    if trained is None:
        return result
    metrics = trained["summary"].get("metrics", {})
    stage.detail = (
        f"val {metrics.get('val_loss', float('nan')):.4f} after {trained['summary'].get('best_step')} steps"
    )
    plot = Path(trained["run_dir"]) / "loss.png"
    if plot.is_file():
        (run.out / "figures").mkdir(exist_ok=True)
        shutil.copy(plot, run.out / "figures" / f"{recipe}-loss.png")
    model_dir = run.out / "models" / recipe
    version = "gpu-" + dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    note = f"Trained by bench/gpu/run.sh ({recipe} recipe) in {trained['wall_s']:.0f} s."
    argv = [run.python, "-c", CLI, "export", trained["run_dir"], "--name", recipe, "--out", str(model_dir)]
    argv += ["--version", version, "--note", note, "--force"]
    if run.step(f"export-{recipe}", argv, 150).status != "ok":
        return result
    result["export"] = {"dir": _rel(model_dir, run.out), "version": version}
    eval_json = run.out / f"evaluate-{recipe}.json"
    argv = [run.python, "-c", CLI, "evaluate", str(model_dir), "--device", plan.device]
    argv += ["--json-out", str(eval_json), "--samples", str(plan.eval_samples)]
    argv += [] if plan.eval_rules else ["--no-rules"]
    run.step(f"evaluate-{recipe}", argv, EXPORT_EVAL_RESERVE_S)
    result["evaluate"] = _read_json(eval_json)
    return result


# ------------------------------------------------------------------------------------------ reporting
def targets_met(report: dict[str, Any]) -> dict[str, bool | None]:
    def engine(model: str, level: int, key: str) -> float | None:
        rows = ((report["bench"].get(model) or {}).get("engine_graph") or {}).get("engine") or []
        return next((r[key] for r in rows if r["concurrency"] == level), None)

    def figure(recipe: str, key: str) -> float | None:
        held = ((report["training"].get(recipe) or {}).get("evaluate") or {}).get("held_out") or {}
        return held.get(key)

    checks = {
        "poem_batch1_ms": (engine("shakespeare", 1, "latency_p50_ms"), lambda v, t: v <= t),
        "chars_per_s_256": (engine("shakespeare", 256, "chars_per_s"), lambda v, t: v >= t),
        "shakespeare_stateful": (figure("shakespeare", "val_loss"), lambda v, t: v <= t),
        "shakespeare_windowed_256": (figure("shakespeare", "windowed_256_loss"), lambda v, t: v <= t),
        "ptb_test_ppl": (figure("ptb", "test_ppl"), lambda v, t: v <= t),
    }
    return {k: None if v is None else bool(ok(v, TARGETS[k])) for k, (v, ok) in checks.items()}


def render(report: dict[str, Any]) -> str:
    lines = [
        f"# GPU run, {report['date']} ({report['mode']}, {report['wall_s']} s of {report['budget_s']:.0f})",
        "",
    ]
    provider = report.get("provider") or {}
    tests = ", ".join(f"{v} {k}" for k, v in report["tests"].items())
    lines.append(
        f"Provider: **{provider.get('session_provider', '?')}** "
        f"(onnxruntime {provider.get('onnxruntime', '?')}; GPU {provider.get('gpu') or 'none'}). "
        f"GPU tests: {tests}"
    )
    lines += [
        "",
        "| model | method | concurrent | chars/s | p50 ms | p99 ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, row in report["bench"].items():
        for method, concurrency, rate, p50, p99 in _bench_rows(row):
            lines.append(f"| {name} | {method} | {concurrency} | {rate:,.0f} | {p50:.1f} | {p99} |")
    lines += [
        "",
        "| recipe | parameters | steps | train s | val (stateful) | windowed-256 | test ppl "
        "| ONNX val | ONNX test ppl |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for recipe, result in report["training"].items():
        summary = (result.get("train") or {}).get("summary") or {}
        m = summary.get("metrics") or {}
        held = (result.get("evaluate") or {}).get("held_out") or {}
        cells = [
            recipe,
            summary.get("parameters"),
            m.get("steps"),
            m.get("train_time_s"),
            _f(m.get("val_loss")),
            _f(m.get("windowed_256_loss")),
            _f(m.get("test_ppl"), 1),
            _f(held.get("val_loss")),
            _f(held.get("test_ppl"), 1),
        ]
        lines.append("| " + " | ".join("—" if c is None else str(c) for c in cells) + " |")
    lines += ["", "Targets met: " + ", ".join(f"{k} {v}" for k, v in report["met"].items()), ""]
    lines += ["| stage | status | s | detail |", "|---|---|---:|---|"]
    lines += [f"| {s['name']} | {s['status']} | {s['seconds']} | {s['detail']} |" for s in report["stages"]]
    return "\n".join(lines) + "\n"


def _bench_rows(row: dict[str, Any]) -> list[tuple[str, int, float, float, str]]:
    out: list[tuple[str, int, float, float, str]] = []
    engine = row.get("engine_graph") or row.get("engine")
    if engine:
        naive = engine["naive"]
        out.append(
            (f"naive loop, ORT {naive['provider']}", 1, naive["chars_per_s"], naive["latency_p50_ms"], "—")
        )
    for r in (row.get("eager") or {}).get("rows", []):
        out.append(("PyTorch eager", r["batch"], r["chars_per_s"], r["latency_ms"], "—"))
    for key, label in (("engine_graph", "engine, CUDA graphs"), ("engine", "engine")):
        for r in (row.get(key) or {}).get("engine", []):
            method = f"{label} ({r['provider']})"
            out.append(
                (
                    method,
                    r["concurrency"],
                    r["chars_per_s"],
                    r["latency_p50_ms"],
                    f"{r['latency_p99_ms']:.1f}",
                )
            )
    return out


def bundle(out: Path, target: Path) -> None:
    """At most three small files: the report, the JSON, and a tarball of everything but weights."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("report.md", "results.json"):
        shutil.copy(out / name, target / name)
    heavy = {".onnx", ".pt", ".tmp"}
    with tarfile.open(target / "details.tar.gz", "w:gz") as tar:
        for path in sorted(out.rglob("*")):
            skip = path.suffix in heavy or "corpora" in path.parts or path.is_dir()
            if not skip and path.stat().st_size < 8 << 20:
                tar.add(path, arcname=str(path.relative_to(out)))


def _junit_counts(xml: Path) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    if not xml.is_file():
        return counts
    for case in ET.parse(xml).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        if kinds & {"failure", "error"}:
            counts["failed"] += 1
        elif "skipped" in kinds:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return counts


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _last_json_line(log: Path) -> Any:
    try:
        text = log.read_text("utf-8")
    except OSError:
        return None
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def _last_error(log: Path) -> str:
    lines = [ln.strip() for ln in log.read_text("utf-8", errors="replace").splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no output"


def _rel(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def _f(value: float | None, digits: int = 4) -> str | None:
    return None if value is None else f"{value:.{digits}f}"


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


if __name__ == "__main__":
    main()
