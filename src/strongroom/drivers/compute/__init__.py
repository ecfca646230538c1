"""Sandboxes: where an instance's processes run (a namespace + cgroup here, a VM elsewhere)."""
