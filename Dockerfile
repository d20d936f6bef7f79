# The portal in one image: migrates, loads seeds/ and serves on port 8000 as an unprivileged user.
#
#   docker build -t prcn-portal .        # dependencies from PyPI, or from ./wheels/*.whl when that directory exists
#   docker build --build-arg WHEELS=path/in/context -t prcn-portal .    # wheels from another directory
#
# The base is a build argument so that any Debian-like image with Python 3.11, venv and pip can replace it.
ARG BASE_IMAGE=python:3.11-slim

# --- build: a virtual environment with the dependencies pinned in requirements.lock (from uv.lock) ------
FROM ${BASE_IMAGE} AS build

# A directory of the build context holding wheels; when it holds none, pip installs from PyPI.
ARG WHEELS=wheels
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /build
# The wildcard makes the wheels directory optional: the copy succeeds whether it exists or not.
COPY requirements.lock ${WHEELS}* /build/wheels/
# The app runs from /app (its templates, migrations and seeds are found next to the package), so only the
# dependencies are installed here, not the package itself.
RUN mv /build/wheels/requirements.lock /build/requirements.txt \
    && python3 -m venv /opt/venv \
    && if ls /build/wheels/*.whl >/dev/null 2>&1; then \
        /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /build/wheels -r requirements.txt; \
    else \
        /opt/venv/bin/pip install --no-cache-dir -r requirements.txt; \
    fi \
    && /opt/venv/bin/pip check

# --- runtime ---------------------------------------------------------------------------------------------
FROM ${BASE_IMAGE}

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRCN_VAR_DIR=/var/lib/prcn \
    PRCN_DATABASE_URL=sqlite:////var/lib/prcn/portal.sqlite3

# The unprivileged user that runs the portal, and its writable directory (generated secret key, SQLite).
RUN groupadd --gid 10001 prcn \
    && useradd --no-log-init --uid 10001 --gid prcn --home-dir /var/lib/prcn --no-create-home \
        --shell /usr/sbin/nologin prcn \
    && install -d -o prcn -g prcn -m 0750 /var/lib/prcn

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
COPY alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY seeds ./seeds
RUN python -m compileall -q /app/app /app/migrations

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `run` = migrate, load seeds, print a one-time sign-in link while no admin has a password, then serve.
# Other commands: docker run IMAGE migrate | seed | check-config | signin-link EMAIL | send-outbox
# compose.yaml runs this image twice behind a proxy, with PostgreSQL and the worker (README: compose.yaml).
ENTRYPOINT ["python", "-m", "app"]
CMD ["run", "--host", "0.0.0.0", "--port", "8000"]
