"""Typed wire formats: one module per provider, used for decoding and encoding alike."""
