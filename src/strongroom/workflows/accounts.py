"""Account changes inside an instance: the guest does it, then the mirror confirms it.

None rolls back: the only undo is putting the mirror back (`on_failure`), because dropping
what the guest may have had before would lose a user's data.
"""

from __future__ import annotations

from strongroom.jobs import kinds
from strongroom.steps import account_records as records
from strongroom.steps import accounts as guest
from strongroom.steps.account_records import MirrorChange, Recorded, reverted
from strongroom.steps.base import Step
from strongroom.workflows.base import Workflow


def _account_workflow(
    name: str, step: Step, confirmed: MirrorChange, refused: MirrorChange
) -> Workflow:
    return Workflow(
        name=name,
        steps=(step, Recorded(f"record_{name}", confirmed)),
        on_failure=reverted(refused),
        rollback=False,
    )


create_databases = _account_workflow(
    kinds.CREATE_DATABASES,
    guest.CreateDatabases(),
    records.databases_created,
    records.databases_not_created,
)
delete_database = _account_workflow(
    kinds.DELETE_DATABASE,
    guest.DeleteDatabase(),
    records.database_deleted,
    records.database_not_deleted,
)
create_users = _account_workflow(
    kinds.CREATE_USERS, guest.CreateUsers(), records.users_created, records.users_not_created
)
update_user = _account_workflow(
    kinds.UPDATE_USER, guest.UpdateUser(), records.user_updated, records.user_not_updated
)
change_passwords = _account_workflow(
    kinds.CHANGE_PASSWORDS,
    guest.ChangePasswords(),
    records.passwords_changed,
    records.passwords_not_changed,
)
delete_user = _account_workflow(
    kinds.DELETE_USER, guest.DeleteUser(), records.user_deleted, records.user_not_deleted
)
grant_access = _account_workflow(
    kinds.GRANT_ACCESS, guest.GrantAccess(), records.access_changed, records.access_not_changed
)
revoke_access = _account_workflow(
    kinds.REVOKE_ACCESS, guest.RevokeAccess(), records.access_changed, records.access_not_changed
)
enable_root = _account_workflow(
    kinds.ENABLE_ROOT, guest.EnableRoot(), records.root_enabled, records.root_not_enabled
)
disable_root = _account_workflow(
    kinds.DISABLE_ROOT, guest.DisableRoot(), records.root_disabled, records.root_not_disabled
)

ACCOUNT_WORKFLOWS: tuple[Workflow, ...] = (
    create_databases,
    delete_database,
    create_users,
    update_user,
    change_passwords,
    delete_user,
    grant_access,
    revoke_access,
    enable_root,
    disable_root,
)
