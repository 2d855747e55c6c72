"""The REST API reference, rendered on the server from the OpenAPI document (no external scripts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kerma.web.render import render

pages = APIRouter(include_in_schema=False)


def _endpoints(spec: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, ops in sorted(spec.get("paths", {}).items()):
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = [
                {
                    "name": p.get("name"),
                    "in": p.get("in"),
                    "required": p.get("required", False),
                    "description": p.get("description") or "",
                    "schema": _type(p.get("schema", {})),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            groups.setdefault((op.get("tags") or ["other"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary") or "",
                    "description": op.get("description") or "",
                    "params": params,
                    "body": body.get("$ref", "").rsplit("/", 1)[-1] if isinstance(body, dict) else None,
                }
            )
    return groups


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"] if s.get("type") != "null")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(schema.get("type", schema.get("$ref", "").rsplit("/", 1)[-1] or "any"))


@pages.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Every API endpoint with its parameters."""
    spec = request.app.openapi()
    return render(request, "apidocs.html", {"groups": _endpoints(spec), "spec": spec})
