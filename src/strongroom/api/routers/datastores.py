"""`/v1.0/{project_id}/datastores` and their versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from strongroom.api.auth import Context
from strongroom.api.schemas.common import links
from strongroom.datastores import DatastoreDescription, DatastoreVersion

router = APIRouter(prefix="/v1.0/{project_id}/datastores")


def _version(
    request: Request, project_id: str, store: DatastoreDescription, v: DatastoreVersion
) -> dict[str, Any]:
    base = request.app.state.settings.api.base_url()
    return {
        "id": v.id,
        "name": v.name,
        "datastore": store.id,
        "version": v.version_number,
        "active": v.active,
        "packages": "",
        "image": "",
        "links": links(base, f"{project_id}/datastores/versions/{v.id}"),
    }


def _datastore(request: Request, project_id: str, store: DatastoreDescription) -> dict[str, Any]:
    base = request.app.state.settings.api.base_url()
    default = store.version(store.default_version)
    return {
        "id": store.id,
        "name": store.name,
        "default_version": default.id if default else "",
        "versions": [
            {
                k: v
                for k, v in _version(request, project_id, store, ver).items()
                if k in ("id", "name", "links", "active", "version")
            }
            for ver in store.versions
        ],
        "links": links(base, f"{project_id}/datastores/{store.id}"),
    }


@router.get("")
def list_datastores(request: Request, ctx: Context, project_id: str) -> dict[str, Any]:
    stores = request.app.state.catalog.datastores()
    return {"datastores": [_datastore(request, project_id, d) for d in stores]}


@router.get("/versions/{version_id}")
def show_version_by_id(
    request: Request, ctx: Context, project_id: str, version_id: str
) -> dict[str, Any]:
    store, v = request.app.state.catalog.version_by_id(version_id)
    return {"version": _version(request, project_id, store, v)}


@router.get("/{datastore}")
def show_datastore(
    request: Request, ctx: Context, project_id: str, datastore: str
) -> dict[str, Any]:
    return {
        "datastore": _datastore(request, project_id, request.app.state.catalog.datastore(datastore))
    }


@router.get("/{datastore}/versions")
def list_versions(
    request: Request, ctx: Context, project_id: str, datastore: str
) -> dict[str, Any]:
    store = request.app.state.catalog.datastore(datastore)
    return {"versions": [_version(request, project_id, store, v) for v in store.versions]}


@router.get("/{datastore}/versions/{version}")
def show_version(
    request: Request, ctx: Context, project_id: str, datastore: str, version: str
) -> dict[str, Any]:
    store = request.app.state.catalog.datastore(datastore)
    v = request.app.state.catalog.version(datastore, version)
    return {"version": _version(request, project_id, store, v)}
