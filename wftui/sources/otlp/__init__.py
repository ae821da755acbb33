"""OpenTelemetry input: the OTLP/HTTP receiver and OTLP JSON files."""
