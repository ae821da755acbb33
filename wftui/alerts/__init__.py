"""Telling someone when an alert changes: notification hooks (command and URL)."""
