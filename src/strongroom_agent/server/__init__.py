"""The agent's HTTPS server: a route table and its mutual-TLS runner."""
