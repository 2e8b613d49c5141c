"""Primitive ops: each a small ``Function`` with forward and backward side by side."""
