"""Tables of `hetao.crossing`."""

from __future__ import annotations
