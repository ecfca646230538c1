"""The built-in identity: a Keystone v3 subset (projects, users, roles, signed tokens) and the
request context the API authorizes with. Imports `store`, `keyring`, `config`, `contracts`."""
