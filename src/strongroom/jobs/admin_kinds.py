"""Job kinds of the operator's side: started by an administrator (mgmt API) or a duty."""

RESET_STATUS = "reset_status"
ROTATE_AGENT_CERTIFICATE = "rotate_agent_certificate"
