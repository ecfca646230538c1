"""Request models and response rendering of the Trove v1.0 API."""
