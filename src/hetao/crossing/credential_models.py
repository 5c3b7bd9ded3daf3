"""Tables of `hetao.crossing` (credential_models)."""

from __future__ import annotations
