"""Routes for databases, users and root: each parses, delegates, returns."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from strongroom.contracts import agent as contract
from strongroom.contracts.agent import (
    DEFAULT_USER_HOST,
    DatabaseList,
    DatabaseNames,
    DatabaseSpec,
    RootEnableRequest,
    RootStatus,
    UserList,
    UserSpec,
    UserUpdate,
    UserView,
)
from strongroom_agent.administration import AdministrationService

NO_CONTENT = 204
HOST = Query(DEFAULT_USER_HOST, min_length=1, max_length=contract.NAME_MAX_LENGTH)


def account_routes(admin: AdministrationService) -> APIRouter:
    """The databases, users and root routes of `admin`."""
    router = APIRouter()

    @router.get(contract.PATH_DATABASES)
    def list_databases() -> DatabaseList:
        return admin.list_databases()

    @router.post(contract.PATH_DATABASES, status_code=NO_CONTENT)
    def create_database(database: DatabaseSpec) -> Response:
        admin.create_database(database)
        return Response(status_code=NO_CONTENT)

    @router.delete(contract.PATH_DATABASE, status_code=NO_CONTENT)
    def delete_database(name: str) -> Response:
        admin.delete_database(name)
        return Response(status_code=NO_CONTENT)

    @router.get(contract.PATH_USERS)
    def list_users() -> UserList:
        return admin.list_users()

    @router.post(contract.PATH_USERS, status_code=201)
    def create_user(user: UserSpec) -> UserView:
        return admin.create_user(user)

    @router.get(contract.PATH_USER)
    def get_user(name: str, host: str = HOST) -> UserView:
        return admin.get_user(name, host)

    @router.put(contract.PATH_USER)
    def update_user(name: str, change: UserUpdate, host: str = HOST) -> UserView:
        return admin.update_user(name, host, change)

    @router.delete(contract.PATH_USER, status_code=NO_CONTENT)
    def delete_user(name: str, host: str = HOST) -> Response:
        admin.delete_user(name, host)
        return Response(status_code=NO_CONTENT)

    @router.get(contract.PATH_USER_DATABASES)
    def user_databases(name: str, host: str = HOST) -> DatabaseNames:
        return admin.user_databases(name, host)

    @router.put(contract.PATH_USER_DATABASES)
    def grant(name: str, request: DatabaseNames, host: str = HOST) -> DatabaseNames:
        return admin.grant(name, host, request)

    @router.delete(contract.PATH_USER_DATABASE, status_code=NO_CONTENT)
    def revoke(name: str, database: str, host: str = HOST) -> Response:
        admin.revoke(name, host, database)
        return Response(status_code=NO_CONTENT)

    @router.get(contract.PATH_ROOT)
    def root_status() -> RootStatus:
        return admin.root_status()

    @router.post(contract.PATH_ROOT)
    def enable_root(request: RootEnableRequest) -> RootStatus:
        return admin.enable_root(request)

    @router.delete(contract.PATH_ROOT, status_code=NO_CONTENT)
    def disable_root() -> Response:
        admin.disable_root()
        return Response(status_code=NO_CONTENT)

    return router
