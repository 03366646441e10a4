/* SPDX-License-Identifier: MIT */
/*
 * proto/eth - Ethernet/VLAN, IPv4 and IPv6 header parsing and the inner
 * flow hash. Fields are read with memcpy and converted from big endian:
 * frames from io/ carry no alignment guarantee.
 */
#include "eth.h"

static bool is_vlan_tpid(uint16_t type)
{
	return type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ;
}

enum vtep_drop eth_parse(const uint8_t *p, size_t len, struct eth_view *ret_view)
{
	struct eth_view v;
	size_t off = ETH_HLEN;

	if (!p || len < ETH_HLEN)
		return VTEP_DROP_MALFORMED;
	memset(&v, 0, sizeof(v));
	memcpy(v.dst.b, p, 6);
	memcpy(v.src.b, p + 6, 6);
	v.ethertype = vtep_rd16(p + 12);
	while (is_vlan_tpid(v.ethertype) && v.n_vlan < ETH_MAX_VLAN_TAGS) {
		/* TPID already read; the tag is TCI (2) + next ethertype (2). */
		if (len - off < ETH_VLAN_HLEN)
			return VTEP_DROP_MALFORMED;
		if (v.n_vlan == 0)
			v.vlan = vtep_rd16(p + off) & 0x0fff;
		v.ethertype = vtep_rd16(p + off + 2);
		off += ETH_VLAN_HLEN;
		v.n_vlan++;
	}
	v.l3_off = off;
	*ret_view = v;
	return VTEP_DROP_NONE;
}

bool eth_names_vlan(const uint8_t *p, size_t len)
{
	size_t off = ETH_ADDRS_LEN;

	for (unsigned int n = 0; off + ETH_VLAN_HLEN <= len; n++, off += ETH_VLAN_HLEN) {
		uint16_t tpid = vtep_rd16(p + off);

		if (tpid != ETH_TYPE_VLAN)
			return tpid == ETH_TYPE_QINQ;
		if ((vtep_rd16(p + off + 2) & 0x0fff) || n == ETH_MAX_VLAN_TAGS)
			return true;
	}
	return false;
}

void eth_build(uint8_t hdr[ETH_HLEN], const struct vtep_mac *dst, const struct vtep_mac *src,
	       uint16_t ethertype)
{
	uint16_t t = htobe16(ethertype);

	memcpy(hdr, dst->b, 6);
	memcpy(hdr + 6, src->b, 6);
	memcpy(hdr + 12, &t, sizeof(t));
}

enum vtep_drop eth_ipv4_parse(const uint8_t *p, size_t len, struct eth_ipv4_view *ret_view)
{
	struct eth_ipv4_view v;
	uint16_t frag;
	size_t hlen;

	if (!p || len < IPV4_HLEN_MIN || (p[0] >> 4) != 4)
		return VTEP_DROP_MALFORMED;
	memset(&v, 0, sizeof(v));
	v.ihl = p[0] & 0x0f;
	hlen = (size_t)v.ihl * 4;
	v.tot_len = vtep_rd16(p + 2);
	if (v.ihl < 5 || hlen > len || v.tot_len < hlen || v.tot_len > len)
		return VTEP_DROP_MALFORMED;
	v.tos = p[1];
	frag = vtep_rd16(p + 6);
	v.dont_frag = (frag & 0x4000) != 0;
	v.more_frags = (frag & 0x2000) != 0;
	v.frag_off = frag & 0x1fff;
	v.ttl = p[8];
	v.proto = p[9];
	memcpy(&v.src, p + 12, 4);
	memcpy(&v.dst, p + 16, 4);
	v.l4_off = hlen;
	v.l4_len = v.tot_len - hlen;
	*ret_view = v;
	return VTEP_DROP_NONE;
}

enum vtep_drop eth_ipv6_parse(const uint8_t *p, size_t len, struct eth_ipv6_view *ret_view)
{
	struct eth_ipv6_view v;

	if (!p || len < IPV6_HLEN || (p[0] >> 4) != 6)
		return VTEP_DROP_MALFORMED;
	memset(&v, 0, sizeof(v));
	v.flow_label = vtep_rd32(p) & 0x000fffff;
	v.payload_len = vtep_rd16(p + 4);
	if (v.payload_len == 0 || v.payload_len > len - IPV6_HLEN)
		return VTEP_DROP_MALFORMED;
	v.next = p[6];
	v.hop_limit = p[7];
	memcpy(&v.src, p + 8, 16);
	memcpy(&v.dst, p + 24, 16);
	v.l4_off = IPV6_HLEN;
	v.l4_len = v.payload_len;
	*ret_view = v;
	return VTEP_DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* The flow hash: a word-at-a-time multiply/rotate mix with a final      */
/* avalanche, so both low and high bits depend on every input bit (the  */
/* source-port mapping uses the high bits).                             */

static uint32_t rotl32(uint32_t x, unsigned int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static uint32_t mix_bytes(uint32_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n; i += 4)
		h = mix(h, vtep_rd32(p + i));
	if (i < n) {
		uint32_t k = 0;

		for (; i < n; i++)
			k = k << 8 | p[i];
		h = mix(h, k);
	}
	return h;
}

static uint32_t avalanche(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static bool has_ports(uint8_t proto)
{
	return proto == IP_PROTO_TCP || proto == IP_PROTO_UDP || proto == IP_PROTO_SCTP ||
	       proto == IP_PROTO_UDPLITE;
}

/* Source and destination port: the first 4 bytes of TCP/UDP/SCTP/UDP-Lite. */
static uint32_t mix_ports(uint32_t h, uint8_t proto, const uint8_t *l4, size_t l4_len)
{
	if (!has_ports(proto) || l4_len < 4)
		return h;
	return mix(h, vtep_rd32(l4));
}

static uint32_t hash_ipv4(uint32_t h, const uint8_t *p, size_t len)
{
	struct eth_ipv4_view ip;

	if (eth_ipv4_parse(p, len, &ip) != VTEP_DROP_NONE)
		return h;
	h = mix(h, ip.src);
	h = mix(h, ip.dst);
	h = mix(h, ip.proto);
	if (!eth_ipv4_is_fragment(&ip))
		h = mix_ports(h, ip.proto, p + ip.l4_off, ip.l4_len);
	return h;
}

static uint32_t hash_ipv6(uint32_t h, const uint8_t *p, size_t len)
{
	struct eth_ipv6_view ip;

	if (eth_ipv6_parse(p, len, &ip) != VTEP_DROP_NONE)
		return h;
	h = mix_bytes(h, ip.src.s6_addr, 16);
	h = mix_bytes(h, ip.dst.s6_addr, 16);
	h = mix(h, ip.next);
	return mix_ports(h, ip.next, p + ip.l4_off, ip.l4_len);
}

uint32_t eth_flow_hash(const uint8_t *frame, size_t len)
{
	struct eth_view eth;
	uint32_t h = 0x5f3759dfu;

	if (eth_parse(frame, len, &eth) != VTEP_DROP_NONE)
		return avalanche(mix_bytes(h, frame, frame ? VTEP_MIN(len, (size_t)ETH_HLEN) : 0));
	h = mix_bytes(h, frame, 12);
	h = mix(h, eth.ethertype);
	if (eth.ethertype == ETH_TYPE_IPV4)
		h = hash_ipv4(h, frame + eth.l3_off, len - eth.l3_off);
	else if (eth.ethertype == ETH_TYPE_IPV6)
		h = hash_ipv6(h, frame + eth.l3_off, len - eth.l3_off);
	return avalanche(h);
}
