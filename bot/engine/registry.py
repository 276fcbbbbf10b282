"""Where exported models live and which version of each is served.

Bundled models are ``<bundled_dir>/<name>/``; retrained ones ``<models_dir>/<name>/<version>/``.
``<models_dir>/<name>/active`` pins the served version, and only ever a retrained one (absent: the
bundled one, or the newest retrained one for a model that has no bundled copy), so a release that
bumps the bundled version is served at once; a pin naming a version that is not there is ignored
with a warning. ``history`` lists the versions served before, so a rollback knows where to go, and
``served`` every version that ever served (a rollback goes only to one of those). All are written
with write + rename, so a reader never sees half a file. Reading a manifest is cheap; checksums are
verified when a version is loaded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import ValidationError

from artifact.files import write_atomic
from artifact.manifest import MANIFEST_FILE, Manifest, describe_invalid, sha256_file
from bot.engine.api import InvalidRequestError, ModelUnavailableError, UnknownModelError

ACTIVE_FILE = "active"
HISTORY_FILE = "history"
SERVED_FILE = "served"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    path: Path
    manifest: Manifest
    bundled: bool

    @property
    def label(self) -> str:
        return f"model '{self.name}' version {self.version}"

    @cached_property
    def symbols(self) -> frozenset[str]:
        """The single characters its tokenizer has ids for (both cases when it folds case)."""
        tokenizer = self.manifest.build_tokenizer()
        chars = {s for s in tokenizer.vocab if len(s) == 1}
        return frozenset(chars | {c.upper() for c in chars}) if tokenizer.lowercase else frozenset(chars)


class Registry:
    """A snapshot of the model directories; ``scan()`` refreshes it."""

    def __init__(self, bundled_dir: Path, models_dir: Path | None) -> None:
        self.bundled_dir = bundled_dir
        self.models_dir = models_dir
        self._versions: dict[str, dict[str, ModelVersion]] = {}
        self._broken: dict[tuple[str, str], str] = {}
        self._chosen: dict[str, str] = {}  # contents of each ``active`` file, read at scan time

    # ----------------------------------------------------------------- discovery
    def scan(self) -> None:
        versions: dict[str, dict[str, ModelVersion]] = {}
        broken: dict[tuple[str, str], str] = {}
        retrained_dirs = [
            (version_dir, name_dir.name)
            for name_dir in _subdirs(self.models_dir)
            for version_dir in _subdirs(name_dir)
        ]
        for directory, name, bundled in [(d, d.name, True) for d in _subdirs(self.bundled_dir)] + [
            (d, name, False) for d, name in retrained_dirs
        ]:
            if bundled and not (directory / MANIFEST_FILE).exists():
                continue  # not a model directory
            try:
                manifest = Manifest.read(directory)
            except (OSError, ValueError, ValidationError) as err:
                key = (name, "bundled" if bundled else directory.name)
                broken[key] = describe_invalid(err)
                continue
            version = manifest.version if bundled else directory.name
            problem = _identity_problem(manifest, name, None if bundled else version)
            if problem:
                broken[(name, version)] = problem
                continue
            entry = ModelVersion(name, version, directory, manifest, bundled)
            if not bundled or version not in versions.get(name, {}):
                versions.setdefault(name, {})[version] = entry  # a retrained copy shadows the bundled one
        self._versions = versions
        self._broken = broken
        names = set(versions) | {name for name, _ in broken}
        chosen = {n: v for n in names if (v := _read_line(self._name_dir(n), ACTIVE_FILE))}
        self._chosen = {n: v for n, v in chosen.items() if v in versions.get(n, {}) or (n, v) in broken}
        for name in sorted(set(chosen) - set(self._chosen)):
            log.warning(
                "model %s: %s names version %s, which is not installed; serving the default version",
                name, ACTIVE_FILE, chosen[name],
            )  # fmt: skip

    def names(self) -> list[str]:
        return sorted(set(self._versions) | {name for name, _ in self._broken})

    def versions(self, name: str) -> list[ModelVersion]:
        """Valid versions, newest first."""
        self._check_known(name)
        found = self._versions.get(name, {}).values()
        return sorted(found, key=lambda v: (v.manifest.created_at, v.version), reverse=True)

    def get(self, name: str, version: str | None = None) -> ModelVersion:
        """The version asked for, or the active one; refuses unknown and broken versions."""
        self._check_known(name)
        version = version or self.active_version(name)
        entry = self._versions.get(name, {}).get(version)
        if entry is not None:
            return entry
        problem = self._broken.get((name, version))
        if problem:
            raise ModelUnavailableError(f"model '{name}' version {version} is unavailable: {problem}")
        raise UnknownModelError(f"model '{name}' has no version {version}")

    def active_version(self, name: str) -> str:
        self._check_known(name)
        chosen = self._chosen.get(name)
        if chosen:
            return chosen
        candidates = self._versions.get(name, {})
        bundled = [v for v in candidates.values() if v.bundled]
        if bundled:
            return bundled[0].version
        if candidates:
            return self.versions(name)[0].version
        problems = "; ".join(p for (n, _), p in self._broken.items() if n == name)
        raise ModelUnavailableError(f"model '{name}' has no usable version: {problems}")

    def history(self, name: str) -> list[str]:
        """Versions served before the active one, most recent first."""
        text = _read_text(self._name_dir(name), HISTORY_FILE)
        return [line for line in text.splitlines() if line.strip()]

    def once_served(self, name: str) -> set[str]:
        """Every version that has served ``name``: the bundled one, the one serving now, and every one
        a switch or rollback ever put in service."""
        recorded = _read_text(self._name_dir(name), SERVED_FILE).split()
        bundled = {v.version for v in self._versions.get(name, {}).values() if v.bundled}
        return {*recorded, *self.history(name), *bundled, self.active_version(name)}

    # ----------------------------------------------------------------- switching
    def record_switch(self, name: str, version: str, *, rollback: bool = False) -> None:
        """Serve ``version``; the one it replaces goes on the history (rolling back: comes off it)."""
        directory = self._require_models_dir(name)
        current = self.active_version(name)
        history = self.history(name)
        if rollback and version in history:
            history = history[history.index(version) + 1 :]
        elif current != version:
            history = [current, *[v for v in history if v != current]]
        write_atomic(directory / HISTORY_FILE, "".join(f"{v}\n" for v in history))
        served = _read_text(directory, SERVED_FILE).split()
        if version not in served:
            write_atomic(directory / SERVED_FILE, "".join(f"{v}\n" for v in [*served, version]))
        entry = self._versions.get(name, {}).get(version)
        if entry is not None and entry.bundled:  # the default: pinned, it would outlive a release's bump
            (directory / ACTIVE_FILE).unlink(missing_ok=True)
            self._chosen.pop(name, None)
        else:
            write_atomic(directory / ACTIVE_FILE, version + "\n")
            self._chosen[name] = version

    # ----------------------------------------------------------------- internals
    def _check_known(self, name: str) -> None:
        if name not in self._versions and not any(n == name for n, _ in self._broken):
            known = ", ".join(self.names()) or "none"
            raise UnknownModelError(f"unknown model '{name}' (available: {known})")

    def _name_dir(self, name: str) -> Path | None:
        return None if self.models_dir is None else self.models_dir / name

    def _require_models_dir(self, name: str) -> Path:
        directory = self._name_dir(name)
        if directory is None:
            raise InvalidRequestError("no models directory is configured for retrained versions")
        directory.mkdir(parents=True, exist_ok=True)
        return directory


def verify_files(entry: ModelVersion) -> Path:
    """The version's ``.onnx`` path, once its checksums (model, lexicon) match the manifest; else refused."""
    manifest = entry.manifest
    onnx_path = entry.path / manifest.onnx.file
    if not onnx_path.is_file():
        raise ModelUnavailableError(f"{entry.label} is unavailable: {manifest.onnx.file} is missing")
    if sha256_file(onnx_path) != manifest.onnx.sha256:
        raise ModelUnavailableError(
            f"{entry.label} refused: {manifest.onnx.file} does not match its manifest checksum"
        )
    decoding = manifest.decoding
    lexicons = (
        (decoding.lexicon, decoding.lexicon_sha256),
        (decoding.words, decoding.words_sha256),
        (decoding.prosody, decoding.prosody_sha256),
    )
    for file, digest in lexicons:
        if file is None:
            continue
        path = entry.path / file
        if not path.is_file() or sha256_file(path) != digest:
            raise ModelUnavailableError(
                f"{entry.label} refused: {file} is missing or does not match its manifest"
            )
    return onnx_path


def _identity_problem(manifest: Manifest, name: str, version: str | None) -> str | None:
    if manifest.name != name:
        return f"its manifest names model '{manifest.name}'"
    if version is not None and manifest.version != version:
        return f"its manifest says version {manifest.version}"
    try:
        tokenizer = manifest.build_tokenizer()
    except (KeyError, TypeError, ValueError) as err:
        return f"its tokenizer is invalid ({err})"
    if len(tokenizer) != manifest.architecture.vocab_size:
        return "its tokenizer and architecture disagree on the vocabulary size"
    return None


def _subdirs(directory: Path | None) -> list[Path]:
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _read_text(directory: Path | None, filename: str) -> str:
    if directory is None:
        return ""
    try:
        return (directory / filename).read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return ""


def _read_line(directory: Path | None, filename: str) -> str:
    return _read_text(directory, filename).strip()
