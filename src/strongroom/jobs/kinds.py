"""Names of the job kinds (each one a workflow) that services enqueue and workers run."""

CREATE_INSTANCE = "create_instance"
DELETE_INSTANCE = "delete_instance"
UPDATE_ACCESS = "update_access"

# Day-2: accounts inside the instance (databases, users, grants, root).
CREATE_DATABASES = "create_databases"
DELETE_DATABASE = "delete_database"
CREATE_USERS = "create_users"
UPDATE_USER = "update_user"
CHANGE_PASSWORDS = "change_passwords"
DELETE_USER = "delete_user"
GRANT_ACCESS = "grant_access"
REVOKE_ACCESS = "revoke_access"
ENABLE_ROOT = "enable_root"
DISABLE_ROOT = "disable_root"

# Day-2: configuration groups, engine actions, logs.
APPLY_CONFIGURATION = "apply_configuration"
RESTART_INSTANCE = "restart_instance"
RESIZE_FLAVOR = "resize_flavor"
RESIZE_VOLUME = "resize_volume"
SWITCH_LOG = "switch_log"
PUBLISH_LOG = "publish_log"
DISCARD_LOG = "discard_log"

# Backups (a backup's job runs on its instance; a delete on the backup itself).
CREATE_BACKUP = "create_backup"
DELETE_BACKUP = "delete_backup"
