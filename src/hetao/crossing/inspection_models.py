"""Tables of `hetao.crossing` (inspection_models)."""

from __future__ import annotations
