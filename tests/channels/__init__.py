"""Channels defined outside broadcast's package, as an organisation would add its own."""
