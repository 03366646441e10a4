/* SPDX-License-Identifier: MIT */
/*
 * proto/frag - IPv4 fragmentation of an inner packet, for a frame without
 * DF that the underlay path to its VTEP cannot take whole. RFC 7348 4.3
 * forbids fragmenting the VXLAN packet; fragmenting the inner packet before
 * encapsulation, as a router on the guest's path would, delivers what the
 * kernel vxlan driver delivers by fragmenting the outer packet, without
 * outer fragments for the underlay or the far VTEP to reassemble. Pure: no
 * system calls, no allocation; reads within [frame, frame + len) only.
 */
#ifndef VTEP_PROTO_FRAG_H
#define VTEP_PROTO_FRAG_H

#include "eth.h"

#define FRAG_HDR_MAX (ETH_HLEN + ETH_MAX_VLAN_TAGS * ETH_VLAN_HLEN + 60)
#define FRAG_MAX 64                     /* fragments of one frame, at most */

/* One fragment: its headers (Ethernet, tags, IPv4 with the options RFC 791
 * copies into it) and its payload, frame[off, off + len). */
struct frag_piece {
	uint8_t hdr[FRAG_HDR_MAX];
	size_t hlen;
	size_t off;
	size_t len;
};

/*
 * Split frame[0..len), a frame with up to two VLAN tags carrying IPv4 without
 * DF (possibly itself a fragment), into fragments whose frames are at most
 * max_frame bytes (headers and tags included); in order into out[0..max). Every fragment keeps the
 * MACs, tags, TOS, ID, TTL and protocol; the first keeps every option, the
 * others those with the copy bit; offsets count from the packet's own, MF is
 * set on all but the last, which keeps the packet's; header checksums are
 * recomputed. Trailing Ethernet padding is not carried. Returns the number
 * of fragments, or 0 when the frame is not to be fragmented: not IPv4, DF
 * set, headers cut short or malformed options, the frame fits max_frame
 * already, max_frame leaves no 8 bytes of payload, or more than max pieces
 * (or FRAG_MAX) would be needed. Datapath-safe.
 */
size_t frag_ipv4(const uint8_t *frame, size_t len, size_t max_frame, struct frag_piece *out,
		 size_t max);

#endif /* VTEP_PROTO_FRAG_H */
