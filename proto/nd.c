/* SPDX-License-Identifier: MIT */
/*
 * proto/nd - IPv6 Neighbor Solicitation/Advertisement parse and the NA
 * builder (RFC 4861). Fields are read with memcpy and converted from big
 * endian: frames from io/ carry no alignment guarantee.
 */
#include "nd.h"

/* ------------------------------------------------------------------ */
/* The ICMPv6 checksum (RFC 4443 2.3, over the RFC 8200 8.1 pseudo-header). */

/* One's-complement sum of big-endian 16-bit words; an odd tail byte is
 * padded with zero. 64 bits: no carry is lost for any IPv6 payload. */
static uint64_t sum16(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* The checksum of the ICMPv6 message m[0..len) from src to dst, host
 * order. Over a message whose checksum field is right, it is 0. */
static uint16_t icmp6_csum(const struct in6_addr *src, const struct in6_addr *dst,
			   const uint8_t *m, size_t len)
{
	uint64_t sum = 0;

	sum = sum16(sum, src->s6_addr, 16);
	sum = sum16(sum, dst->s6_addr, 16);
	sum += (uint32_t)len >> 16;
	sum += (uint32_t)len & 0xffff;
	sum += IP_PROTO_ICMPV6;
	sum = sum16(sum, m, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* ------------------------------------------------------------------ */
/* Parsing.                                                            */

static bool addr_is_multicast(const struct in6_addr *a)
{
	return a->s6_addr[0] == 0xff;
}

void nd_solicited_node(const struct in6_addr *a, struct in6_addr *ret_addr)
{
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	struct in6_addr s;

	memcpy(s.s6_addr, prefix, sizeof(prefix));
	memcpy(s.s6_addr + 13, a->s6_addr + 13, 3);
	*ret_addr = s;
}

/* Take the first link-layer address option of the kind the message uses
 * (SLLA in an NS, TLLA in an NA); it must be exactly 8 bytes. Others,
 * repeats included, are ignored, as Linux does. false: malformed. */
static bool take_lla(struct nd_view *v, const uint8_t *o, size_t olen)
{
	bool ns = v->type == ND_TYPE_NS;
	bool *has = ns ? &v->has_slla : &v->has_tlla;

	if (o[0] != (ns ? ND_OPT_SLLA : ND_OPT_TLLA) || *has)
		return true;
	if (olen != ND_OPT_LLA_LEN)
		return false;
	memcpy(ns ? v->slla.b : v->tlla.b, o + 2, 6);
	*has = true;
	return true;
}

/* Walk the options o[0..n): each needs its 2-byte header, a non-zero
 * length (RFC 4861 4.6: "nodes MUST silently discard an ND packet that
 * contains an option with length zero") and to fit in what is left. */
static bool walk_options(struct nd_view *v, const uint8_t *o, size_t n)
{
	while (n > 0) {
		size_t olen;

		if (n < 2)
			return false;
		olen = (size_t)o[1] * 8;
		if (olen == 0 || olen > n || !take_lla(v, o, olen))
			return false;
		o += olen;
		n -= olen;
	}
	return true;
}

/* RFC 4861 7.1.1 and 7.1.2, the rules that need the whole message. */
static bool valid_message(const struct nd_view *v)
{
	struct in6_addr sn;

	/* A target of :: names nobody; answering it would make an NA from ::. */
	if (addr_is_multicast(&v->target) || addr_is_multicast(&v->src) ||
	    IN6_IS_ADDR_UNSPECIFIED(&v->target))
		return false;
	if (v->type == ND_TYPE_NA)
		return !IN6_IS_ADDR_UNSPECIFIED(&v->src) &&
		       !(addr_is_multicast(&v->dst) && v->solicited);
	if (!IN6_IS_ADDR_UNSPECIFIED(&v->src))
		return true;
	/* DAD: to the target's solicited-node address, no SLLA. */
	nd_solicited_node(&v->target, &sn);
	return memcmp(&sn, &v->dst, sizeof(sn)) == 0 && !v->has_slla;
}

enum vtep_drop nd_parse(const uint8_t *p, size_t len, struct nd_view *ret_view)
{
	struct eth_ipv6_view ip;
	struct nd_view v;
	const uint8_t *m;

	if (eth_ipv6_parse(p, len, &ip) != VTEP_DROP_NONE)
		return VTEP_DROP_MALFORMED;
	if (ip.next != IP_PROTO_ICMPV6 || ip.hop_limit != ND_HOP_LIMIT || ip.l4_len < ND_HLEN)
		return VTEP_DROP_MALFORMED;
	m = p + ip.l4_off;
	if ((m[0] != ND_TYPE_NS && m[0] != ND_TYPE_NA) || m[1] != 0)
		return VTEP_DROP_MALFORMED;
	if (icmp6_csum(&ip.src, &ip.dst, m, ip.l4_len) != 0)
		return VTEP_DROP_MALFORMED;
	memset(&v, 0, sizeof(v));
	v.type = m[0];
	if (v.type == ND_TYPE_NA) {
		v.router = (m[4] & ND_NA_FLAG_ROUTER) != 0;
		v.solicited = (m[4] & ND_NA_FLAG_SOLICITED) != 0;
		v.override = (m[4] & ND_NA_FLAG_OVERRIDE) != 0;
	}
	v.src = ip.src;
	v.dst = ip.dst;
	memcpy(&v.target, m + 8, 16);
	if (!walk_options(&v, m + ND_HLEN, ip.l4_len - ND_HLEN) || !valid_message(&v))
		return VTEP_DROP_MALFORMED;
	*ret_view = v;
	return VTEP_DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* Building.                                                           */

size_t nd_build_na(uint8_t *buf, size_t size, const struct nd_view *ns,
		   const struct vtep_mac *owner, bool router)
{
	const size_t icmp_len = ND_HLEN + ND_OPT_LLA_LEN;
	uint8_t *ip6 = buf + ETH_HLEN;
	uint8_t *m = ip6 + IPV6_HLEN;

	if (size < ND_NA_LEN || ns->type != ND_TYPE_NS || !ns->has_slla ||
	    !vtep_mac_is_valid_unicast(&ns->slla) || IN6_IS_ADDR_UNSPECIFIED(&ns->src) ||
	    addr_is_multicast(&ns->src))
		return 0;
	memset(buf, 0, ND_NA_LEN);
	eth_build(buf, &ns->slla, owner, ETH_TYPE_IPV6);
	ip6[0] = 0x60;                  /* version 6, traffic class 0, flow label 0 */
	vtep_wr16(ip6 + 4, (uint16_t)icmp_len);
	ip6[6] = IP_PROTO_ICMPV6;
	ip6[7] = ND_HOP_LIMIT;
	memcpy(ip6 + 8, &ns->target, 16);
	memcpy(ip6 + 24, &ns->src, 16);
	m[0] = ND_TYPE_NA;
	m[4] = ND_NA_FLAG_SOLICITED | ND_NA_FLAG_OVERRIDE | (router ? ND_NA_FLAG_ROUTER : 0);
	memcpy(m + 8, &ns->target, 16);
	m[ND_HLEN] = ND_OPT_TLLA;
	m[ND_HLEN + 1] = ND_OPT_LLA_LEN / 8;
	memcpy(m + ND_HLEN + 2, owner->b, 6);
	vtep_wr16(m + 2, icmp6_csum(&ns->target, &ns->src, m, icmp_len));
	return ND_NA_LEN;
}
