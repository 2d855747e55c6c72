"""Radiopharmaceutical Radiation Dose (TID 10021): administrations (TID 10022) with organ doses
(TID 10023); patient characteristics (TID 10024) are read by the caller."""

from __future__ import annotations

from typing import Any

from kerma.domain.model import Administration, RejectedInput
from kerma.domain.units import Quantity
from kerma.ingest.rdsr import codes
from kerma.ingest.rdsr.codes import Codes, Concept
from kerma.ingest.rdsr.context import laterality
from kerma.ingest.rdsr.tree import Node, every, first

Index = dict[Concept, list[Node]]


def _q(index: Index, concept: Codes, quantity: Quantity) -> float | None:
    node = first(index, concept)
    return node.quantity(quantity) if node is not None else None


def _meaning(node: Node | None) -> str | None:
    return node.code_meaning_or_text() if node is not None else None


def parse_radiopharmaceutical(root: Node) -> tuple[list[Administration], str]:
    """The administrations of a TID 10021 tree, and the exam modality: PT for PET, else NM."""
    administrations: list[Administration] = []
    pet = False
    procedure = root.child(codes.ASSOCIATED_PROCEDURE)
    if procedure is not None and procedure.code_concept() in codes.PET_PROCEDURES:
        pet = True
    for node in root.children():
        if node.concept in codes.RADIOPHARMACEUTICAL_ADMINISTRATION:
            index = node.index()
            administrations.append(parse_administration(node, index, len(administrations) + 1))
            pet = pet or any(
                n.code_concept() in codes.POSITRON_EMITTERS for n in every(index, codes.RADIONUCLIDE)
            )
    return administrations, "PT" if pet else "NM"


def _organ_dose(container: Node) -> dict[str, Any]:
    index = container.index()
    organ: dict[str, Any] = {
        "organ": _meaning(first(index, codes.FINDING_SITE)),
        "laterality": laterality(every(index, codes.LATERALITY)),
        "dose_mgy": _q(index, codes.ORGAN_DOSE, Quantity.AIR_KERMA),
        "reference_authority": _meaning(first(index, codes.REFERENCE_AUTHORITY)),
    }
    return {k: v for k, v in organ.items() if v is not None}


def parse_administration(node: Node, index: Index, number: int) -> Administration:
    """TID 10022 Radiopharmaceutical Administration Event Data (``index``: the node's descendants)."""
    uid_node = node.child(codes.ADMINISTRATION_EVENT_UID)
    uid = uid_node.uid() if uid_node is not None else None
    if not uid:
        raise RejectedInput(
            f"missing in administration {number}; the administration cannot be identified",
            "Radiopharmaceutical Administration Event UID (DCM 113503)",
        )
    start = first(index, codes.RADIOPHARMACEUTICAL_START)
    stop = first(index, codes.RADIOPHARMACEUTICAL_STOP)
    return Administration(
        event_uid=uid,
        radionuclide=_meaning(first(index, codes.RADIONUCLIDE)),
        radionuclide_half_life_s=_q(index, codes.RADIONUCLIDE_HALF_LIFE, Quantity.TIME),
        pharmaceutical=_meaning(first(index, codes.RADIOPHARMACEUTICAL_AGENT)),
        activity_mbq=_q(index, codes.ADMINISTERED_ACTIVITY, Quantity.ACTIVITY),
        route=_meaning(first(index, codes.ROUTE_OF_ADMINISTRATION)),
        start_datetime=start.datetime() if start is not None else None,
        stop_datetime=stop.datetime() if stop is not None else None,
        pre_administration_activity_mbq=_q(index, codes.PRE_ADMINISTRATION_ACTIVITY, Quantity.ACTIVITY),
        post_administration_activity_mbq=_q(index, codes.POST_ADMINISTRATION_ACTIVITY, Quantity.ACTIVITY),
        organ_doses=[_organ_dose(c) for c in every(index, codes.ORGAN_DOSE_INFORMATION)],
    )
