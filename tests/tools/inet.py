# SPDX-License-Identifier: MIT
"""inet.py - helpers shared by the packet-building test tools (they run as
scripts, so their own directory is on the import path)."""

import struct


def csum(data):
    """The Internet checksum (RFC 1071) of DATA: one's-complement sum of
    16-bit big-endian words, an odd byte padded with zero, complemented."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
