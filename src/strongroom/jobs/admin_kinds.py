"""Job kinds only an administrator starts (through the mgmt API)."""

RESET_STATUS = "reset_status"
