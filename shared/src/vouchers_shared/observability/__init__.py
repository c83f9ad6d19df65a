"""Metrics, logs and health endpoints shared by every service."""
