"""Schemathesis against the live API: every operation of /api/schema/, with a shop key (and
the staff directory with a supervisor's key), finds no server error and no response the
schema does not describe (status code, content type or body)."""

import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
ST = Path(settings.BASE_DIR) / ".venv" / "bin" / "st"
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)
STAFF_PATHS = r"^/api/v1/(staff|teams|tickets)/"


def schemathesis_run(base_url: str, key: str, *options: str, env: dict | None = None) -> None:
    """``st run`` over the served schema, bounded (25 cases an operation, fixed seed, no
    example database, nothing but the live server); fails with its output unless it
    passed."""
    command = [
        str(ST if ST.exists() else "st"),
        "run",
        f"{base_url}/api/schema/",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        CHECKS,
        "--max-examples",
        "25",
        "--seed",
        "20251111",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
        "--output-truncate",
        "false",
        "--warnings",
        "off",
        *options,
    ]
    environment = {
        name: value
        for name, value in os.environ.items()
        if name.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    environment.update(NO_PROXY="127.0.0.1,localhost", SCHEMATHESIS_HOOKS=str(HOOKS), **(env or {}))
    # Its cache (crashes to replay first next time) goes under var/, not into the tree.
    workdir = Path(settings.BASE_DIR) / "var" / "schemathesis"
    workdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
        cwd=workdir,
        check=False,
    )
    assert result.returncode == 0, f"st run failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.usefixtures("unthrottled")
def test_schemathesis_finds_no_server_error_nor_schema_violation(live_server, api_world):
    schemathesis_run(
        live_server.url,
        api_world.shop_secret,
        "--exclude-path-regex",
        r"^/api/v1/(staff|teams)/",
        env={
            "CSMANAGE_ST_SHOP": api_world.shop.code,
            "CSMANAGE_ST_SECRET": api_world.shop.webhook_secret,
        },
    )


@pytest.mark.usefixtures("unthrottled")
def test_schemathesis_on_staff_endpoints_with_a_personal_key(live_server, api_world):
    schemathesis_run(live_server.url, api_world.staff_secret, "--include-path-regex", STAFF_PATHS)
