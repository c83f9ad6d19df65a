"""The end-to-end tests share one running suite (see tests/conftest.py)."""
