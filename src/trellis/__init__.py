"""Trellis: a self-hosted CRM whose organization model decides access."""

__version__ = "0.1.0"
