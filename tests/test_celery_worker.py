"""A real Celery worker, on the configured broker (Redis in CI), runs a task end to end."""

from csmanage.celery import app, ping


def test_worker_executes_ping_end_to_end(worker):
    result = ping.apply_async(queue=worker)

    assert result.get(timeout=60) == "pong"
    assert result.successful()


def test_celery_is_configured_for_safety():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
