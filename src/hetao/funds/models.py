"""Tables of `hetao.funds`."""

from __future__ import annotations
