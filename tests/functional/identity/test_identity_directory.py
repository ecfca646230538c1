"""The directory's rules on a real control DB: unique names, known roles, clean deletes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from strongroom.config.settings import Settings
from strongroom.contracts.errors import BadRequest, Conflict, NotFound, Unauthorized
from strongroom.identity.cli import add_identity_commands
from strongroom.identity.directory import Directory, PasswordCredentials
from strongroom.store.database import Database
from strongroom.store.migrate import upgrade

pytestmark = pytest.mark.functional


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path}/c.db")
    upgrade(database)
    return database


def test_names_are_unique_and_roles_known(db: Database) -> None:
    directory = Directory(db)
    project = directory.create_project("acme")
    assert len(project.id) == 32 and int(project.id, 16) >= 0
    with pytest.raises(Conflict):
        directory.create_project("acme")
    directory.create_user("bob", "pw", "acme")
    with pytest.raises(Conflict):
        directory.create_user("bob", "other", "acme")
    with pytest.raises(BadRequest):
        directory.assign_role("bob", "acme", "owner")
    with pytest.raises(BadRequest):
        directory.create_project(" padded")
    with pytest.raises(NotFound):
        directory.create_user("eve", "pw", "nowhere")
    assert directory.find_user("eve") is None
    assert directory.assign_role("bob", "acme", "reader") is True
    assert directory.assign_role("bob", project.id, "reader") is False


def test_deleting_a_project_removes_its_roles_and_default(db: Database) -> None:
    directory = Directory(db)
    directory.create_project("acme")
    directory.create_user("bob", "pw", "acme")
    directory.assign_role("bob", "acme", "member")
    directory.delete_project("acme")
    assert directory.list_role_assignments() == []
    assert directory.get_user("bob").default_project_id is None
    with pytest.raises(Unauthorized):
        directory.authenticate(PasswordCredentials(password="pw", user_name="bob"))


def test_a_new_password_replaces_the_old_one(db: Database) -> None:
    directory = Directory(db)
    directory.create_project("acme")
    directory.create_user("bob", "old", "acme")
    directory.assign_role("bob", "acme", "member")
    directory.set_password("bob", "new")
    with pytest.raises(Unauthorized):
        directory.authenticate(PasswordCredentials(password="old", user_name="bob"))
    ctx = directory.authenticate(PasswordCredentials(password="new", user_name="bob"))
    assert (ctx.user_name, ctx.project_name, ctx.roles) == ("bob", "acme", frozenset({"member"}))


def run_cli(db: Database, tmp_path: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_identity_commands(parser.add_subparsers(), lambda: (Settings(state_dir=tmp_path), db))
    args = parser.parse_args(argv)
    return int(args.handler(args, None))


def test_the_cli_manages_users_and_never_prints_hashes(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(db, tmp_path, "identity", "project", "create", "acme") == 0
    assert (
        run_cli(
            db,
            tmp_path,
            "identity",
            "user",
            "create",
            "bob",
            "--project",
            "acme",
            "--role",
            "reader",
        )
        == 0
    )
    generated = capsys.readouterr().out.split("password: ")[1].strip()
    ctx = Directory(db).authenticate(PasswordCredentials(password=generated, user_name="bob"))
    assert ctx.roles == frozenset({"reader"})
    for listing in (("user", "list"), ("project", "list"), ("role", "list")):
        assert run_cli(db, tmp_path, "identity", *listing) == 0
    out = capsys.readouterr().out
    assert "bob" in out and "acme" in out and "scrypt$" not in out and generated not in out
    assert run_cli(db, tmp_path, "identity", "role", "remove", "bob", "acme", "admin") == 1
    assert "no role 'admin'" in capsys.readouterr().err
    assert run_cli(db, tmp_path, "identity", "user", "delete", "bob") == 0
    assert Directory(db).find_user("bob") is None
