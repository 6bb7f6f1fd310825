"""Near-duplicates: the same wire story printed by many outlets with a few edits.

Each article's cleaned text becomes a MinHash signature (rensa's, over word shingles); the
signature is cut into LSH bands stored in the archive, so a new article is compared only with
the stored ones that share a band, and joins their cluster when the signatures agree on at
least THRESHOLD of their positions (an estimate of the Jaccard similarity of the shingles).
Pure functions here; the archive keeps the bands and the clusters.
"""

from __future__ import annotations

import hashlib
import re
from array import array

from newsarchive.textutil import fold

NUM_PERM = 128
BANDS = 32  # of ROWS positions each: pairs above about (1/32) ** (1/4) = 0.42 become candidates
ROWS = NUM_PERM // BANDS
SHINGLE = 4  # words
THRESHOLD = 0.35  # estimated Jaccard similarity from which two articles are near-copies
SEED = 20261203
MIN_SHINGLES = 8  # texts shorter than this are not compared: too little to tell a copy from a cliché

_WORD = re.compile(r"\w+")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(fold(text).casefold())
    return {" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> bytes | None:
    """The text's MinHash signature (NUM_PERM unsigned 32-bit values), or None for a very short text."""
    from rensa import RMinHash

    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    minhash = RMinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update(list(grams))  # a minimum per permutation: the order of the shingles cannot matter
    return array("I", minhash.digest()).tobytes()


def bands(sig: bytes) -> list[int]:
    """One 63-bit key per band: two signatures share a key when they agree on all its positions."""
    keys = []
    for band in range(BANDS):
        chunk = sig[band * ROWS * 4 : (band + 1) * ROWS * 4]
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little")).digest()
        keys.append(int.from_bytes(digest, "little") >> 1)  # SQLite integers are signed 64-bit
    return keys


def similarity(a: bytes, b: bytes) -> float:
    """The share of positions where two signatures agree: an estimate of their Jaccard similarity.

    XOR-ed as two integers, the positions that agree are the zero words, counted in C (4 µs, where
    a Python loop over the 128 positions took 9 to 36).
    """
    mixed = (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(len(a), "little")
    return array("I", mixed).count(0) / NUM_PERM
