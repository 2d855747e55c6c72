"""Nomenclature: local exam names -> standard exam codes (rules, suggestions, shipped code lists)."""
