"""Pure rules (state machines, sizing, quota arithmetic, naming); imports only `contracts`."""
