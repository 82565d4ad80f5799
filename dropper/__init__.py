"""dropper: take an album of AI-generated music from raw model output to a published drop."""

__version__ = "0.1.0"
