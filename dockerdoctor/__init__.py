"""dockerdoctor: explains why a Docker container crashed."""

__version__ = "0.1.0"
