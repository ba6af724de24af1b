"""plankb: a knowledge base with Chinese full-text search over government plan documents."""

__version__ = "0.1.0"
