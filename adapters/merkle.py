"""RFC 6962 Merkle trees over the ledger's leaf hashes (AUD-05): the root a
signed checkpoint carries and the inclusion proofs a case file carries
(docs/integrity.md, "Signed checkpoints"). Pure hashing, no store."""
from __future__ import annotations

import hashlib
from typing import Sequence

NODE_PREFIX = b"\x01"   # RFC 6962 section 2.1: node hash = SHA-256(0x01 || left || right)


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Bottom-up levels; an unpaired last node moves up unchanged, which gives
    exactly RFC 6962's MTH (split at the largest power of two below n)."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [_node(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 MTH over leaf hashes; the empty tree is SHA-256 of nothing."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _levels(leaves)[-1][0]


class MerkleTree:
    """Levels kept so that many inclusion proofs cost O(log n) each."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.size = len(leaves)
        self.levels = _levels(leaves) if leaves else [[]]

    @property
    def root(self) -> bytes:
        return self.levels[-1][0] if self.size else hashlib.sha256(b"").digest()

    def proof(self, index: int) -> list[bytes]:
        """RFC 6962 audit path for the leaf at ``index`` (0-based)."""
        if not 0 <= index < self.size:
            raise IndexError(f"leaf {index} outside a tree of {self.size}")
        path = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                path.append(level[sibling])
            index //= 2
        return path


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    return MerkleTree(leaves).proof(index)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does ``proof`` lead from ``leaf`` at
    ``index`` in a tree of ``size`` leaves to ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root
