"""bench/README.md names every benchmark script, so none is left for a reader to discover."""

from __future__ import annotations

from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_every_benchmark_script_is_listed() -> None:
    readme = (BENCH / "README.md").read_text("utf-8")
    scripts = [f"`bench/{p.name}`" for p in sorted(BENCH.glob("*.py"))]
    scripts += [
        f"`bench/{p.name}/`" for p in sorted(BENCH.iterdir()) if p.is_dir() and p.name != "__pycache__"
    ]
    missing = [s for s in scripts if s not in readme]
    assert not missing, f"bench/README.md does not list {missing}"
