"""graphaudit: find the operators behind networks of marketplace stores."""

__version__ = "0.1.0"
