"""Networks, ports and the per-instance firewall (Neutron's model, nothing else)."""
