"""Deterministic identifiers in Amazon's formats, derived from the seed and a label."""

from __future__ import annotations

import hashlib
import random

_MASK64 = (1 << 64) - 1
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def derive(seed: int, *parts: object) -> int:
    """A 64-bit value that depends only on the seed and the labels (stable across runs)."""
    text = "|".join([str(seed), *map(str, parts)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> random.Random:
    """An independent random stream per purpose, so adding one draw never shifts another."""
    return random.Random(derive(seed, *parts))


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a cheap, well-spread hash for per-order details drawn lazily."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def unit(value: int) -> float:
    """Map a 64-bit hash to [0, 1)."""
    return (value >> 11) / float(1 << 53)


def hex_id(seed: int, label: str, length: int) -> str:
    digest = hashlib.blake2b(f"{seed}|{label}".encode(), digest_size=32).hexdigest()
    while len(digest) < length:
        digest += hashlib.blake2b(digest.encode(), digest_size=32).hexdigest()
    return digest[:length]


def alnum(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_ALNUM))
        chars.append(_ALNUM[digit])
        if value == 0:
            value = mix64(len(chars))
    return "".join(chars)


def application_id(seed: int) -> str:
    h = hex_id(seed, "application", 32)
    return f"amzn1.sellerapps.app.{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def client_id(seed: int) -> str:
    return "amzn1.application-oa2-client." + hex_id(seed, "client", 32)


def client_secret(seed: int) -> str:
    return "amzn1.oa2-cs.v1." + hex_id(seed, "secret", 64)


def selling_partner_id(seed: int, index: int) -> str:
    # Merchant tokens are "A" plus 12 or 13 upper-case letters and digits.
    return "A" + alnum(derive(seed, "seller", index), 13)


def uuid_like(value: int) -> str:
    h = f"{mix64(value):016x}{mix64(value ^ 0x5555):016x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"
