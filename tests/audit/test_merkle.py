"""Merkle trees of RFC 9162 2.1, checked against a reference written from the RFC text and
against the Certificate Transparency test vectors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from functools import cache

import pytest

from hetao.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

# --- Reference: RFC 9162 section 2.1, transcribed recursively and sharing no code with hetao ---


def ref_hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def ref_leaf(entry: bytes) -> bytes:
    return ref_hash(b"\x00" + entry)


def ref_node(left: bytes, right: bytes) -> bytes:
    return ref_hash(b"\x01" + left + right)


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1), found by doubling as the RFC words it."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(entries: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1, over raw entries."""
    if not entries:
        return ref_hash(b"")
    if len(entries) == 1:
        return ref_leaf(entries[0])
    k = ref_k(len(entries))
    return ref_node(ref_mth(entries[:k]), ref_mth(entries[k:]))


def ref_path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    if len(entries) == 1:
        return []
    k = ref_k(len(entries))
    if m < k:
        return [*ref_path(m, entries[:k]), ref_mth(entries[k:])]
    return [*ref_path(m - k, entries[k:]), ref_mth(entries[:k])]


def ref_proof(m: int, entries: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1, defined for 0 < m <= n."""
    return ref_subproof(m, entries, True)


def ref_subproof(m: int, entries: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(entries):
        return [] if b else [ref_mth(entries)]
    k = ref_k(len(entries))
    if m <= k:
        return [*ref_subproof(m, entries[:k], b), ref_mth(entries[k:])]
    return [*ref_subproof(m - k, entries[k:], False), ref_mth(entries[:k])]


def ref_root_from_path(m: int, n: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """Undo PATH: rebuild MTH from the leaf hash by the same splits (None when the shape is off)."""
    if n == 1:
        return None if path else leaf
    if not path:
        return None
    k = ref_k(n)
    *rest, last = path
    if m < k:
        below = ref_root_from_path(m, k, leaf, rest)
        return None if below is None else ref_node(below, last)
    below = ref_root_from_path(m - k, n - k, leaf, rest)
    return None if below is None else ref_node(last, below)


def ref_verify_path(m: int, n: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    return 0 <= m < n and ref_root_from_path(m, n, leaf, path) == root


def ref_roots_from_subproof(
    m: int, n: int, proof: Sequence[bytes], b: bool, old_root: bytes
) -> tuple[bytes, bytes] | None:
    """Undo SUBPROOF: rebuild (old subtree hash, new subtree hash), None when the shape is off."""
    if m == n:
        if b:
            return None if proof else (old_root, old_root)
        return (proof[0], proof[0]) if len(proof) == 1 else None
    if not proof:
        return None
    k = ref_k(n)
    *rest, last = proof
    if m <= k:
        below = ref_roots_from_subproof(m, k, rest, b, old_root)
        return None if below is None else (below[0], ref_node(below[1], last))
    below = ref_roots_from_subproof(m - k, n - k, rest, False, old_root)
    return None if below is None else (ref_node(last, below[0]), ref_node(last, below[1]))


def ref_verify_proof(
    m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    return 0 < m <= n and ref_roots_from_subproof(m, n, proof, True, old_root) == (
        old_root,
        new_root,
    )


# --- Test data ---

REF_SIZES = range(1, 71)
ENTRIES = [b"hetao audit event %d" % i for i in range(300)]
LEAVES = [ref_leaf(entry) for entry in ENTRIES]
REF_ROOTS = [ref_mth(ENTRIES[:n]) for n in range(max(REF_SIZES) + 1)]
OTHER = ref_hash(b"some other hash")


def h(hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes.split()]


# Published vectors: transparency-dev/merkle, testonly/constants.go (LeafInputs, NodeHashes,
# RootHashes, CompactTrees); the same leaves and roots are in google/certificate-transparency,
# python/ct/crypto/merkle_test.py (TreeHasherTest).
CT_INPUTS = h("00 10 2021 3031 40414243 5051525354555657 606162636465666768696a6b6c6d6e6f")
CT_INPUTS.insert(0, b"")
CT_ROOTS = h(
    """
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
    fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
    aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
    d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
    4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
    76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
    ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
    5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
    """
)
# NodeHashes: level 0 is the leaf hashes, level l entry j is MTH of leaves j*2^l .. (j+1)*2^l - 1.
CT_NODES = [
    h(
        """
        6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
        96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
        0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7
        07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7
        bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
        4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658
        b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
        46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1
        """
    ),
    h(
        """
        fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
        5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
        0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
        ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
        """
    ),
    h(
        """
        d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
        6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
        """
    ),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
CT_LEAVES = CT_NODES[0]
N = CT_NODES
# CompactTrees: the perfect-subtree roots of each tree size 0..8, leftmost first.
CT_PEAKS: list[list[bytes]] = [
    [],
    [N[0][0]],
    [N[1][0]],
    [N[1][0], N[0][2]],
    [N[2][0]],
    [N[2][0], N[0][4]],
    [N[2][0], N[1][2]],
    [N[2][0], N[1][2], N[0][6]],
    [N[3][0]],
]
# (leaf index, tree size, PATH): transparency-dev/merkle, testonly/reference_test.go
# (TestRefInclusionProof) and proof/verify_test.go (inclusionProofs, which counts leaves from 1).
CT_INCLUSION: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (0, 2, [N[0][1]]),
    (1, 2, [N[0][0]]),
    (2, 3, [N[1][0]]),
    (1, 5, [N[0][0], N[1][1], N[0][4]]),
    (0, 8, [N[0][1], N[1][1], N[2][1]]),
    (5, 8, [N[0][4], N[1][3], N[2][0]]),
]
# (old size, new size, PROOF): transparency-dev/merkle, proof/verify_test.go (consistencyProofs)
# and testonly/reference_test.go (TestRefConsistencyProof).
CT_CONSISTENCY: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (1, 8, [N[0][1], N[1][1], N[2][1]]),
    (6, 8, [N[1][2], N[1][3], N[2][0]]),
    (2, 5, [N[1][1], N[0][4]]),
    (6, 7, [N[1][2], N[0][6], N[2][0]]),
]

# An audit path taken from a real CT log (3,630,887 entries): google/certificate-transparency,
# python/ct/crypto/merkle_test.py (MerkleVerifierTest: raw_hex_leaf, leaf_hash, sha256_audit_path).
CT_LOG_LEAF_INPUT = bytes.fromhex(
    "00000000013de9d2b29b000000055b308205573082043fa00302010202072b777b56df"
    "7bc5300d06092a864886f70d01010505003081ca310b30090603550406130255533110"
    "300e060355040813074172697a6f6e61311330110603550407130a53636f7474736461"
    "6c65311a3018060355040a1311476f44616464792e636f6d2c20496e632e3133303106"
    "0355040b132a687474703a2f2f6365727469666963617465732e676f64616464792e63"
    "6f6d2f7265706f7369746f72793130302e06035504031327476f204461646479205365"
    "637572652043657274696669636174696f6e20417574686f726974793111300f060355"
    "040513083037393639323837301e170d3133303131343038353035305a170d31353031"
    "31343038353035305a305331163014060355040a130d7777772e69646e65742e6e6574"
    "3121301f060355040b1318446f6d61696e20436f6e74726f6c2056616c696461746564"
    "311630140603550403130d7777772e69646e65742e6e657430820122300d06092a8648"
    "86f70d01010105000382010f003082010a0282010100d4e4a4b1bbc981c9b8166f0737"
    "c113000aa5370b21ad86a831a379de929db258f056ba0681c50211552b249a02ec00c5"
    "37e014805a5b5f4d09c84fdcdfc49310f4a9f9004245d119ce5461bc5c42fd99694b88"
    "388e035e333ac77a24762d2a97ea15622459cc4adcd37474a11c7cff6239f810120f85"
    "e014d2066a3592be604b310055e84a74c91c6f401cb7f78bdb45636fb0b1516b04c5ee"
    "7b3fa1507865ff885d2ace21cbb28fdaa464efaa1d5faab1c65e4c46d2139175448f54"
    "b5da5aea956719de836ac69cd3a74ca049557cee96f5e09e07ba7e7b4ebf9bf167f4c3"
    "bf8039a4cab4bec068c899e997bca58672bd7686b5c85ea24841e48c46f76830390203"
    "010001a38201b6308201b2300f0603551d130101ff04053003010100301d0603551d25"
    "0416301406082b0601050507030106082b06010505070302300e0603551d0f0101ff04"
    "04030205a030330603551d1f042c302a3028a026a0248622687474703a2f2f63726c2e"
    "676f64616464792e636f6d2f676473312d38332e63726c30530603551d20044c304a30"
    "48060b6086480186fd6d010717013039303706082b06010505070201162b687474703a"
    "2f2f6365727469666963617465732e676f64616464792e636f6d2f7265706f7369746f"
    "72792f30818006082b0601050507010104743072302406082b06010505073001861868"
    "7474703a2f2f6f6373702e676f64616464792e636f6d2f304a06082b06010505073002"
    "863e687474703a2f2f6365727469666963617465732e676f64616464792e636f6d2f72"
    "65706f7369746f72792f67645f696e7465726d6564696174652e637274301f0603551d"
    "23041830168014fdac6132936c45d6e2ee855f9abae7769968cce730230603551d1104"
    "1c301a820d7777772e69646e65742e6e6574820969646e65742e6e6574301d0603551d"
    "0e041604144d3ae8a87ddcf046764021b87e7d8d39ddd18ea0300d06092a864886f70d"
    "01010505000382010100ad651b199f340f043732a71178c0af48e22877b9e5d99a70f5"
    "d78537c31d6516e19669aa6bfdb8b2cc7a145ba7d77b35101f9519e03b58e692732314"
    "1383c3ab45dc219bd5a584a2b6333b6e1bbef5f76e89b3c187ef1d3b853b4910e895a4"
    "57dbe7627e759f56c8484c30b22a74fb00f7b1d7c41533a1fd176cd2a2b06076acd7ca"
    "ddc6ca6d0c2a815f9eb3ef0d03d27e7eebd7824c78fdb51679c03278cfbb2d85ae65a4"
    "7485cb733fc1c7407834f7471ababd68f140983817c6f388b2f2e2bfe9e26608f9924f"
    "16473462d136427d1f2801e4b870b078c20ec4ba21e22ab32a00b76522d523825bcabb"
    "8c7b6142d624be8d2af69ecc36fb5689572a0f59c00000"
)
CT_LOG_LEAF = bytes.fromhex("7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78")
CT_LOG_INDEX = 848049
CT_LOG_SIZE = 3630887
CT_LOG_ROOT = bytes.fromhex("78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb")
CT_LOG_PATH = h(
    """
    1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd
    0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4
    3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d
    9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe
    0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2
    2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330
    b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048
    933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966
    b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2
    daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45
    7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc
    1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56
    12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66
    29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11
    b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009
    4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8
    86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f
    a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6
    06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1
    f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960
    40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d
    b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a
    """
)


# --- Helpers for tampering ---


def flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def flipped_bits(proof: Sequence[bytes]) -> Iterator[list[bytes]]:
    """The proof with one bit flipped: first, a middle and last bit of every element."""
    for position, element in enumerate(proof):
        for bit in (0, 131, 8 * HASH_SIZE - 1):
            yield [*proof[:position], flip(element, bit), *proof[position + 1 :]]


def swapped_pairs(proof: Sequence[bytes]) -> Iterator[list[bytes]]:
    for i in range(len(proof)):
        for j in range(i + 1, len(proof)):
            swapped = list(proof)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            yield swapped


@cache
def inclusion_cases() -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    """(leaf, index, size, PATH, root) for every leaf of the reference trees and the vectors."""
    cases = [
        (LEAVES[index], index, size, ref_path(index, ENTRIES[:size]), REF_ROOTS[size])
        for size in REF_SIZES
        for index in range(size)
    ]
    cases += [(CT_LEAVES[i], i, size, path, CT_ROOTS[size]) for i, size, path in CT_INCLUSION]
    cases.append((CT_LOG_LEAF, CT_LOG_INDEX, CT_LOG_SIZE, CT_LOG_PATH, CT_LOG_ROOT))
    return cases


@cache
def consistency_cases() -> list[tuple[int, int, bytes, bytes, list[bytes]]]:
    """(old size, new size, old root, new root, PROOF) for every non-empty PROOF."""
    cases = [
        (old, size, REF_ROOTS[old], REF_ROOTS[size], ref_proof(old, ENTRIES[:size]))
        for size in REF_SIZES
        for old in range(1, size)
    ]
    cases += [
        (old, new, CT_ROOTS[old], CT_ROOTS[new], proof)
        for old, new, proof in CT_CONSISTENCY
        if proof
    ]
    return cases


def includes(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    return verify_inclusion(leaf=leaf, index=index, tree_size=size, proof=proof, root=root)


def consistent(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    return verify_consistency(
        old_size=old, new_size=new, old_root=old_root, new_root=new_root, proof=proof
    )


# --- Tests ---


class TestHashes:
    def test_leaf_hash_is_sha256_of_a_zero_byte_and_the_entry(self) -> None:
        for entry in (b"", b"\x00", b"hetao", bytes(range(256))):
            assert leaf_hash(entry) == hashlib.sha256(b"\x00" + entry).digest()

    def test_node_hash_is_sha256_of_a_one_byte_and_both_children(self) -> None:
        left, right = ref_leaf(b"left"), ref_leaf(b"right")
        assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
        assert node_hash(right, left) != node_hash(left, right)

    def test_empty_root_is_sha256_of_the_empty_string(self) -> None:
        assert EMPTY_ROOT.hex() == (
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        assert HASH_SIZE == len(EMPTY_ROOT) == 32

    def test_match_the_published_leaf_and_node_hashes(self) -> None:
        # google/certificate-transparency, python/ct/crypto/merkle_test.py (TreeHasherTest).
        assert leaf_hash(b"").hex() == (
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        )
        assert leaf_hash(bytes(range(0x10, 0x20))).hex() == (
            "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
        )
        assert node_hash(bytes(range(32)), bytes(range(32, 64))).hex() == (
            "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
        )
        assert [leaf_hash(entry) for entry in CT_INPUTS] == CT_LEAVES
        assert leaf_hash(CT_LOG_LEAF_INPUT) == CT_LOG_LEAF

    def test_a_leaf_never_hashes_like_the_node_over_the_same_bytes(self) -> None:
        left, right = ref_leaf(b"a"), ref_leaf(b"b")
        assert leaf_hash(left + right) != node_hash(left, right)

    @pytest.mark.parametrize("length", [0, 31, 33, 64])
    def test_node_hash_refuses_a_child_of_the_wrong_length(self, length: int) -> None:
        with pytest.raises(ValueError, match="must be 32 bytes"):
            node_hash(b"x" * length, EMPTY_ROOT)
        with pytest.raises(ValueError, match="must be 32 bytes"):
            node_hash(EMPTY_ROOT, b"x" * length)


class TestRootFromLeafHashes:
    def test_agrees_with_the_rfc_reference_for_every_size_up_to_70(self) -> None:
        for size in range(max(REF_SIZES) + 1):
            assert root_from_leaf_hashes(LEAVES[:size]) == REF_ROOTS[size], size

    def test_reproduces_the_published_roots_for_sizes_0_to_8(self) -> None:
        for size, root in enumerate(CT_ROOTS):
            assert root_from_leaf_hashes(CT_LEAVES[:size]) == root, size

    def test_reproduces_the_published_hashes_of_every_perfect_subtree(self) -> None:
        for level, hashes in enumerate(CT_NODES):
            width = 1 << level
            for j, expected in enumerate(hashes):
                assert root_from_leaf_hashes(CT_LEAVES[j * width : (j + 1) * width]) == expected

    def test_of_no_leaves_is_the_empty_root(self) -> None:
        assert root_from_leaf_hashes([]) == EMPTY_ROOT

    def test_of_one_leaf_is_that_leaf_hash(self) -> None:
        assert root_from_leaf_hashes([LEAVES[7]]) == LEAVES[7]

    def test_depends_on_the_order_of_the_leaves(self) -> None:
        swapped = [LEAVES[1], LEAVES[0], *LEAVES[2:5]]
        assert root_from_leaf_hashes(swapped) != root_from_leaf_hashes(LEAVES[:5])

    def test_accepts_any_sequence_of_leaf_hashes(self) -> None:
        assert root_from_leaf_hashes(tuple(LEAVES[:13])) == REF_ROOTS[13]

    @pytest.mark.parametrize("bad", [b"", b"x" * 31, b"x" * 33])
    def test_refuses_a_leaf_hash_of_the_wrong_length(self, bad: bytes) -> None:
        with pytest.raises(ValueError, match="leaf hash 2 must be 32 bytes"):
            root_from_leaf_hashes([LEAVES[0], LEAVES[1], bad, LEAVES[3]])


class TestInclusionProof:
    @pytest.mark.parametrize("size", REF_SIZES)
    def test_equals_the_rfc_path_for_every_index(self, size: int) -> None:
        for index in range(size):
            assert inclusion_proof(index, LEAVES[:size]) == ref_path(index, ENTRIES[:size])

    @pytest.mark.parametrize("size", REF_SIZES)
    def test_is_accepted_by_the_reference_verifier(self, size: int) -> None:
        for index in range(size):
            proof = inclusion_proof(index, LEAVES[:size])
            assert ref_verify_path(index, size, LEAVES[index], proof, REF_ROOTS[size])

    def test_reproduces_the_published_proofs(self) -> None:
        for index, size, path in CT_INCLUSION:
            assert inclusion_proof(index, CT_LEAVES[:size]) == path, (index, size)

    @pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (6, 5), (0, 0)])
    def test_refuses_an_index_outside_the_tree(self, index: int, size: int) -> None:
        with pytest.raises(ValueError, match=f"leaf index {index} is outside"):
            inclusion_proof(index, LEAVES[:size])

    def test_refuses_a_leaf_hash_of_the_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="leaf hash 3 must be 32 bytes, not 5 bytes"):
            inclusion_proof(0, [*LEAVES[:3], b"short"])


class TestVerifyInclusion:
    @pytest.mark.parametrize("size", REF_SIZES)
    def test_accepts_the_rfc_path_of_every_leaf(self, size: int) -> None:
        for index in range(size):
            path = ref_path(index, ENTRIES[:size])
            assert includes(LEAVES[index], index, size, path, REF_ROOTS[size]), index

    def test_accepts_the_published_proofs(self) -> None:
        for index, size, path in CT_INCLUSION:
            assert includes(CT_LEAVES[index], index, size, path, CT_ROOTS[size]), (index, size)

    def test_accepts_a_path_published_from_a_real_certificate_transparency_log(self) -> None:
        leaf = leaf_hash(CT_LOG_LEAF_INPUT)
        assert includes(leaf, CT_LOG_INDEX, CT_LOG_SIZE, CT_LOG_PATH, CT_LOG_ROOT)

    def test_accepts_a_one_leaf_tree_whose_root_is_the_leaf_with_an_empty_proof(self) -> None:
        assert includes(LEAVES[0], 0, 1, [], LEAVES[0])
        assert not includes(LEAVES[0], 0, 1, [], LEAVES[1])

    def test_refuses_an_inclusion_proof_with_one_flipped_bit(self) -> None:
        tried = 0
        for leaf, index, size, path, root in inclusion_cases():
            for tampered in flipped_bits(path):
                assert not includes(leaf, index, size, tampered, root), (index, size)
                tried += 1
        assert tried > 10_000

    def test_refuses_an_inclusion_proof_for_another_index_of_the_same_tree(self) -> None:
        for leaf, index, size, path, root in inclusion_cases():
            others = range(size) if size <= max(REF_SIZES) else (index - 1, index + 1, index ^ 2)
            for other in others:
                if other != index:
                    assert not includes(leaf, other, size, path, root), (index, size, other)

    def test_refuses_an_inclusion_proof_checked_against_another_checkpoint(self) -> None:
        # A checkpoint signs (size, root) together: any other size comes with its own root.
        top = max(REF_SIZES)
        for leaf, index, size, path, _ in inclusion_cases():
            if size <= top:
                for other in range(index + 1, top + 1):
                    if other != size:
                        assert not includes(leaf, index, other, path, REF_ROOTS[other])

    def test_refuses_an_inclusion_proof_for_a_doubled_or_halved_tree_size(self) -> None:
        for leaf, index, size, path, root in inclusion_cases():
            assert not includes(leaf, index, size * 2, path, root), (index, size)
            if size > 1:
                assert not includes(leaf, index, size // 2, path, root), (index, size)

    def test_refuses_a_truncated_inclusion_proof(self) -> None:
        for leaf, index, size, path, root in inclusion_cases():
            for keep in range(len(path)):
                assert not includes(leaf, index, size, path[:keep], root), (index, size)
                assert not includes(leaf, index, size, path[keep + 1 :], root), (index, size)

    def test_refuses_an_extended_inclusion_proof(self) -> None:
        for leaf, index, size, path, root in inclusion_cases():
            for extra in (root, leaf, OTHER):
                assert not includes(leaf, index, size, [*path, extra], root), (index, size)
                assert not includes(leaf, index, size, [extra, *path], root), (index, size)

    def test_refuses_an_inclusion_proof_with_two_elements_swapped(self) -> None:
        tried = 0
        for leaf, index, size, path, root in inclusion_cases():
            for tampered in swapped_pairs(path):
                assert not includes(leaf, index, size, tampered, root), (index, size)
                tried += 1
        assert tried > 1000

    def test_refuses_another_leaf_or_another_root(self) -> None:
        for leaf, index, size, path, root in inclusion_cases():
            assert not includes(OTHER, index, size, path, root)
            assert not includes(leaf, index, size, path, OTHER)
            assert not includes(leaf, index, size, path, EMPTY_ROOT)

    @pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (9, 5), (0, 0), (0, -1)])
    def test_refuses_an_index_outside_the_tree_without_raising(self, index: int, size: int) -> None:
        assert not includes(LEAVES[0], index, size, [], LEAVES[0])
        assert not includes(LEAVES[0], index, size, ref_path(0, ENTRIES[:4]), REF_ROOTS[4])

    def test_refuses_an_index_past_the_tree_even_when_the_path_chains(self) -> None:
        # Index 1 of 1 and index 3 of 2 end the RFC loop with sn = 0: only step 1 refuses them.
        assert not includes(LEAVES[0], 1, 1, [], LEAVES[0])
        assert not includes(LEAVES[0], 3, 2, [LEAVES[1]], ref_node(LEAVES[1], LEAVES[0]))

    @pytest.mark.parametrize("length", [0, 31, 33])
    def test_refuses_hashes_of_the_wrong_length_even_when_they_chain(self, length: int) -> None:
        odd = b"\x07" * length
        # Without a length check these would verify: the arithmetic alone cannot tell.
        assert not includes(odd, 0, 1, [], odd)
        assert not includes(LEAVES[0], 0, 2, [odd], ref_hash(b"\x01" + LEAVES[0] + odd))


class TestConsistencyProof:
    @pytest.mark.parametrize("size", REF_SIZES)
    def test_equals_the_rfc_proof_for_every_old_size(self, size: int) -> None:
        for old in range(1, size + 1):
            assert consistency_proof(old, LEAVES[:size]) == ref_proof(old, ENTRIES[:size]), old

    @pytest.mark.parametrize("size", REF_SIZES)
    def test_is_accepted_by_the_reference_verifier(self, size: int) -> None:
        for old in range(1, size + 1):
            proof = consistency_proof(old, LEAVES[:size])
            assert ref_verify_proof(old, size, REF_ROOTS[old], REF_ROOTS[size], proof), old

    def test_is_empty_from_the_empty_tree_and_between_equal_sizes(self) -> None:
        for size in range(10):
            assert consistency_proof(0, LEAVES[:size]) == []
            assert consistency_proof(size, LEAVES[:size]) == []

    def test_reproduces_the_published_proofs(self) -> None:
        for old, new, proof in CT_CONSISTENCY:
            assert consistency_proof(old, CT_LEAVES[:new]) == proof, (old, new)

    @pytest.mark.parametrize(("old", "size"), [(-1, 5), (6, 5), (1, 0)])
    def test_refuses_an_old_size_outside_0_to_the_new_size(self, old: int, size: int) -> None:
        with pytest.raises(ValueError, match=f"old size {old} is outside 0..{size}"):
            consistency_proof(old, LEAVES[:size])

    def test_refuses_a_leaf_hash_of_the_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="leaf hash 1 must be 32 bytes, not str"):
            consistency_proof(1, [LEAVES[0], "not bytes", LEAVES[2]])  # type: ignore[list-item]


class TestVerifyConsistency:
    @pytest.mark.parametrize("size", REF_SIZES)
    def test_accepts_the_rfc_proof_for_every_old_size(self, size: int) -> None:
        for old in range(1, size + 1):
            proof = ref_proof(old, ENTRIES[:size])
            assert consistent(old, size, REF_ROOTS[old], REF_ROOTS[size], proof), old

    def test_accepts_the_published_proofs(self) -> None:
        for old, new, proof in CT_CONSISTENCY:
            assert consistent(old, new, CT_ROOTS[old], CT_ROOTS[new], proof), (old, new)

    def test_accepts_growth_from_the_empty_tree_with_an_empty_proof(self) -> None:
        for size in range(10):
            assert consistent(0, size, EMPTY_ROOT, REF_ROOTS[size], [])

    def test_accepts_equal_sizes_with_equal_roots_and_an_empty_proof(self) -> None:
        for size in range(10):
            assert consistent(size, size, REF_ROOTS[size], REF_ROOTS[size], [])

    def test_refuses_any_proof_where_none_is_needed(self) -> None:
        for size in range(1, 10):
            assert not consistent(0, size, EMPTY_ROOT, REF_ROOTS[size], [REF_ROOTS[size]])
            assert not consistent(size, size, REF_ROOTS[size], REF_ROOTS[size], [EMPTY_ROOT])

    def test_refuses_equal_sizes_with_different_roots(self) -> None:
        assert not consistent(5, 5, REF_ROOTS[5], REF_ROOTS[6], [])
        assert not consistent(0, 0, EMPTY_ROOT, OTHER, [])

    def test_refuses_an_empty_old_tree_whose_root_is_not_the_empty_root(self) -> None:
        assert not consistent(0, 5, OTHER, REF_ROOTS[5], [])

    def test_refuses_a_missing_proof_between_different_sizes(self) -> None:
        for old, new, old_root, new_root, _ in consistency_cases():
            assert not consistent(old, new, old_root, new_root, []), (old, new)

    def test_refuses_a_consistency_proof_with_one_flipped_bit(self) -> None:
        tried = 0
        for old, new, old_root, new_root, proof in consistency_cases():
            for tampered in flipped_bits(proof):
                assert not consistent(old, new, old_root, new_root, tampered), (old, new)
                tried += 1
        assert tried > 10_000

    def test_refuses_a_consistency_proof_checked_against_other_checkpoints(self) -> None:
        top = max(REF_SIZES)
        for old, new, old_root, new_root, proof in consistency_cases():
            if new > top:
                continue
            for other in range(1, new):
                if other != old:
                    assert not consistent(other, new, REF_ROOTS[other], new_root, proof)
            for other in range(old + 1, top + 1):
                if other != new:
                    assert not consistent(old, other, old_root, REF_ROOTS[other], proof)

    def test_refuses_a_consistency_proof_for_wrong_sizes_with_the_same_roots(self) -> None:
        for old, new, old_root, new_root, proof in consistency_cases():
            for other_old, other_new in ((old - 1, new), (old + 1, new), (old, new * 2)):
                if (other_old, other_new) != (old, new) and 0 < other_old < other_new:
                    assert not consistent(other_old, other_new, old_root, new_root, proof)

    def test_refuses_a_truncated_consistency_proof(self) -> None:
        for old, new, old_root, new_root, proof in consistency_cases():
            for keep in range(len(proof)):
                assert not consistent(old, new, old_root, new_root, proof[:keep]), (old, new)
                assert not consistent(old, new, old_root, new_root, proof[keep + 1 :])

    def test_refuses_an_extended_consistency_proof(self) -> None:
        for old, new, old_root, new_root, proof in consistency_cases():
            for extra in (old_root, new_root, proof[0], OTHER):
                assert not consistent(old, new, old_root, new_root, [*proof, extra]), (old, new)
                assert not consistent(old, new, old_root, new_root, [extra, *proof]), (old, new)

    def test_refuses_a_consistency_proof_with_two_elements_swapped(self) -> None:
        tried = 0
        for old, new, old_root, new_root, proof in consistency_cases():
            for tampered in swapped_pairs(proof):
                assert not consistent(old, new, old_root, new_root, tampered), (old, new)
                tried += 1
        assert tried > 1000

    def test_refuses_swapped_or_foreign_roots(self) -> None:
        for old, new, old_root, new_root, proof in consistency_cases():
            assert not consistent(old, new, new_root, old_root, proof)
            assert not consistent(old, new, OTHER, new_root, proof)
            assert not consistent(old, new, old_root, OTHER, proof)

    @pytest.mark.parametrize(("old", "new"), [(6, 5), (1, 0), (-1, 5), (0, -1)])
    def test_refuses_impossible_sizes_without_raising(self, old: int, new: int) -> None:
        proof = ref_proof(2, ENTRIES[:5])
        assert not consistent(old, new, REF_ROOTS[2], REF_ROOTS[5], proof)
        assert not consistent(old, new, EMPTY_ROOT, EMPTY_ROOT, [])

    def test_refuses_an_old_size_past_the_new_size_even_when_the_proof_chains(self) -> None:
        # Sizes 3 then 2 end the RFC loop with sn = 0 and both roots matching.
        old_root, extra = REF_ROOTS[3], LEAVES[5]
        assert not consistent(3, 2, old_root, ref_node(old_root, extra), [old_root, extra])

    @pytest.mark.parametrize("length", [0, 31, 33])
    def test_refuses_hashes_of_the_wrong_length_even_when_they_chain(self, length: int) -> None:
        odd = b"\x07" * length
        # Without a length check these would verify: the arithmetic alone cannot tell.
        assert not consistent(3, 3, odd, odd, [])
        new_root = ref_hash(b"\x01" + LEAVES[0] + odd)
        assert not consistent(1, 2, LEAVES[0], new_root, [odd])


class TestCompactRange:
    def test_root_equals_root_from_leaf_hashes_after_each_append_up_to_300(self) -> None:
        compact = CompactRange()
        assert compact.root() == EMPTY_ROOT
        for size in range(1, len(LEAVES) + 1):
            compact.append(LEAVES[size - 1])
            assert compact.size == size
            assert compact.root() == root_from_leaf_hashes(LEAVES[:size]), size
            if size < len(REF_ROOTS):
                assert compact.root() == REF_ROOTS[size], size

    def test_peaks_round_trip_through_the_constructor_at_every_size_up_to_300(self) -> None:
        compact = CompactRange()
        for size in range(len(LEAVES)):
            restored = CompactRange(compact.size, compact.peaks())
            assert restored.size == size
            assert restored.root() == compact.root(), size
            restored.append(LEAVES[size])
            compact.append(LEAVES[size])
            assert restored.peaks() == compact.peaks(), size

    def test_holds_one_peak_per_set_bit_of_the_size(self) -> None:
        compact = CompactRange()
        for size in range(1, len(LEAVES) + 1):
            compact.append(LEAVES[size - 1])
            assert len(compact.peaks()) == size.bit_count()

    def test_peaks_match_the_published_compact_trees(self) -> None:
        compact = CompactRange()
        assert compact.peaks() == CT_PEAKS[0]
        for size, leaf in enumerate(CT_LEAVES, start=1):
            compact.append(leaf)
            assert compact.peaks() == CT_PEAKS[size], size
            assert compact.root() == CT_ROOTS[size], size

    def test_restored_from_published_peaks_gives_the_published_roots(self) -> None:
        for size, peaks in enumerate(CT_PEAKS):
            assert CompactRange(size, peaks).root() == CT_ROOTS[size], size

    def test_peaks_returns_a_copy(self) -> None:
        compact = CompactRange()
        compact.append(LEAVES[0])
        compact.peaks().append(OTHER)
        assert compact.peaks() == [LEAVES[0]]

    @pytest.mark.parametrize(("size", "count"), [(0, 1), (1, 0), (3, 1), (7, 2), (8, 2)])
    def test_refuses_a_peak_count_that_does_not_match_the_size(self, size: int, count: int) -> None:
        with pytest.raises(ValueError, match=f"a range of size {size} has"):
            CompactRange(size, LEAVES[:count])

    def test_refuses_a_negative_size(self) -> None:
        with pytest.raises(ValueError, match="size must be a non-negative integer"):
            CompactRange(-1)

    def test_refuses_a_peak_of_the_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="peak 1 must be 32 bytes, not 31 bytes"):
            CompactRange(3, [LEAVES[0], b"x" * 31])

    @pytest.mark.parametrize("bad", [b"", b"x" * 31, b"x" * 33])
    def test_refuses_to_append_a_leaf_of_the_wrong_length(self, bad: bytes) -> None:
        compact = CompactRange()
        compact.append(LEAVES[0])
        with pytest.raises(ValueError, match="leaf must be 32 bytes"):
            compact.append(bad)
        assert compact.size == 1
        assert compact.peaks() == [LEAVES[0]]
