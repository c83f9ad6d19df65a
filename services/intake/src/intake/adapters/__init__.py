"""Adapters: the store and the broker."""
