"""Content: what every channel will say, rendered from the incident, measured and checked."""
