"""Merkle tree hashing, inclusion and consistency proofs as in RFC 9162 section 2.1."""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()

# Domain separation (RFC 9162 2.1.1): a leaf can never be passed off as an interior node.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    return sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    _check_hash(left, "left")
    _check_hash(right, "right")
    return sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over already-hashed leaves; EMPTY_ROOT for no leaves."""
    _check_leaf_hashes(hashes)
    if not hashes:
        return EMPTY_ROOT
    return _range_root(hashes, 0, len(hashes))


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]) for the tree of size len(leaf_hashes), nearest sibling first."""
    size = len(leaf_hashes)
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    _check_leaf_hashes(leaf_hashes)
    # Walk down from the root, one subtree split per step: the loop replaces the RFC's recursion.
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(_range_root(leaf_hashes, start + k, end))
            end = start + k
        else:
            path.append(_range_root(leaf_hashes, start, start + k))
            start += k
            m -= k
    path.reverse()
    return path


def consistency_proof(old_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old_size, D[n]) for the tree of size len(leaf_hashes); empty when trivially true."""
    size = len(leaf_hashes)
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} is outside 0..{size} (the new tree size)")
    _check_leaf_hashes(leaf_hashes)
    if old_size in (0, size):
        return []
    proof: list[bytes] = []
    start, end, m = 0, size, old_size
    # b of SUBPROOF: True while the old tree's root is one of the subtrees we descend into.
    whole_old_tree = True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            proof.append(_range_root(leaf_hashes, start + k, end))
            end = start + k
        else:
            proof.append(_range_root(leaf_hashes, start, start + k))
            start += k
            m -= k
            whole_old_tree = False
    if not whole_old_tree:
        proof.append(_range_root(leaf_hashes, start, end))
    proof.reverse()
    return proof


def verify_inclusion(
    *, leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` links leaf hash ``leaf`` at ``index`` to ``root`` (RFC 9162 2.1.3.2)."""
    if not (_is_hash(leaf) and _is_hash(root) and all(_is_hash(p) for p in proof)):
        return False
    if not (_is_count(index) and _is_count(tree_size)) or index >= tree_size:
        return False
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha256(_NODE_PREFIX + p + r).digest()
            # Skip the levels where this node was the unpaired right edge, promoted unchanged.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    *, old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the old tree is a prefix of the new one (RFC 9162 2.1.4.2)."""
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in proof)):
        return False
    if not (_is_count(old_size) and _is_count(new_size)) or old_size > new_size:
        return False
    # The RFC algorithm covers 0 < old < new; the trivial cases take an empty proof only.
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha256(_NODE_PREFIX + c + fr).digest()
            sr = sha256(_NODE_PREFIX + c + sr).digest()
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class CompactRange:
    """The roots of the perfect subtrees covering an append-only tree, largest (leftmost) first."""

    __slots__ = ("_peaks", "_size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        if not _is_count(size):
            raise ValueError(f"size must be a non-negative integer, not {size!r}")
        # One perfect subtree per set bit of the size: a mismatch means a corrupt stored state.
        expected = size.bit_count()
        if len(peaks) != expected:
            raise ValueError(f"a range of size {size} has {expected} peaks, not {len(peaks)}")
        for position, peak in enumerate(peaks):
            _check_hash(peak, f"peak {position}")
        self._size = size
        self._peaks = [bytes(p) for p in peaks]

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, merging equal-sized subtrees as a binary counter carries."""
        _check_hash(leaf, "leaf")
        peaks = self._peaks
        node = leaf
        carry = self._size
        while carry & 1:
            node = sha256(_NODE_PREFIX + peaks.pop() + node).digest()
            carry >>= 1
        peaks.append(node)
        self._size += 1

    def root(self) -> bytes:
        """MTH of all appended leaves (EMPTY_ROOT when empty)."""
        peaks = self._peaks
        if not peaks:
            return EMPTY_ROOT
        # The RFC tree hangs each smaller peak off the right of the one before it.
        root = peaks[-1]
        for peak in reversed(peaks[:-1]):
            root = sha256(_NODE_PREFIX + peak + root).digest()
        return root

    def peaks(self) -> list[bytes]:
        """A copy of the subtree roots, leftmost first, for CompactRange(size, peaks)."""
        return list(self._peaks)

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _range_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of hashes[start:end] (non-empty), hashed level by level without recursion."""
    if end - start == 1:
        return hashes[start]
    # Pairing left to right and promoting an unpaired last node builds exactly the RFC tree.
    level = [
        sha256(_NODE_PREFIX + hashes[i] + hashes[i + 1]).digest() for i in range(start, end - 1, 2)
    ]
    if (end - start) & 1:
        level.append(hashes[end - 1])
    while len(level) > 1:
        pairs = iter(level)
        upper = [sha256(_NODE_PREFIX + a + b).digest() for a, b in zip(pairs, pairs, strict=False)]
        if len(level) & 1:
            upper.append(level[-1])
        level = upper
    return level[0]


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_hash(value: bytes, what: str) -> None:
    if not _is_hash(value):
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, not {_describe(value)}")


def _check_leaf_hashes(hashes: Sequence[bytes]) -> None:
    for position, value in enumerate(hashes):
        if not _is_hash(value):
            raise ValueError(
                f"leaf hash {position} must be {HASH_SIZE} bytes, not {_describe(value)}"
            )


def _describe(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes"
    return type(value).__name__
