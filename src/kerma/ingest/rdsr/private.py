"""Private dose summaries that are real dose reports without a standard template.

Siemens mobile C-arms (e.g. ARCADIS) send an Enhanced SR whose root is a private 'Radiation Summary
Report' (99SMS_RADSUM C-10): study totals only, no irradiation events. Its totals are read into one
:class:`AccumulatedDose`; the caller records a warning saying so.
"""

from __future__ import annotations

from kerma.domain.model import AccumulatedDose
from kerma.domain.units import Quantity
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.tree import Node


def parse_siemens_summary(root: Node) -> AccumulatedDose:
    """Totals of a 99SMS_RADSUM radiation summary: DAP, fluoroscopy time, exposures, air kerma."""
    total = AccumulatedDose(plane="single")
    for node in root.children():
        concept = node.concept
        if concept in codes.SIEMENS_DAP:
            total.dap_total_gy_cm2 = node.quantity(Quantity.DAP)
        elif concept in codes.SIEMENS_FLUORO_TIME:
            total.fluoro_time_total_s = node.quantity(Quantity.TIME)
        elif concept in codes.SIEMENS_TOTAL_EXPOSURES:
            # A mobile C-arm's radiographic exposures are single frames: the closest standard total.
            total.total_frames = node.quantity(Quantity.COUNT)
        elif concept in codes.SIEMENS_AIR_KERMA:
            total.kar_total_mgy = node.quantity(Quantity.AIR_KERMA)
    return total
