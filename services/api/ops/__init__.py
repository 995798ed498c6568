"""Operations: ``/metrics``, ``/healthz`` and ``/readyz``."""
