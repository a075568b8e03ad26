"""broadcast: one crisis message, rendered for every channel."""

__version__ = "0.1.0"
