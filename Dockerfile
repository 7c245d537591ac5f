# CSManage image: the same image runs web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

WORKDIR /app
RUN useradd --system --home /app csmanage

COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
RUN DEBUG=1 python manage.py collectstatic --no-input \
    && mkdir -p /app/var && chown -R csmanage /app/var

USER csmanage
EXPOSE 8000
CMD ["gunicorn", "csmanage.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
