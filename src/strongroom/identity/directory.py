"""Projects, users and role assignments of the built-in identity, and password login.

There is one domain, `default` (named `Default`). Ids are uuid4 hex; names are unique.
Every error a caller can see comes from the catalog; a failed login never says whether the
user exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from strongroom.contracts.errors import BadRequest, Conflict, NotFound, Unauthorized
from strongroom.identity.context import ROLES, RequestContext
from strongroom.identity.passwords import burn_verification, hash_password, verify_password
from strongroom.store.database import Database, utcnow
from strongroom.store.models import Project, RoleAssignment, User

DEFAULT_DOMAIN_ID = "default"
DEFAULT_DOMAIN_NAME = "Default"
MAX_NAME_LENGTH = 64
BAD_LOGIN = "The request you have made requires authentication (wrong user or password)."
NO_SCOPE = "The request you have made requires authentication (no project in scope)."
NO_ACCESS = "The request you have made requires authentication (no access to the project)."


@dataclass(frozen=True)
class ProjectView:
    id: str
    name: str
    domain_id: str
    description: str
    enabled: bool


@dataclass(frozen=True)
class UserView:
    id: str
    name: str
    domain_id: str
    default_project_id: str | None
    enabled: bool


@dataclass(frozen=True)
class RoleAssignmentView:
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    role: str


@dataclass(frozen=True)
class PasswordCredentials:
    """A password login: the user by id, or by name in a domain (name or id), and the scope."""

    password: str
    user_id: str | None = None
    user_name: str | None = None
    user_domain: str | None = DEFAULT_DOMAIN_ID
    project_id: str | None = None
    project_name: str | None = None
    project_domain: str | None = DEFAULT_DOMAIN_ID


def is_default_domain(ref: str | None) -> bool:
    """Whether a domain name or id (None: not given) names the one domain there is."""
    return ref is None or ref.lower() == DEFAULT_DOMAIN_ID


def check_name(kind: str, name: str) -> str:
    if not name or len(name) > MAX_NAME_LENGTH or not name.isprintable() or name != name.strip():
        raise BadRequest(
            f"A {kind} name must be 1-{MAX_NAME_LENGTH} printable characters "
            "without leading or trailing spaces."
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise BadRequest(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    return role


def _project_view(row: Project) -> ProjectView:
    return ProjectView(row.id, row.name, row.domain_id, row.description, row.enabled)


def _user_view(row: User) -> UserView:
    return UserView(row.id, row.name, row.domain_id, row.default_project_id, row.enabled)


def _find_project(s: Session, ref: str) -> Project | None:
    row = s.get(Project, ref)
    return row or s.scalars(select(Project).where(Project.name == ref)).first()


def _find_user(s: Session, ref: str) -> User | None:
    row = s.get(User, ref)
    return row or s.scalars(select(User).where(User.name == ref)).first()


def _project(s: Session, ref: str) -> Project:
    row = _find_project(s, ref)
    if row is None:
        raise NotFound(f"No project {ref!r} could be found.")
    return row


def _user(s: Session, ref: str) -> User:
    row = _find_user(s, ref)
    if row is None:
        raise NotFound(f"No user {ref!r} could be found.")
    return row


def _roles_on(s: Session, user_id: str, project_id: str) -> frozenset[str]:
    query = select(RoleAssignment.role).where(
        RoleAssignment.user_id == user_id, RoleAssignment.project_id == project_id
    )
    return frozenset(s.scalars(query))


def _context(s: Session, user: User, project: Project) -> RequestContext:
    roles = _roles_on(s, user.id, project.id)
    if not roles or not project.enabled:
        raise Unauthorized(NO_ACCESS)
    return RequestContext(user.id, user.name, project.id, project.name, roles)


def _login_user(s: Session, creds: PasswordCredentials) -> User | None:
    if creds.user_id:
        return s.get(User, creds.user_id)
    if creds.user_name and is_default_domain(creds.user_domain):
        return s.scalars(select(User).where(User.name == creds.user_name)).first()
    return None


def _scope_project(s: Session, user: User, creds: PasswordCredentials) -> Project:
    row: Project | None
    if creds.project_id:
        row = s.get(Project, creds.project_id)
    elif creds.project_name:
        query = select(Project).where(Project.name == creds.project_name)
        row = s.scalars(query).first() if is_default_domain(creds.project_domain) else None
    elif user.default_project_id:
        row = s.get(Project, user.default_project_id)
    else:
        raise Unauthorized(NO_SCOPE)
    if row is None:
        raise Unauthorized(NO_ACCESS)
    return row


class Directory:
    """Use cases on the identity tables; each call is one transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # --- projects ---------------------------------------------------------------------------

    def create_project(self, name: str, description: str = "") -> ProjectView:
        check_name("project", name)
        with self._db.write() as s:
            if _find_project(s, name) is not None:
                raise Conflict(f"A project named {name!r} already exists.")
            row = Project(
                id=uuid.uuid4().hex,
                name=name,
                domain_id=DEFAULT_DOMAIN_ID,
                description=description,
                enabled=True,
                created_at=utcnow(),
            )
            s.add(row)
            return _project_view(row)

    def get_project(self, ref: str) -> ProjectView:
        with self._db.read() as s:
            return _project_view(_project(s, ref))

    def find_project(self, ref: str) -> ProjectView | None:
        with self._db.read() as s:
            row = _find_project(s, ref)
            return None if row is None else _project_view(row)

    def list_projects(self) -> list[ProjectView]:
        with self._db.read() as s:
            return [_project_view(r) for r in s.scalars(select(Project).order_by(Project.name))]

    def delete_project(self, ref: str) -> None:
        """Deletes the project and every role on it; users keep existing."""
        with self._db.write() as s:
            row = _project(s, ref)
            s.execute(delete(RoleAssignment).where(RoleAssignment.project_id == row.id))
            s.execute(
                update(User)
                .where(User.default_project_id == row.id)
                .values(default_project_id=None)
            )
            s.delete(row)

    # --- users ------------------------------------------------------------------------------

    def create_user(self, name: str, password: str, project: str | None = None) -> UserView:
        """A new user; `project` (name or id) becomes its default project."""
        check_name("user", name)
        if not password:
            raise BadRequest("A password must not be empty.")
        password_hash = hash_password(password)
        with self._db.write() as s:
            if _find_user(s, name) is not None:
                raise Conflict(f"A user named {name!r} already exists.")
            default_project = _project(s, project).id if project else None
            row = User(
                id=uuid.uuid4().hex,
                name=name,
                domain_id=DEFAULT_DOMAIN_ID,
                password_hash=password_hash,
                default_project_id=default_project,
                enabled=True,
                created_at=utcnow(),
            )
            s.add(row)
            return _user_view(row)

    def get_user(self, ref: str) -> UserView:
        with self._db.read() as s:
            return _user_view(_user(s, ref))

    def find_user(self, ref: str) -> UserView | None:
        with self._db.read() as s:
            row = _find_user(s, ref)
            return None if row is None else _user_view(row)

    def list_users(self) -> list[UserView]:
        with self._db.read() as s:
            return [_user_view(r) for r in s.scalars(select(User).order_by(User.name))]

    def delete_user(self, ref: str) -> None:
        with self._db.write() as s:
            row = _user(s, ref)
            s.execute(delete(RoleAssignment).where(RoleAssignment.user_id == row.id))
            s.delete(row)

    def set_password(self, ref: str, password: str) -> None:
        if not password:
            raise BadRequest("A password must not be empty.")
        password_hash = hash_password(password)
        with self._db.write() as s:
            _user(s, ref).password_hash = password_hash

    # --- roles ------------------------------------------------------------------------------

    def assign_role(self, user: str, project: str, role: str) -> bool:
        """Grants `role` on `project`; False when the user already held it."""
        check_role(role)
        with self._db.write() as s:
            user_id, project_id = _user(s, user).id, _project(s, project).id
            if s.get(RoleAssignment, (user_id, project_id, role)) is not None:
                return False
            s.add(RoleAssignment(user_id=user_id, project_id=project_id, role=role))
            return True

    def unassign_role(self, user: str, project: str, role: str) -> None:
        check_role(role)
        with self._db.write() as s:
            user_id, project_id = _user(s, user).id, _project(s, project).id
            row = s.get(RoleAssignment, (user_id, project_id, role))
            if row is None:
                raise NotFound(f"User {user!r} has no role {role!r} on project {project!r}.")
            s.delete(row)

    def list_role_assignments(self) -> list[RoleAssignmentView]:
        query = (
            select(User.id, User.name, Project.id, Project.name, RoleAssignment.role)
            .join(User, User.id == RoleAssignment.user_id)
            .join(Project, Project.id == RoleAssignment.project_id)
            .order_by(User.name, Project.name, RoleAssignment.role)
        )
        with self._db.read() as s:
            return [RoleAssignmentView(*row) for row in s.execute(query)]

    # --- login ------------------------------------------------------------------------------

    def authenticate(self, creds: PasswordCredentials) -> RequestContext:
        """The context of a password login; `Unauthorized` (one message) on any mismatch."""
        with self._db.read() as s:
            user = _login_user(s, creds)
        if user is None:
            burn_verification(creds.password)
            raise Unauthorized(BAD_LOGIN)
        if not verify_password(creds.password, user.password_hash) or not user.enabled:
            raise Unauthorized(BAD_LOGIN)
        with self._db.read() as s:
            return _context(s, user, _scope_project(s, user, creds))

    def context_for(self, user_id: str, project_id: str) -> RequestContext:
        """The current context of a user on a project, re-read now; `Unauthorized` otherwise."""
        with self._db.read() as s:
            user, project = s.get(User, user_id), s.get(Project, project_id)
            if user is None or not user.enabled or project is None:
                raise Unauthorized(NO_ACCESS)
            return _context(s, user, project)
