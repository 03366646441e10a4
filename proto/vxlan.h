/* SPDX-License-Identifier: MIT */
/*
 * proto/vxlan - the VXLAN header (RFC 7348 section 5): parse on receipt,
 * build for encapsulation, and the outer UDP source-port choice. Pure.
 *
 * RFC 7348 section 5, VXLAN header, 8 bytes, after the outer UDP header:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |R|R|R|R|I|R|R|R|            Reserved                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                VXLAN Network Identifier (VNI) |   Reserved    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The I flag must be 1 for a valid VNI. Reserved fields are sent as zero and
 * "MUST be ignored on receipt"; Linux, OVS and VPP drop instead, which is
 * our default (reserved_bits = "drop"). Default UDP port: 4789
 * (VTEP_PORT_DEFAULT in vtep.h).
 */
#ifndef VTEP_PROTO_VXLAN_H
#define VTEP_PROTO_VXLAN_H

#include "../vtep.h"

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08               /* first byte: "VNI valid" */
#define VXLAN_UDP_HLEN 8
#define VXLAN_IPV4_HLEN 20
#define VXLAN_IPV6_HLEN 40
/* Outer headers added to an inner frame (Ethernet header of the inner frame
 * counted, as for the kernel's "underlay MTU - 50" rule). */
#define VXLAN_OVERHEAD_V4 (VXLAN_IPV4_HLEN + VXLAN_UDP_HLEN + VXLAN_HLEN + 14)
#define VXLAN_OVERHEAD_V6 (VXLAN_IPV6_HLEN + VXLAN_UDP_HLEN + VXLAN_HLEN + 14)

/*
 * Parse the 8-byte VXLAN header at p (the UDP payload); len is what follows
 * the UDP header, inner frame included (only the first 8 bytes are read).
 *   len < 8                      -> VTEP_DROP_MALFORMED
 *   I flag clear                 -> VTEP_DROP_BAD_FLAGS (always)
 *   any other bit of the flags byte, the 24 reserved bits or the last
 *   reserved byte set            -> VTEP_DROP_BAD_FLAGS unless ignore_reserved
 * On VTEP_DROP_NONE, *ret_vni holds the 24-bit VNI (host order). The inner
 * frame starts at p + VXLAN_HLEN. Datapath-safe.
 */
enum vtep_drop vxlan_parse(const uint8_t *p, size_t len, bool ignore_reserved, uint32_t *ret_vni);

/* Write a header with only the I flag set and vni (low 24 bits used). */
void vxlan_build(uint8_t hdr[VXLAN_HLEN], uint32_t vni);

/*
 * Map a flow hash (eth_flow_hash) onto the source-port range [lo, hi]
 * (RFC 7348 section 5: "a hash of fields from the inner packet"; the range
 * is the configured srcport, default 49152..65535). lo > hi is treated as
 * [hi, lo]. Uses the high bits of hash (multiply-shift), so a hash with good
 * upper bits spreads evenly. Datapath-safe.
 */
uint16_t vxlan_src_port(uint32_t hash, uint16_t lo, uint16_t hi);

#endif /* VTEP_PROTO_VXLAN_H */
