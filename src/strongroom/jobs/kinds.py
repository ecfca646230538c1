"""Names of the job kinds (each one a workflow) that services enqueue and workers run."""

CREATE_INSTANCE = "create_instance"
DELETE_INSTANCE = "delete_instance"
UPDATE_ACCESS = "update_access"
