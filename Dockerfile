# One image for the four tweetcare services: `docker run tweetcare <service> run`.
FROM python:3.11-slim

LABEL org.opencontainers.image.title="tweetcare" \
      org.opencontainers.image.description="Event-driven customer care on X: ingest, triage, SLA, API" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY services ./services
# The ingest service's state (outbox ledger, X cursors) lives where its user can write; compose
# mounts the ingest-state volume there, so it outlives a recreated container.
RUN pip install -c constraints.txt . \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin tweetcare \
 && install -d -o tweetcare -g tweetcare -m 0750 /var/lib/tweetcare/ingest
ENV TWEETCARE_X_STATE_DIR=/var/lib/tweetcare/ingest

USER tweetcare
ENTRYPOINT ["tweetcare"]
CMD ["--help"]
