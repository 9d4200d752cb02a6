# Revisit: one image for the API (`revisit api`, the default), the worker (`revisit worker`) and
# one-off commands (`revisit migrate`, `revisit createadmin`). See docker-compose.yml and
# docs/operations.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir "uv>=0.8"

WORKDIR /app

# Dependencies first, so code changes don't reinstall them.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY revisit ./revisit
COPY domain ./domain
COPY graph ./graph
COPY jobs ./jobs
COPY permissions ./permissions
COPY migrations ./migrations
COPY bench ./bench
RUN uv sync --frozen --no-dev

RUN useradd --create-home --uid 10001 revisit \
    && mkdir -p /app/data \
    && chown revisit:revisit /app/data
USER revisit

ENV PATH=/app/.venv/bin:$PATH \
    REVISIT_HOST=0.0.0.0 \
    REVISIT_PORT=8000 \
    REVISIT_DATA_DIR=/app/data

EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)" || exit 1

CMD ["revisit", "api"]
