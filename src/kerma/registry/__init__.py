"""Registry mode for authorities: survey templates, reading and repairing facility spreadsheets, national
DRLs from facility medians, outliers, clustering and reports."""
