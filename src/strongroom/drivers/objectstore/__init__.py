"""Object stores for backups: `base` (the interface), `local` (a directory under the state
dir) and `fake` (in memory); `registry` picks one from settings; Swift and S3 come later."""
