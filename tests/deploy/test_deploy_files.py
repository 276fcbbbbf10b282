"""What can be checked of the deployment files without Docker or systemd running them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.config import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
DOCKERFILES = [DEPLOY / "Dockerfile.cpu", DEPLOY / "Dockerfile.cuda"]
NOT_SETTINGS = {"BARDLING_TRANSPORTS"}  # read by entrypoint.sh, not by the bot


def run_entrypoint(tmp_path: Path, *args: str, **env: str) -> list[str]:
    """What the entry point would execute: a stand-in ``bardling`` prints its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "bardling"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" bardling "$@"\n')
    fake.chmod(0o755)
    environment = {"PATH": f"{bin_dir}:/usr/bin:/bin", **env}
    result = subprocess.run(
        [str(ENTRYPOINT), *args], env=environment, capture_output=True, text=True, timeout=30, check=True
    )
    return result.stdout.splitlines()


def test_entrypoint_runs_the_transports_named_in_the_environment(tmp_path: Path) -> None:
    assert run_entrypoint(tmp_path) == ["bardling", "run", "--transport", "telegram"]
    assert run_entrypoint(tmp_path, "run", "--admin", BARDLING_TRANSPORTS=" telegram, discord ,") == [
        "bardling", "run", "--admin", "--transport", "telegram", "--transport", "discord",
    ]  # fmt: skip
    assert run_entrypoint(tmp_path, BARDLING_TRANSPORTS="*") == ["bardling", "run", "--transport", "*"]


def test_entrypoint_passes_other_commands_to_bardling_and_programs_through(tmp_path: Path) -> None:
    assert run_entrypoint(tmp_path, "doctor", "-t", "discord") == ["bardling", "doctor", "-t", "discord"]
    assert run_entrypoint(tmp_path, "jobs", "list") == ["bardling", "jobs", "list"]  # jobs: a builtin
    assert run_entrypoint(tmp_path, "export", "run1") == ["bardling", "export", "run1"]
    assert run_entrypoint(tmp_path, "sh", "-c", "echo plain") == ["plain"]


def _variables(text: str) -> set[str]:
    return set(re.findall(r"\b(BARDLING_[A-Z0-9_]+)", text))


def test_every_bardling_variable_in_the_deploy_files_is_a_setting() -> None:
    known = {f"BARDLING_{name.upper()}" for name in Settings.model_fields} | NOT_SETTINGS
    for path in [*DOCKERFILES, DEPLOY / "compose.yaml", DEPLOY / "env.example", DEPLOY / "bardling.service"]:
        unknown = _variables(path.read_text()) - known
        assert not unknown, f"{path.name} names unknown settings: {sorted(unknown)}"


