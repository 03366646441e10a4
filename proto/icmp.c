/* SPDX-License-Identifier: MIT */
/*
 * proto/icmp - "fragmentation needed" and "packet too big" answers for a
 * frame the underlay path cannot take (see icmp.h).
 */
#include "icmp.h"

#include "gso.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_ICMPV6 58
#define ICMP_DEST_UNREACH 3
#define ICMP_FRAG_NEEDED 4              /* its code */
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_INFO_MIN 128             /* types below are errors */
#define ANSWER_TTL 64

/* The one's complement checksum of p[0..len) plus sum, as it goes on the wire. */
static void put_csum(uint8_t *field, uint64_t sum)
{
	uint16_t c = (uint16_t)~gso_csum_fold(sum);

	memcpy(field, &c, sizeof(c));   /* the sum is byte-order independent */
}

/* ICMPv4 types that report an error (RFC 792, RFC 1812 4.3.2.7). */
static bool icmp4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool ip4_unanswerable(uint32_t a)
{
	uint32_t h = be32toh(a);

	return h == 0 || h == 0xffffffffu || (h >> 28) == 0xe;  /* any, broadcast, class D */
}

static size_t answer_v4(const uint8_t *ip, size_t avail, size_t mtu, uint8_t *out)
{
	struct eth_ipv4_view v;
	size_t quote, n;
	uint8_t *icmp;

	if (eth_ipv4_parse(ip, avail, &v) != VTEP_DROP_NONE || !v.dont_frag || v.frag_off ||
	    ip4_unanswerable(v.src) || ip4_unanswerable(v.dst) || mtu < ICMP_MIN_MTU_V4 ||
	    mtu >= v.tot_len)
		return 0;
	if (v.proto == IP_PROTO_ICMP && (v.l4_len < 1 || icmp4_is_error(ip[v.l4_off])))
		return 0;
	quote = VTEP_MIN((size_t)v.tot_len, (size_t)ICMP_QUOTE_V4);
	n = IPV4_HLEN_MIN + ICMP_HLEN + quote;
	memset(out, 0, IPV4_HLEN_MIN + ICMP_HLEN);
	out[0] = 0x45;
	vtep_wr16(out + 2, (uint16_t)n);
	out[8] = ANSWER_TTL;
	out[9] = IP_PROTO_ICMP;
	memcpy(out + 12, &v.dst, 4);    /* as if from the destination */
	memcpy(out + 16, &v.src, 4);
	put_csum(out + 10, gso_csum_add(0, out, IPV4_HLEN_MIN));
	icmp = out + IPV4_HLEN_MIN;
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = ICMP_FRAG_NEEDED;
	vtep_wr16(icmp + 6, (uint16_t)mtu);     /* next-hop MTU (RFC 1191) */
	memcpy(icmp + ICMP_HLEN, ip, quote);
	put_csum(icmp + 2, gso_csum_add(0, icmp, ICMP_HLEN + quote));
	return n;
}

static bool ip6_unanswerable(const struct in6_addr *a)
{
	static const struct in6_addr any;

	return a->s6_addr[0] == 0xff || !memcmp(a, &any, sizeof(any));
}

static size_t answer_v6(const uint8_t *ip, size_t avail, size_t mtu, uint8_t *out)
{
	struct eth_ipv6_view v;
	uint8_t tail[8] = { 0 };
	size_t quote, n, plen;
	uint64_t sum;
	uint8_t *icmp;

	if (eth_ipv6_parse(ip, avail, &v) != VTEP_DROP_NONE || ip6_unanswerable(&v.src) ||
	    ip6_unanswerable(&v.dst) || mtu < ICMP_MIN_MTU_V6 || mtu >= IPV6_HLEN + (size_t)v.payload_len)
		return 0;
	if (v.next == IP_PROTO_ICMPV6 && ip[IPV6_HLEN] < ICMPV6_INFO_MIN)
		return 0;               /* payload_len >= 1: the type is there */
	quote = VTEP_MIN(IPV6_HLEN + (size_t)v.payload_len, (size_t)ICMP_QUOTE_V6);
	plen = ICMP_HLEN + quote;
	n = IPV6_HLEN + plen;
	memset(out, 0, IPV6_HLEN + ICMP_HLEN);
	out[0] = 0x60;
	vtep_wr16(out + 4, (uint16_t)plen);
	out[6] = IP_PROTO_ICMPV6;
	out[7] = ANSWER_TTL;
	memcpy(out + 8, &v.dst, 16);
	memcpy(out + 24, &v.src, 16);
	icmp = out + IPV6_HLEN;
	icmp[0] = ICMPV6_PKT_TOOBIG;
	vtep_wr32(icmp + 4, (uint32_t)mtu);
	memcpy(icmp + ICMP_HLEN, ip, quote);
	/* Pseudo-header (RFC 8200 8.1): addresses, length, next header. */
	vtep_wr32(tail, (uint32_t)plen);
	tail[7] = IP_PROTO_ICMPV6;
	sum = gso_csum_add(0, out + 8, 32);
	sum = gso_csum_add(sum, tail, sizeof(tail));
	put_csum(icmp + 2, gso_csum_add(sum, icmp, plen));
	return n;
}

size_t icmp_too_big(const uint8_t *frame, size_t len, size_t max_frame,
		    uint8_t out[ICMP_TOO_BIG_MAX])
{
	struct eth_view eth;
	size_t n, mtu;

	if (eth_parse(frame, len, &eth) != VTEP_DROP_NONE || vtep_mac_is_multicast(&eth.dst) ||
	    vtep_mac_is_multicast(&eth.src) || max_frame <= eth.l3_off)
		return 0;
	mtu = max_frame - eth.l3_off;
	switch (eth.ethertype) {
	case ETH_TYPE_IPV4:
		n = answer_v4(frame + eth.l3_off, len - eth.l3_off, mtu, out + eth.l3_off);
		break;
	case ETH_TYPE_IPV6:
		n = answer_v6(frame + eth.l3_off, len - eth.l3_off, mtu, out + eth.l3_off);
		break;
	default:
		return 0;
	}
	if (!n)
		return 0;
	/* Back to the sender, from the destination, in the same VLAN(s). */
	memcpy(out, frame + 6, 6);
	memcpy(out + 6, frame, 6);
	memcpy(out + 12, frame + 12, eth.l3_off - 12);
	return eth.l3_off + n;
}
