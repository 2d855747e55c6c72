"""Kerma: radiation dose management system and DRL registry."""

__version__ = "0.1.0"
