"""What the operator sees: Prometheus metrics, OpenTelemetry traces (an optional extra)."""
