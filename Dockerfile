# One image for every process of the full stack (docker-compose.yml): gunicorn web, Celery worker,
# Celery beat and the one-shot migrate. Configuration comes from the environment at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# The processes run as an unprivileged user; the code stays owned by root, read-only to them.
RUN useradd --system --user-group --create-home --home-dir /home/kuusikko kuusikko

WORKDIR /app

# Requirements first, so that a code change does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image and served by WhiteNoise. Settings need a secret and
# a database URL to load; these build-time values are used for nothing else (no connection).
RUN DEBUG=false \
    SECRET_KEY=build-time-only-not-a-secret \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var \
    && chown kuusikko:kuusikko /app/var

USER kuusikko

EXPOSE 8000

# Workers: WEB_CONCURRENCY (read by gunicorn itself). Access log to stdout.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
