#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# tests/fuzz/mkseeds.py - regenerate the seed corpora in tests/data/fuzz/
# from the packet fixtures (tests/data/*.hex) and packaging/vtep.conf, in
# each harness's input format (see the comment at the top of each
# tests/fuzz/fuzz_*.c). Run from the top of the tree; deterministic.
import os
import struct
import sys

DATA = "tests/data"
OUT = "tests/data/fuzz"


def hexfile(name):
    out = bytearray()
    with open(os.path.join(DATA, name)) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                out += bytes(int(x, 16) for x in line.split())
    return bytes(out)


def vxlan(vni, frame, flags=0x08):
    return bytes([flags, 0, 0, 0]) + struct.pack(">I", vni << 8) + frame


def record(hdr, payload):
    return bytes([hdr]) + struct.pack(">H", len(payload)) + payload


def write(harness, name, blob):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


FRAMES = ["arp_request", "arp_reply", "arp_gratuitous", "nd_ns", "nd_na",
          "ipv4_udp", "ipv6_tcp", "qinq_ipv4_tcp"]
frames = {n: hexfile(n + ".hex") for n in FRAMES}

# world.h settings: s0 = flood | learning 0x04 | arp_suppress 0x08 |
# allow_any 0x10 | allow prefix 0x20 | ignore_reserved 0x40 | no cache 0x80;
# s1 MTU; s2, s3 the same for VNI 200; s4 damping limit | bum_rate << 2.
LEARN_SUPPRESS = bytes([0x0c, 0, 0x0c, 0, 0])

# fuzz_underlay: settings, then [header][len][UDP payload] records (header:
# source select bits 0-2, clock 3-5, ageing 6, fix ICMPv6 checksum 7).
write("underlay", "vxlan_arp", LEARN_SUPPRESS + record(0, hexfile("vxlan_arp.hex")))
for i, n in enumerate(FRAMES):
    write("underlay", n, bytes([0x04 | (i & 3), 0, 0x14, 0, i & 3]) +
          record(0x80 | (i & 1), vxlan(100, frames[n])) + record(1, vxlan(200, frames[n])))
write("underlay", "mixed", bytes([0x25, 200, 0x04, 0, 0x0a]) +
      b"".join(record(i % 8, vxlan(100, frames[n])) for i, n in enumerate(FRAMES)) +
      record(0, vxlan(100, frames["ipv4_udp"], flags=0x0c)))

# fuzz_tap: settings, then [header][len][frame] records (header as above,
# bits 0-2 the input tap).
for i, n in enumerate(FRAMES):
    write("tap", n, LEARN_SUPPRESS + record(0x80, frames[n]) + record(2, frames[n]))
write("tap", "suppress_both", bytes([0x0d, 0, 0x8e, 0, 0x04]) +
      record(0, frames["arp_request"]) + record(1, frames["nd_ns"]) +
      record(0x40 | 0x38, frames["arp_gratuitous"]) + record(1, frames["arp_request"]))

# A MAC flapping between taps 0 and 1 until move damping (limit 2) freezes it.
write("tap", "flap", bytes([0x04, 0, 0x04, 0, 0x02]) +
      b"".join(record(i & 1, frames["ipv4_udp"]) for i in range(5)) +
      record(0x38, frames["ipv4_udp"]) + record(0x39, frames["ipv4_udp"]))
write("underlay", "flap", bytes([0x14, 0, 0x14, 0, 0x03]) +
      b"".join(record(i & 1, vxlan(100, frames["arp_reply"])) for i in range(5)))

# fuzz_nd_arp: [buffer size][flags: router 1, fix ICMPv6 checksum 2][frame].
for i, n in enumerate(FRAMES):
    write("nd_arp", n, bytes([128 if i % 2 == 0 else 60, (i & 1) | 2]) + frames[n])

# fuzz_tables: 4 caps, then ops (opcode + 3 argument bytes; 0x40 = tick).
def fop(op, a=0, b=0, c=0):
    return bytes([op, a, b, c])

write("tables", "fdb_fill", bytes([3, 2, 2, 1]) +
      fop(0, 0, 1, 0) + fop(0, 0, 2, 1) + fop(1, 1, 3, 2) + fop(1, 0, 4, 1) +
      fop(2, 0, 5, 3) + fop(2, 0, 1, 0) + fop(2, 0, 6, 0) + bytes([0x45]) +
      fop(0, 0, 2, 2) + fop(5, 3, 0, 0) + fop(4, 0, 1, 0) + fop(3, 0, 5, 0) +
      fop(10, 1, 1, 0) + fop(0, 1, 7, 0) + fop(6, 0, 0, 0) + fop(12, 1, 2, 3))
