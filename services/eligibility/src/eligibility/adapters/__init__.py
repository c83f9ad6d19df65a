"""Adapters: the store."""
