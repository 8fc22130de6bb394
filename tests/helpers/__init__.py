"""Helpers shared by the test layers (imported, never through conftest.py)."""