write("tables", "fdb_damp", bytes([8, 2, 0, 0]) + fop(11, 2, 60, 30) +
      fop(0, 0, 1, 0) + fop(0, 0, 1, 1) + fop(1, 0, 1, 2) + fop(0, 0, 1, 3) +
      bytes([0x40 | 20]) + fop(0, 0, 1, 0) + bytes([0x40 | 40]) + fop(0, 0, 1, 2) +
      fop(2, 0, 1, 1) + fop(11, 0, 0, 0) + fop(11, 1, 1, 0x80) + fop(11, 5, 1, 0x80))
write("tables", "fdb_flush", bytes([8, 4, 0, 0]) +
      b"".join(fop(0, i & 1, i, i & 3) for i in range(1, 6)) +
      fop(1, 0, 6, 1) + fop(1, 0, 7, 2) + fop(7, 0, 0, 1) + fop(8, 0, 0, 1) +
      fop(9, 0, 0, 0) + fop(10, 0, 0, 0) + fop(2, 0, 8, 0))
write("tables", "arpc_fill", bytes([0, 0, 3, 1]) +
      fop(0x80, 0, 2, 2) + fop(0x80, 0, 10, 2) + fop(0x80, 1, 3, 3) +
      fop(0x80, 0, 4, 4) + fop(0x81, 0, 2, 5) + fop(0x83, 0, 10, 0x82) +
      bytes([0x7f]) + fop(0x84, 30, 0, 0) + fop(0x80, 0, 2, 3) + fop(0x82, 0, 2, 0) +
      fop(0x85, 1, 0, 0) + fop(0x86, 0, 0, 0) + fop(0x87, 1, 1, 0) + fop(0x88, 0, 0, 0))

# fuzz_conf: text.
with open("packaging/vtep.conf", "rb") as f:
    write("conf", "vtep.conf", f.read())
CONFS = {
    "minimal": 'local = "10.0.0.1";\nvnis = ( { vni = 100; group = "239.1.1.100";'
               ' taps = ( { name = "vm1"; } ); } );\n',
    "unicast_v6": 'local = "fd00::1";\nreserved_bits = "ignore";\nallow = [ "fd00::/64" ];\n'
                  'vnis = ( { vni = 16777215; flood = "unicast"; peers = [ "fd00::2" ];\n'
                  '  fdb = ( { mac = "52-54-00-00-00-02"; remote = "fd00::2"; } );\n'
                  '  arp = ( { ip = "fd00:7::2"; mac = "52:54:00:00:00:02"; } ); } );\n',
    "include_dir": 'local = "10.0.0.1";\ninclude_dir = "/tmp/vtep-fuzz-conf.d";\n'
                   'vnis = ( { vni = 100; peers = [ "10.0.0.2" ]; } );\n',
    "capture": 'local = "10.0.0.1"; mtu = 1450; srcport = [ 1000, 2000 ];\n'
               'capture = { file = "/tmp/x.pcap"; point = "both"; max_size = 0x10000; };\n'
               'vnis = ( { vni = 7; taps = ( { name = "t"; netns = "blue"; } ); } );\n',
    # libconfig 1.5 leaks the token of an unterminated string (lsan.supp).
    "unterminated": 'local = "10.0.0.1";\ncapture = { file = "/t};\n',
    "errors": 'local = "239.0.0.1";\nlocal = "x";\nttl = 0;\n'
              'vnis = ( { vni = 0; group = "10.0.0.1"; peers = [ "239.1.1.1" ]; },\n'
              '         { vni = 0; } );\n@include "/etc/passwd"\n',
}
for name, text in CONFS.items():
    write("conf", name, text.encode())

# fuzz_ctl: a control socket request, words each ended by a NUL.
CTLS = {
    "all": ["flush"],
    "vni_mac": ["flush", "vni", "100", "mac", "52:54:00:12:34:56"],
    "remote": ["flush", "fdb", "remote", "10.0.0.2", "vni", "16777215"],
    "tap": ["flush", "tap", "vm1"],
    "ip6": ["flush", "arp", "ip", "fd00:7::2"],
    "bad_combo": ["flush", "ip", "192.168.7.2", "tap", "vm1"],
    "config": ["config"],
}
for name, words in CTLS.items():
    write("ctl", name, b"".join(w.encode() + b"\0" for w in words))

sys.exit(0)
