# One image for every role of the production stack (see docker-compose.yml): web (gunicorn), the
# one-shot `migrate`, Celery workers per queue and beat. Configuration comes from the environment.

# --- build: install the pinned requirements into a virtualenv (compilers only live here) -----------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Wheels exist for x86_64; on other architectures some packages build from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# --- runtime ------------------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FACTCHECK_ENV=production
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# Application code stays owned by root: the service user can read it, not change it.
COPY . /app
# Static files are collected at build time (whitenoise serves them from gunicorn). The key below only
# exists to satisfy the production settings check during this step; it is not in the final env.
RUN SECRET_KEY=build-time-only-collectstatic-key-0123456789abcdefghijklmnopqrstuvwxyz \
    python manage.py collectstatic --noinput -v 0 \
    && python -m compileall -q /app
RUN groupadd --system --gid 10001 factcheck \
    && useradd --system --uid 10001 --gid factcheck --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin factcheck \
    && mkdir -p /var/lib/factcheck \
    && chown factcheck:factcheck /var/lib/factcheck
USER factcheck
EXPOSE 8000
# gunicorn.conf.py: workers (WEB_CONCURRENCY), timeouts, JSON access log on stdout; GUNICORN_CMD_ARGS adds flags.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "factcheck.wsgi:application"]