def test_compose_runs_the_bot_beside_postgresql_with_a_cpu_and_a_gpu_profile() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    for name, profile, dockerfile in (
        ("bot", "cpu", "Dockerfile.cpu"),
        ("bot-gpu", "gpu", "Dockerfile.cuda"),
    ):
        bot = services[name]
        assert bot["profiles"] == [profile]
        assert bot["build"]["dockerfile"] == f"deploy/{dockerfile}"
        assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert bot["env_file"] == ".env" and bot["restart"] == "unless-stopped"
        # the password travels apart from the URL, so the bot can URL-encode it (any character is safe)
        assert (
            bot["environment"]["BARDLING_DATABASE_URL"]
            == "postgresql+asyncpg://bardling@postgres:5432/bardling"
        )
        assert bot["environment"]["BARDLING_DATABASE_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
        assert "data:/var/lib/bardling" in bot["volumes"]
        assert all(port.startswith("127.0.0.1:") for port in bot["ports"])
        assert bot["logging"]["driver"] == "json-file" and bot["logging"]["options"]["max-size"]
    assert services["postgres"]["logging"] == services["bot"]["logging"]
    images = {services["bot"]["image"], services["bot-gpu"]["image"]}
    assert images == {"bardling:cpu", "bardling:cuda-train"}  # one tag per distinct image
    (gpu,) = services["bot-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert gpu["driver"] == "nvidia" and gpu["capabilities"] == ["gpu"]
    assert set(compose["volumes"]) == {"data", "pgdata"}
    example = (DEPLOY / "env.example").read_text()
    assert re.search(r"^COMPOSE_PROFILES=cpu$", example, re.M)
    assert re.search(r"^BARDLING_TELEGRAM_TOKEN=$", example, re.M)  # no secret ships


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_run_unprivileged_with_models_a_health_check_and_env_only_settings(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    final = text[text.rindex("\nFROM ") :]  # the runtime stage
    assert re.search(r"^USER 10001:10001$", final, re.M)  # numeric: Kubernetes' runAsNonRoot can check it
    assert "--uid 10001" in final
    assert "useradd --system" in final
    assert "COPY exported_models/ /opt/bardling/exported_models/" in final
    assert "BARDLING_BUNDLED_MODELS_DIR=/opt/bardling/exported_models" in final
    assert re.search(r'HEALTHCHECK .*\n\s+CMD \["python", "-m", "bot.observability.health"\]', final)
    assert 'ENTRYPOINT ["bardling-entrypoint"]' in final
    assert not re.search(r"TOKEN|PASSWORD|SECRET", text), "secrets come from the environment at run time"
    ignore = Path(f"{dockerfile}.dockerignore").read_text()
    assert ignore.splitlines()[1] == "*"  # everything excluded but what the image needs
    for copied in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        assert f"!{copied}" in ignore, f"{copied} is copied but excluded by the .dockerignore"


def test_cuda_image_is_cuda_13_with_cudnn_9() -> None:
    text = (DEPLOY / "Dockerfile.cuda").read_text()
    assert re.search(r"^ARG CUDA_IMAGE=nvidia/cuda:13\.[\d.]+-cudnn-runtime-ubuntu24\.04$", text, re.M)
    assert "BARDLING_DEVICE=cuda" in text


def test_systemd_unit_runs_as_its_own_user_and_restarts(tmp_path: Path) -> None:
    unit = (DEPLOY / "bardling.service").read_text()
    for setting in ("User=bardling", "Restart=on-failure", "StateDirectory=bardling", "NoNewPrivileges=yes"):
        assert re.search(rf"^{re.escape(setting)}$", unit, re.M), setting
    assert re.search(r"^ExecStart=/opt/bardling/deploy/entrypoint.sh run$", unit, re.M)
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    fake_root = tmp_path / "opt"
    for executable in ("venv/bin/bardling", "deploy/entrypoint.sh"):
        path = fake_root / executable
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    local = tmp_path / "bardling.service"
    local.write_text(unit.replace("/opt/bardling/", f"{fake_root}/"))
    result = subprocess.run(
        [analyze, "verify", str(local)], capture_output=True, text=True, timeout=60,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )  # fmt: skip
    problems = [line for line in result.stderr.splitlines() if "bardling.service" in line]
    assert not problems, result.stderr


def test_webhook_override_publishes_the_webhook_port_on_this_host_only() -> None:
    override = yaml.safe_load((DEPLOY / "compose.webhook.yaml").read_text())
    port = Settings.model_fields["telegram_webhook_port"].default
    for name in ("bot", "bot-gpu"):
        (published,) = override["services"][name]["ports"]
        assert published.startswith("127.0.0.1:") and published.endswith(f":{port}")
    example = (DEPLOY / "env.example").read_text()
    assert re.search(r"^# COMPOSE_FILE=compose.yaml:compose.webhook.yaml$", example, re.M)


def test_systemd_unit_is_rated_ok_by_systemd_analyze_security(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "bardling.service"
    shutil.copy(DEPLOY / "bardling.service", unit)
    result = subprocess.run(
        [analyze, "security", "--offline=yes", str(unit)], capture_output=True, text=True, timeout=60
    )
    rating = re.search(r"Overall exposure level for bardling.service: ([\d.]+)", result.stdout)
    if rating is None:  # systemd before 250 has no --offline
        pytest.skip(f"systemd-analyze security --offline is unavailable: {result.stderr.strip()[:200]}")
    assert float(rating.group(1)) <= 4.0, result.stdout
