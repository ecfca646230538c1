"""Host primitives for the local backend: namespaces, links, nftables, loop volumes, cgroups, detached processes. Imports only strongroom.contracts."""  # noqa: E501
