"""The control plane's side of the guest agent channel (mTLS, pull only)."""
