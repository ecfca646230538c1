"""Monitoring: health rules live in `domain`; this package exposes what the control DB knows
(jobs, instances, heartbeats, certificates) to Prometheus. Imports `store`, `jobs`, `pki`,
`config`, `contracts`."""
