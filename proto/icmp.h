/* SPDX-License-Identifier: MIT */
/*
 * proto/icmp - the answer that makes path MTU discovery work across the
 * overlay. A frame from a tap that would not fit the underlay path to its
 * VTEP once encapsulated, or longer than the tap's MTU (a guest's own MTU
 * set higher), is dropped; the sender is told, on the tap it came
 * from, with an ICMP "fragmentation needed" (IPv4, RFC 1191) or an ICMPv6
 * "packet too big" (RFC 8201), as if from the frame's destination, so its
 * stack lowers the path MTU and TCP its segment size. The kernel vxlan
 * driver answers bridged traffic the same way. Pure: no system calls, no
 * allocation; reads within [frame, frame + len) only.
 */
#ifndef VTEP_PROTO_ICMP_H
#define VTEP_PROTO_ICMP_H

#include "eth.h"

#define ICMP_HLEN 8                     /* type, code, checksum, 4 bytes */
/* How much of the offending packet an answer quotes: as much as keeps the
 * answer within 576 bytes (IPv4, RFC 1812 4.3.2.3) or 1280 (IPv6, RFC
 * 4443 2.4 (c)). */
#define ICMP_QUOTE_V4 (576 - IPV4_HLEN_MIN - ICMP_HLEN)
#define ICMP_QUOTE_V6 (1280 - IPV6_HLEN - ICMP_HLEN)
#define ICMP_TOO_BIG_MAX \
	(ETH_HLEN + ETH_MAX_VLAN_TAGS * ETH_VLAN_HLEN + IPV6_HLEN + ICMP_HLEN + ICMP_QUOTE_V6)
#define ICMP_MIN_MTU_V4 68              /* RFC 791 */
#define ICMP_MIN_MTU_V6 1280            /* RFC 8200 5 */

/*
 * Build into out the answer to frame[0..len), a frame of at most max_frame
 * bytes having been able to pass: an Ethernet frame back to the frame's
 * source, from its destination, with the same VLAN tags, carrying an ICMP
 * type 3 code 4 (IPv4) or ICMPv6 type 2 (IPv6) from the packet's
 * destination to its source, announcing the MTU max_frame minus the
 * Ethernet header and tags, and quoting the start of the packet (up to
 * ICMP_QUOTE_V4 or ICMP_QUOTE_V6 bytes, never past its IP length).
 * Returns the answer's length, or 0 when none is due:
 *  - the frame is not IPv4 or IPv6, or its headers are cut short;
 *  - either MAC address is a group address, or an IP address is
 *    multicast, broadcast (IPv4 255.255.255.255) or unspecified;
 *  - IPv4 without DF (the sender lets it be fragmented) or a fragment
 *    other than the first;
 *  - the packet is itself an ICMP error (IPv4 types 3, 4, 5, 11, 12;
 *    ICMPv6 types below 128 directly after the fixed header);
 *  - the MTU to announce is below the protocol's minimum (ICMP_MIN_MTU_*)
 *    or not below the packet's own length (it would fit).
 * Datapath-safe.
 */
size_t icmp_too_big(const uint8_t *frame, size_t len, size_t max_frame,
		    uint8_t out[ICMP_TOO_BIG_MAX]);

#endif /* VTEP_PROTO_ICMP_H */
