"""Adapters behind the verification service's ports."""
