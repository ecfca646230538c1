"""Object stores for backups: `base` (the interface), `local` (a directory under the state
dir), `swift` (OpenStack Swift, large objects segmented), `s3` (S3-compatible, multipart) and
`fake` (in memory); `registry` picks one from settings."""
