"""A real Celery worker, on the configured broker (Redis in CI), runs a task end to end."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from csmanage.celery import app, ping

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker_queue():
    """A worker process of our own, consuming a queue nobody else uses."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "csmanage", "worker",
            "--pool=solo", "--queues", queue, "--hostname", f"{queue}@%h",
            "--without-mingle", "--without-gossip", "--loglevel=INFO",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "csmanage.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    yield queue
    process.terminate()
    output, _ = process.communicate(timeout=30)
    assert "ERROR" not in output, output


def test_worker_executes_ping_end_to_end(worker_queue):
    result = ping.apply_async(queue=worker_queue)

    assert result.get(timeout=60) == "pong"
    assert result.successful()


def test_celery_is_configured_for_safety():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
