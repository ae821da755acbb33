"""Alerts: telling someone when an alert changes (notification hooks), why it fires,
silences and acknowledgements, and Alertmanager."""
