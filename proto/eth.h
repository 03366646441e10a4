/* SPDX-License-Identifier: MIT */
/*
 * proto/eth - Ethernet (with up to two 802.1Q/802.1ad tags), IPv4 and IPv6
 * header parsing, and the inner-flow hash that picks the outer UDP source
 * port. Pure: no system calls, no allocation; every parser takes a pointer
 * and a length, never reads past it, and returns a drop reason.
 */
#ifndef VTEP_PROTO_ETH_H
#define VTEP_PROTO_ETH_H

#include "../vtep.h"

/* Same value and spelling as <linux/if_ether.h>, so both may be included. */
#ifndef ETH_HLEN
#define ETH_HLEN 14                     /* dst MAC, src MAC, ethertype */
#endif
#define ETH_ADDRS_LEN 12                /* dst MAC, src MAC: where a tag goes in */
#define ETH_VLAN_HLEN 4                 /* one 802.1Q/802.1ad tag: TPID + TCI */
#define ETH_MAX_VLAN_TAGS 2             /* QinQ: S-tag then C-tag */

/* Ethertypes, host order. */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100            /* 802.1Q C-tag */
#define ETH_TYPE_QINQ 0x88a8            /* 802.1ad S-tag */

#define IPV4_HLEN_MIN 20
#define IPV6_HLEN 40

/* IP protocol numbers used by the flow hash. */
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_PROTO_SCTP 132
#define IP_PROTO_UDPLITE 136

/*
 * A parsed Ethernet header. ethertype is the innermost one (after the
 * tags), host order. vlan is the VID of the outermost tag; n_vlan says how
 * many tags were skipped (0, 1 or 2), so a priority-tagged frame (VID 0)
 * is told apart from an untagged one by n_vlan. A third tag is not
 * skipped: ethertype is then its TPID. l3_off is the offset of the L3
 * header from the start of the frame (ETH_HLEN + 4 * n_vlan); it may equal
 * the frame length when there is no payload.
 */
struct eth_view {
	struct vtep_mac dst;
	struct vtep_mac src;
	uint16_t ethertype;
	uint16_t vlan;
	uint8_t n_vlan;
	size_t l3_off;
};

/* VTEP_DROP_NONE and *ret_view filled, or VTEP_DROP_MALFORMED when the frame
 * is shorter than its headers. Datapath-safe. */
enum vtep_drop eth_parse(const uint8_t *p, size_t len, struct eth_view *ret_view);

/* Write an untagged Ethernet header (ethertype in host order). */
/*
 * Whether frame p[0..len) is tagged for a VLAN: its first tag is an 802.1ad
 * one, or an 802.1Q one with a VID; 802.1Q priority tags (VID 0) name none
 * and are looked past, up to ETH_MAX_VLAN_TAGS of them (more: true). A
 * trunk takes no such frame where it would be read as another VLAN's.
 */
bool eth_names_vlan(const uint8_t *p, size_t len);

void eth_build(uint8_t hdr[ETH_HLEN], const struct vtep_mac *dst, const struct vtep_mac *src,
	       uint16_t ethertype);

/*
 * A parsed IPv4 header; p points at it (frame + l3_off). Addresses are in
 * network order (as struct in_addr). l4_off is relative to p (= ihl * 4);
 * l4_len is the L4 length as the header claims it (tot_len - ihl * 4),
 * which never exceeds what the buffer holds (trailing Ethernet padding is
 * allowed beyond tot_len). frag_off is in 8-byte units.
 */
struct eth_ipv4_view {
	uint8_t ihl;                    /* header length in 32-bit words, >= 5 */
	uint8_t tos;
	uint8_t ttl;
	uint8_t proto;
	uint16_t tot_len;               /* host order */
	uint16_t frag_off;              /* 8-byte units */
	bool more_frags;
	bool dont_frag;
	uint32_t src;                   /* network order */
	uint32_t dst;                   /* network order */
	size_t l4_off;
	size_t l4_len;
};

/* True for any fragment (first, middle or last): L4 ports are not reliable. */
static inline bool eth_ipv4_is_fragment(const struct eth_ipv4_view *v)
{
	return v->more_frags || v->frag_off != 0;
}

/* Version 4, ihl >= 5, header within len, ihl * 4 <= tot_len <= len:
 * VTEP_DROP_NONE, else VTEP_DROP_MALFORMED. The checksum is not checked. */
enum vtep_drop eth_ipv4_parse(const uint8_t *p, size_t len, struct eth_ipv4_view *ret_view);

/* A parsed IPv6 fixed header (no extension-header walk: next is the
 * Next Header field as is). l4_off is relative to p (always IPV6_HLEN). */
struct eth_ipv6_view {
	uint8_t next;
	uint8_t hop_limit;
	uint16_t payload_len;           /* host order */
	uint32_t flow_label;            /* host order, 20 bits */
	struct in6_addr src;
	struct in6_addr dst;
	size_t l4_off;
	size_t l4_len;
};

/* Version 6, 40 bytes present, payload_len within len: VTEP_DROP_NONE, else
 * VTEP_DROP_MALFORMED. (payload_len 0, jumbogram, is rejected.) */
enum vtep_drop eth_ipv6_parse(const uint8_t *p, size_t len, struct eth_ipv6_view *ret_view);

/*
 * Hash of the inner flow for the outer UDP source port (RFC 7348 section 5,
 * "Source Port": a hash of the inner headers). Covers the MACs, the
 * ethertype, and for IPv4/IPv6 the addresses and protocol, plus the L4
 * ports for TCP/UDP/SCTP/UDP-Lite when the packet is not a fragment (so all
 * fragments of a datagram take one path). Never fails: a short or odd frame
 * hashes whatever headers it has. Deterministic (no seed). Datapath-safe.
 */
uint32_t eth_flow_hash(const uint8_t *frame, size_t len);

#endif /* VTEP_PROTO_ETH_H */
