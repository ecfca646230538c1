"""Job kinds of the operator's side: started by an administrator (mgmt API) or a duty."""

RESET_STATUS = "reset_status"
FORCE_DELETE_INSTANCE = "force_delete_instance"
ROTATE_AGENT_CERTIFICATE = "rotate_agent_certificate"
