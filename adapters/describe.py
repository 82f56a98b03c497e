"""Results in words a case officer understands: each command's sentence is
declared with its spec (adapters/specs/)."""
from __future__ import annotations

from adapters.specs import describe

__all__ = ["describe"]
