"""Real concurrency for the tests: threads with their own database connections, and real
Celery worker processes on the configured broker (the filesystem broker, or Redis with
``REDIS_URL``) and the test database."""

import contextlib
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_at_once(*calls: Callable[[], object]) -> list[object]:
    """Run each call in its own thread (and connection), all released by one barrier.
    Returns what each call returned, or the exception it raised. The calls commit for real,
    so the test needs ``transaction=True``."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # the outcome under test, reported to the main thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()]
    return outcomes


def database_url() -> str:
    """The URL of the database the tests run on, for a worker process to use."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host = settings["USER"] or "postgres", settings["HOST"] or "127.0.0.1"
    return f"postgres://{user}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"


@contextlib.contextmanager
def celery_worker(
    name: str, *, concurrency: int = 2, env: dict[str, str] | None = None
) -> Iterator[str]:
    """A worker of our own (``concurrency`` processes; 1: the solo pool) on the test
    database, consuming a queue nobody else uses; yields the queue's name. Stopping it, the
    worker must have logged no traceback."""
    queue = f"{name}-{uuid.uuid4().hex[:10]}"
    pool = ["--pool=solo"]
    if concurrency > 1:
        pool = ["--pool=prefork", f"--concurrency={concurrency}"]
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "csmanage", "worker", *pool,
            "--queues", queue, "--hostname", f"{queue}@%h",
            "--without-mingle", "--without-gossip", "--loglevel=INFO",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "csmanage.settings",
            "DATABASE_URL": database_url(),
            **(env or {}),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        yield queue
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert "Traceback" not in output, output
