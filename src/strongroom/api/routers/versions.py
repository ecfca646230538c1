"""`GET /`: the version document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter()


@router.get("/")
def versions(request: Request) -> dict[str, Any]:
    base = request.app.state.settings.api.base_url()
    return {
        "versions": [
            {
                "id": "v1.0",
                "status": "CURRENT",
                "updated": "2012-08-01T00:00:00Z",
                "links": [{"href": f"{base}/v1.0/", "rel": "self"}],
            }
        ]
    }
