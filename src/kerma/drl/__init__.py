"""Diagnostic reference levels: versioned DRL sets, compliance of rooms, establishing local DRLs."""
