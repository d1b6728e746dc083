"""smsgate: a self-hosted SMS and MMS gateway."""

__version__ = "0.1.0"
