"""The durable job queue: enqueue in the caller's transaction, claim with a lease, renew,
checkpoint, finish. Imports `store` and `contracts` only."""
