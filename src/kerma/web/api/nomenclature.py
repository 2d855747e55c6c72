"""REST API of exam-code mapping (under /api/nomenclature): codes, unmapped names with suggestions,
rules (add, retire), apply, and a suggestion for any name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from kerma.nomenclature.codes import catalogue
from kerma.nomenclature.service import (
    add_rule,
    apply_rules,
    list_rules,
    mapping_summary,
    retire_rule,
    unmapped_names,
)
from kerma.nomenclature.suggest import DEFAULT_AUTO_CONFIDENCE, rank
from kerma.web.deps import actor, get_engine, require

router = APIRouter(prefix="/api/nomenclature", tags=["nomenclature"])
EngineDep = Annotated[Engine, Depends(get_engine)]


class RuleIn(BaseModel):
    """A new mapping rule."""

    pattern: str = Field(min_length=1)
    exam_code: str
    match: str = "normalised"
    field: str = "study_description"
    modality: str | None = None
    device_id: int | None = None
    priority: int = 100


class ApplyIn(BaseModel):
    """Options of an apply run."""

    auto: bool = False
    min_confidence: float = Field(DEFAULT_AUTO_CONFIDENCE, ge=0.0, le=1.0)


@router.get("/codes")
def get_codes(engine: EngineDep, modality: str | None = None) -> list[dict[str, Any]]:
    """The exam-code catalogue (shipped lists and the site's own codes)."""
    with engine.connect() as conn:
        codes = catalogue(conn).values()
    return [
        {
            "code": c.code,
            "name": c.name,
            "modalities": list(c.modalities),
            "scheme": c.scheme,
            "body_region": c.body_region,
            "rpid": c.rpid,
        }
        for c in codes
        if c.fits(modality)
    ]


@router.get("/unmapped")
def get_unmapped(
    engine: EngineDep,
    modality: Annotated[list[str] | None, Query()] = None,
    top: Annotated[int, Query(ge=1, le=10)] = 3,
) -> list[dict[str, Any]]:
    """Unmapped local names, most frequent first, with ranked suggestions."""
    return [u.as_dict() for u in unmapped_names(engine, modality or (), top=top)]


@router.get("/suggest")
def get_suggest(
    name: str, modality: str | None = None, top: Annotated[int, Query(ge=1, le=10)] = 3
) -> list[dict[str, Any]]:
    """Candidate codes for one local name."""
    return [
        {"exam_code": s.exam_code, "exam_name": s.exam_name, "confidence": s.confidence}
        for s in rank(modality, [name], top=top)
    ]


@router.get("/summary")
def get_summary(engine: EngineDep) -> list[dict[str, Any]]:
    """Studies per exam code and how they were mapped."""
    return mapping_summary(engine)


@router.get("/rules")
def get_rules(engine: EngineDep, retired: bool = False) -> list[dict[str, Any]]:
    """Mapping rules (active ones unless ``retired``)."""
    with engine.connect() as conn:
        return list_rules(conn, include_retired=retired)


@router.post("/rules", status_code=201, dependencies=[Depends(require("mpe"))])
def post_rule(body: RuleIn, engine: EngineDep, request: Request) -> dict[str, Any]:
    """Add a rule (a new rules version) and re-apply the rules to every study."""
    try:
        with engine.begin() as conn:
            rule_id = add_rule(
                conn,
                pattern=body.pattern,
                exam_code=body.exam_code,
                match=body.match,
                field_name=body.field,
                modality=body.modality,
                device_id=body.device_id,
                priority=body.priority,
                actor=actor(request),
            )
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": rule_id, "apply": apply_rules(engine, actor=actor(request)).as_dict()}


@router.delete("/rules/{rule_id}", dependencies=[Depends(require("mpe"))])
def delete_rule(rule_id: int, engine: EngineDep, request: Request) -> dict[str, Any]:
    """Retire a rule and re-apply the rules."""
    try:
        with engine.begin() as conn:
            retire_rule(conn, rule_id, actor=actor(request))
    except ValueError as exc:
        raise HTTPException(404, str(exc)) from None
    return apply_rules(engine, actor=actor(request)).as_dict()


@router.post("/apply", dependencies=[Depends(require("mpe"))])
def post_apply(body: ApplyIn, engine: EngineDep, request: Request) -> dict[str, Any]:
    """Re-apply the rules; with ``auto`` first accept suggestions at or above ``min_confidence``."""
    return apply_rules(
        engine, auto=body.auto, min_confidence=body.min_confidence, actor=actor(request)
    ).as_dict()
