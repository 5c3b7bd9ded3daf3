"""Tables of `hetao.datatransfer`."""

from __future__ import annotations
