/* SPDX-License-Identifier: MIT */
/*
 * proto/gso - segmentation offload in software, pure: the virtio-net header
 * a tap with IFF_VNET_HDR puts in front of every frame, Internet checksums
 * (RFC 1071), splitting a TCP (or UDP, USO) super-frame into MSS-sized
 * segments as the kernel's tcp_gso_segment does, finishing a partial
 * checksum (NEEDS_CSUM), and the reverse: coalescing consecutive TCP
 * segments of one flow into one super-frame for a GSO tap write (the kernel
 * GRO rules, tcp_gro_receive).
 *
 * Checksum sums are kept in "native" form: 16-bit words read in host order,
 * so a folded sum is stored with memcpy, never byte-swapped.
 */
#ifndef VTEP_PROTO_GSO_H
#define VTEP_PROTO_GSO_H

#include "../vtep.h"

/* struct virtio_net_hdr (virtio spec 5.1.6), host byte order on a tap
 * (TUNSETVNETLE/BE is never used). */
#define GSO_VNET_HLEN 10
#define GSO_VNET_F_NEEDS_CSUM 1
#define GSO_VNET_F_DATA_VALID 2
#define GSO_TYPE_NONE 0
#define GSO_TYPE_TCPV4 1
#define GSO_TYPE_TCPV6 4
#define GSO_TYPE_UDP_L4 5
#define GSO_TYPE_ECN 0x80

#define GSO_MAX_SEGS 1024               /* more segments than this: dropped as malformed */
#define GSO_COALESCE_MAX 64             /* segments merged into one tap write */
#define GSO_HLEN_MAX 160                /* Ethernet (2 tags) + IPv4/6 + TCP with options */

struct gso_vnet {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void gso_vnet_parse(const uint8_t p[GSO_VNET_HLEN], struct gso_vnet *ret);
void gso_vnet_build(uint8_t p[GSO_VNET_HLEN], const struct gso_vnet *v);
/* The header of a frame whose start moved by delta bytes behind its L2
 * header (an 802.1Q tag put in: +4, taken out: -4): csum_start (with
 * NEEDS_CSUM) and a GSO frame's hdr_len (when set) move with it. */
void gso_vnet_shift(uint8_t p[GSO_VNET_HLEN], int delta);

/* Add p[0..len) to sum. Only the last chunk of a chained sum may have an
 * odd length. */
uint64_t gso_csum_add(uint64_t sum, const uint8_t *p, size_t len);
/* Fold to 16 bits (not complemented). */
uint16_t gso_csum_fold(uint64_t sum);

/*
 * Finish the partial checksum of a frame read with NEEDS_CSUM and no GSO:
 * the field at csum_start + csum_offset holds the pseudo-header sum; the
 * sum from csum_start to the end of the frame is folded, complemented and
 * stored (0 becomes 0xffff, as the kernel does). VTEP_DROP_MALFORMED when
 * the offsets do not fit the frame. Datapath-safe.
 */
enum vtep_drop gso_finish_csum(uint8_t *frame, size_t len, const struct gso_vnet *vh);

/* A super-frame to split. Offsets are from the start of the frame. */
struct gso_frame {
	uint8_t type;                   /* GSO_TYPE_TCPV4, _TCPV6 or _UDP_L4 */
	bool v6;
	size_t l3_off;
	size_t l4_off;
	size_t hlen;                    /* every header, L4 included */
	size_t payload;                 /* bytes after hlen (up to the IP length) */
	uint16_t mss;                   /* payload bytes per segment */
	unsigned int nseg;
};

/*
 * Check a frame read with gso_type != NONE; the headers are parsed here
 * (hdr_len is not trusted). ECN frames (TSO_ECN is never enabled), unknown
 * types, gso_size 0, no payload, IP options beyond the header, IPv6
 * extension headers or more than GSO_MAX_SEGS segments: MALFORMED.
 * Datapath-safe.
 */
enum vtep_drop gso_parse(const uint8_t *frame, size_t len, const struct gso_vnet *vh,
			 struct gso_frame *ret);

/*
 * Write the headers of segment i (g->hlen bytes) into out and return the
 * segment's payload length; its payload is frame + g->hlen + i * g->mss.
 * IPv4 total length, ID (+i) and header checksum, IPv6 payload length, TCP
 * sequence number and flags (FIN and PSH on the last segment only, CWR on
 * the first only) or UDP length, and the full L4 checksum are set.
 * Datapath-safe.
 */
size_t gso_segment(const uint8_t *frame, const struct gso_frame *g, unsigned int i,
		   uint8_t *out);

/* An untagged IPv4 (no options, not a fragment) or IPv6 (no extension
 * headers) TCP segment, as a candidate for coalescing. */
struct gso_tcp_view {
	bool v6;
	size_t l4_off;
	size_t hlen;
	size_t payload;
	uint32_t seq;
	uint8_t flags;
	uint16_t ip_id;                 /* IPv4 */
	bool df;                        /* IPv4: don't fragment */
};

/* VTEP_DROP_NONE when frame is such a segment with payload and only ACK
 * (and maybe PSH) set, that ends where its IP packet ends (no padding), an
 * IPv4 one with a good header checksum, and, with check_csum, its TCP
 * checksum is right.
 * Without it the caller vouches for the bytes: a datagram of a UDP GRO
 * train was covered by a non-zero outer UDP checksum (the kernel merges
 * no datagram without one, and a local GSO send cannot turn it off).
 * Datapath-safe. */
enum vtep_drop gso_tcp_parse(const uint8_t *frame, size_t len, bool check_csum,
			     struct gso_tcp_view *ret);

/* What the TCP or UDP checksum of an Ethernet frame says, for a frame a
 * peer sent alone (not in a GRO train, so no outer checksum vouched for it). */
enum gso_csum_verdict {
	GSO_CSUM_NONE,                  /* nothing to check: not TCP or UDP over IPv4
					 * or IPv6 without extension headers, a
					 * fragment, UDP without a checksum, or
					 * headers too short to tell */
	GSO_CSUM_OK,
	GSO_CSUM_BAD,                   /* e.g. left to a NIC that never saw it */
};

/* Check the L4 checksum of FRAME (LEN bytes from the Ethernet header).
 * Datapath-safe. */
enum gso_csum_verdict gso_l4_csum_check(const uint8_t *frame, size_t len);

/* A run of segments being merged. */
struct gso_coalesce {
	const uint8_t *first;           /* the first segment's frame (headers used) */
	struct gso_tcp_view h;
	uint32_t next_seq;
	uint16_t mss;
	uint16_t window;                /* the last segment's, network order */
	size_t total;                   /* payload bytes */
	unsigned int n;
	bool psh;
	bool closed;                    /* nothing may follow */
};

void gso_coalesce_start(struct gso_coalesce *c, const uint8_t *frame,
			const struct gso_tcp_view *v);
/* Append the segment when the rules allow (same flow and options, next
 * sequence number, previous one full-sized without PSH, IPv4 without DF:
 * the next IP ID; limits); false
 * leaves c as it was. Datapath-safe. */
bool gso_coalesce_add(struct gso_coalesce *c, const uint8_t *frame,
		      const struct gso_tcp_view *v);
/* Write the virtio-net header (GSO, NEEDS_CSUM) and the merged headers into
 * out (GSO_VNET_HLEN + c->h.hlen bytes); the payloads follow in order.
 * Returns the bytes written. Datapath-safe. */
size_t gso_coalesce_build(const struct gso_coalesce *c, uint8_t *out);

#endif /* VTEP_PROTO_GSO_H */
