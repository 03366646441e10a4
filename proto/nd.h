/* SPDX-License-Identifier: MIT */
/*
 * proto/nd - IPv6 Neighbor Discovery (RFC 4861) for the suppression cache:
 * parse Neighbor Solicitations and Advertisements for snooping, and build
 * the Neighbor Advertisement that answers a solicitation on the owner's
 * behalf. Pure: no system calls, no allocation, never reads past len.
 *
 * ICMPv6 NS (type 135) and NA (type 136), RFC 4861 4.3 and 4.4:
 *
 *   type(1) code(1) checksum(2) | NS: reserved(4) | NA: R S O + 29 bits(4)
 *   target address(16) | options: type(1) length(1, in 8-byte units) ...
 *
 * Link-layer address options (RFC 4861 4.6.1) on Ethernet are 8 bytes:
 * type 1 (source) or 2 (target), length 1, the 6-byte MAC.
 */
#ifndef VTEP_PROTO_ND_H
#define VTEP_PROTO_ND_H

#include "../vtep.h"
#include "eth.h"

#define IP_PROTO_ICMPV6 58
#define ND_TYPE_NS 135
#define ND_TYPE_NA 136
#define ND_HOP_LIMIT 255                /* RFC 4861 7.1: anything else is off-link */
#define ND_HLEN 24                      /* ICMPv6 header + flags/reserved + target */
#define ND_OPT_SLLA 1                   /* source link-layer address */
#define ND_OPT_TLLA 2                   /* target link-layer address */
#define ND_OPT_LLA_LEN 8                /* a link-layer address option on Ethernet */
/* NA flags: the first byte of the 32-bit word after the checksum. */
#define ND_NA_FLAG_ROUTER 0x80
#define ND_NA_FLAG_SOLICITED 0x40
#define ND_NA_FLAG_OVERRIDE 0x20
/* A whole untagged NA frame with a target link-layer address option. */
#define ND_NA_LEN (ETH_HLEN + IPV6_HLEN + ND_HLEN + ND_OPT_LLA_LEN)

/*
 * A parsed NS or NA. src/dst are the IPv6 header's. For an NS, has_slla
 * and slla come from its source link-layer address option; for an NA,
 * has_tlla and tlla from its target link-layer address option. A second
 * option of the same kind is ignored (as Linux ndisc_parse_options does);
 * an option of the other kind is ignored. The flags are an NA's (false
 * for an NS).
 */
struct nd_view {
	uint8_t type;                   /* ND_TYPE_NS or ND_TYPE_NA */
	bool router;
	bool solicited;
	bool override;
	struct in6_addr src;
	struct in6_addr dst;
	struct in6_addr target;
	bool has_slla;
	bool has_tlla;
	struct vtep_mac slla;
	struct vtep_mac tlla;
};

/*
 * Parse the IPv6 packet at p (frame + eth_view.l3_off, ethertype IPv6) as
 * an NS or NA. VTEP_DROP_NONE and *ret_view filled only when it is a valid
 * one per RFC 4861 7.1.1/7.1.2: next header 58 directly (no extension
 * headers), hop limit 255, ICMPv6 checksum correct, code 0, length >= 24,
 * target neither multicast nor ::, source not multicast; every option length non-zero
 * and within the message; a link-layer address option exactly 8 bytes; an
 * NS from :: (DAD) sent to a solicited-node address and without a source
 * link-layer option; an NA to a multicast address without the S flag.
 * Anything else, including any other IPv6 packet, is VTEP_DROP_MALFORMED.
 * The verdict is about snooping only: a bridge forwards what it cannot
 * parse, so callers must not drop the frame on it. Datapath-safe.
 */
enum vtep_drop nd_parse(const uint8_t *p, size_t len, struct nd_view *ret_view);

/* The solicited-node multicast address of a (ff02::1:ff + its low 24 bits,
 * RFC 4291 2.7.1). */
void nd_solicited_node(const struct in6_addr *a, struct in6_addr *ret_addr);

/*
 * Build the NA that answers the solicitation ns (a parsed NS with a source
 * link-layer option and a unicast source) on behalf of owner, the MAC the
 * cache holds for ns->target, into buf (size bytes): Ethernet to ns->slla
 * from owner; IPv6 from ns->target to ns->src, hop limit 255, traffic class
 * and flow label 0; ICMPv6 NA with S=1, O=1 (RFC 4861 7.2.4: solicited, and
 * the owner's own answer overrides), R = router (the owner's last NA said
 * it is a router: sending R=0 for a router makes hosts drop their routes
 * through it), target ns->target, a target link-layer option with owner,
 * checksum filled in. Returns ND_NA_LEN, or 0 (nothing written) when size
 * is too small or ns is not such an NS. Datapath-safe.
 */
size_t nd_build_na(uint8_t *buf, size_t size, const struct nd_view *ns,
		   const struct vtep_mac *owner, bool router);

#endif /* VTEP_PROTO_ND_H */
