"""Keys under which a checkpoint stores the slices of a partitioned tensor (TensorFlow's "ordered code")."""

from __future__ import annotations

# A slice of a partitioned tensor is stored under an "ordered code" key:
# unsigned 0, the tensor name, unsigned rank, then a signed start and length
# per dimension (length -1 means the whole dimension).  Unsigned numbers are a
# length byte then big-endian bytes; strings escape 0x00 as 00 ff and 0xff as
# ff 00 and end with 00 01; signed numbers are described at _read_signed.


def _read_unsigned(key: bytes, pos: int) -> tuple[int, int]:
    length = key[pos]
    if length > 8 or pos + 1 + length > len(key):
        raise ValueError("bad unsigned number")
    return int.from_bytes(key[pos + 1 : pos + 1 + length], "big"), pos + 1 + length


def _read_string(key: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while pos + 1 < len(key):
        byte = key[pos]
        if byte not in (0x00, 0xFF):
            out.append(byte)
            pos += 1
            continue
        pair = key[pos : pos + 2]
        pos += 2
        if pair == b"\x00\x01":
            return bytes(out), pos
        if pair == b"\x00\xff":
            out.append(0)
        elif pair == b"\xff\x00":
            out.append(0xFF)
        else:
            raise ValueError("bad escape in string")
    raise ValueError("unterminated string")


def _read_signed(key: bytes, pos: int) -> tuple[int, int]:
    """The first bit is the sign (1 for >= 0); the run of bits equal to it that
    follows, up to 9, counts the extra bytes; then one opposite delimiter bit;
    the rest (7*length - 1 bits) is the value in two's complement."""
    if pos >= len(key):
        raise ValueError("missing signed number")
    head = int.from_bytes(key[pos : pos + 2].ljust(2, b"\x00"), "big")
    negative = not head & 0x8000
    if negative:
        head ^= 0xFFFF
    length = 0
    while length < 10 and head & (0x8000 >> length):
        length += 1
    if pos + length > len(key):
        raise ValueError("truncated signed number")
    bits = 7 * length - 1
    value = int.from_bytes(key[pos : pos + length], "big") & ((1 << bits) - 1)
    if negative:
        value -= 1 << bits
    return value, pos + length


def decode_slice_key(key: bytes) -> tuple[str, tuple[tuple[int, int], ...]]:
    """(tensor name, ((start, length), ...)) of a stored slice's key."""
    try:
        zero, pos = _read_unsigned(key, 0)
        name, pos = _read_string(key, pos)
        rank, pos = _read_unsigned(key, pos)
        extents = []
        for _ in range(rank):
            start, pos = _read_signed(key, pos)
            length, pos = _read_signed(key, pos)
            extents.append((start, length))
    except (ValueError, IndexError) as exc:
        raise ValueError(f"malformed slice key {key!r}: {exc}") from None
    if zero != 0 or pos != len(key):
        raise ValueError(f"malformed slice key {key!r}")
    return name.decode("utf-8", "surrogateescape"), tuple(extents)


