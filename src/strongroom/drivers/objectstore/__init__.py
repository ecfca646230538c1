"""Object stores for backups: `base` (the interface), `local` (a directory under the state
dir) and `fake` (in memory); Swift and S3 come later. Imports `contracts` only."""
