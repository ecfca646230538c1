"""The control plane's backup data path: compress, encrypt and checksum an agent's backup
stream into an object store, and verify, decrypt and decompress it back for a restore.
Used by steps; imports only `contracts`, `keyring` and `drivers.objectstore`."""
