/* SPDX-License-Identifier: MIT */
/*
 * proto/gso.c - software TSO/USO and TCP coalescing for the tap's
 * virtio-net offloads. See gso.h.
 */
#include "gso.h"
#include "eth.h"

enum {
	TCP_HLEN_MIN = 20,
	UDP_HLEN = 8,
	TCP_OFF_SEQ = 4,
	TCP_OFF_ACK = 8,
	TCP_OFF_FLAGS = 13,
	TCP_OFF_WINDOW = 14,
	TCP_OFF_CSUM = 16,
	UDP_OFF_LEN = 4,
	UDP_OFF_CSUM = 6,
	IP4_OFF_TOT_LEN = 2,
	IP4_OFF_ID = 4,
	IP4_OFF_FRAG = 6,
	IP4_OFF_CSUM = 10,
	IP4_OFF_SRC = 12,
	IP6_OFF_PLEN = 4,
	IP6_OFF_SRC = 8,
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80
#define IP4_FLAG_DF_HI 0x40             /* DF, in the flags/fragment field's first byte */

/* A sum is stored as is: it is already in network order as bytes. */
static void wr_sum(uint8_t *p, uint16_t sum)
{
	memcpy(p, &sum, sizeof(sum));
}

void gso_vnet_parse(const uint8_t p[GSO_VNET_HLEN], struct gso_vnet *ret)
{
	ret->flags = p[0];
	ret->gso_type = p[1];
	memcpy(&ret->hdr_len, p + 2, 2);
	memcpy(&ret->gso_size, p + 4, 2);
	memcpy(&ret->csum_start, p + 6, 2);
	memcpy(&ret->csum_offset, p + 8, 2);
}

void gso_vnet_build(uint8_t p[GSO_VNET_HLEN], const struct gso_vnet *v)
{
	p[0] = v->flags;
	p[1] = v->gso_type;
	memcpy(p + 2, &v->hdr_len, 2);
	memcpy(p + 4, &v->gso_size, 2);
	memcpy(p + 6, &v->csum_start, 2);
	memcpy(p + 8, &v->csum_offset, 2);
}

void gso_vnet_shift(uint8_t p[GSO_VNET_HLEN], int delta)
{
	struct gso_vnet v;

	gso_vnet_parse(p, &v);
	if (v.flags & GSO_VNET_F_NEEDS_CSUM)
		v.csum_start = (uint16_t)(v.csum_start + delta);
	if ((v.gso_type & ~GSO_TYPE_ECN) != GSO_TYPE_NONE && v.hdr_len)
		v.hdr_len = (uint16_t)(v.hdr_len + delta);
	gso_vnet_build(p, &v);
}

/* ------------------------------------------------------------------ */
/* Checksums (RFC 1071)                                               */

/* One's complement addition of 64-bit words: the carry out of the top
 * goes back in at the bottom (2^64 = 1 modulo 0xffff, as 2^16 is). */
static inline uint64_t add_oc(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_add_overflow(a, b, &r) ? r + 1 : r;
}

uint64_t gso_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, w0, w1, w2, w3;
	uint32_t w;
	uint16_t h;

	/* Four independent chains of 64-bit words (about twice the speed of
	 * 32-bit words into 64-bit accumulators). */
	while (len >= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		s0 = add_oc(s0, w0);
		s1 = add_oc(s1, w1);
		s2 = add_oc(s2, w2);
		s3 = add_oc(s3, w3);
		p += 32;
		len -= 32;
	}
	s0 = add_oc(add_oc(s0, s1), add_oc(s2, s3));
	while (len >= 8) {
		memcpy(&w0, p, 8);
		s0 = add_oc(s0, w0);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		s0 = add_oc(s0, w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&h, p, 2);
		s0 = add_oc(s0, h);
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		s0 = add_oc(s0, h);
	}
	/* Below 2^33 back: a caller may chain many sums without overflow. */
	return sum + (s0 & 0xffffffffu) + (s0 >> 32);
}

uint16_t gso_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum (RFC 793 / RFC 8200 8.1) for an L4 length below 64 KiB. */
static uint64_t pseudo_sum(const uint8_t *l3, bool v6, uint8_t proto, size_t l4_len)
{
	uint8_t tail[4] = { 0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len };
	uint64_t sum;

	if (v6)
		sum = gso_csum_add(0, l3 + IP6_OFF_SRC, 32);
	else
		sum = gso_csum_add(0, l3 + IP4_OFF_SRC, 8);
	return gso_csum_add(sum, tail, sizeof(tail));
}

static void ip4_csum(uint8_t *ip, size_t ihl_bytes)
{
	vtep_wr16(ip + IP4_OFF_CSUM, 0);
	wr_sum(ip + IP4_OFF_CSUM, (uint16_t)~gso_csum_fold(gso_csum_add(0, ip, ihl_bytes)));
}

enum vtep_drop gso_finish_csum(uint8_t *frame, size_t len, const struct gso_vnet *vh)
{
	size_t start = vh->csum_start, field = start + vh->csum_offset;
	uint16_t sum;

	if (start >= len || field + 2 > len || (vh->csum_offset & 1))
		return VTEP_DROP_MALFORMED;
	sum = (uint16_t)~gso_csum_fold(gso_csum_add(0, frame + start, len - start));
	wr_sum(frame + field, sum ? sum : 0xffff);
	return VTEP_DROP_NONE;
}

/* ------------------------------------------------------------------ */
/* Segmentation                                                       */

enum vtep_drop gso_parse(const uint8_t *frame, size_t len, const struct gso_vnet *vh,
			 struct gso_frame *ret)
{
	struct gso_frame g;
	struct eth_view eth;
	uint8_t proto;
	size_t l4_len, l4h;

	memset(&g, 0, sizeof(g));
	g.type = vh->gso_type;
	if (vh->gso_size == 0 || eth_parse(frame, len, &eth) != VTEP_DROP_NONE)
		return VTEP_DROP_MALFORMED;
	g.l3_off = eth.l3_off;
	if (eth.ethertype == ETH_TYPE_IPV4) {
		struct eth_ipv4_view ip;

		if (eth_ipv4_parse(frame + g.l3_off, len - g.l3_off, &ip) != VTEP_DROP_NONE ||
		    eth_ipv4_is_fragment(&ip))
			return VTEP_DROP_MALFORMED;
		proto = ip.proto;
		g.l4_off = g.l3_off + ip.l4_off;
		l4_len = ip.l4_len;
	} else if (eth.ethertype == ETH_TYPE_IPV6) {
		struct eth_ipv6_view ip6;

		if (eth_ipv6_parse(frame + g.l3_off, len - g.l3_off, &ip6) != VTEP_DROP_NONE)
			return VTEP_DROP_MALFORMED;
		g.v6 = true;
		proto = ip6.next;
		g.l4_off = g.l3_off + IPV6_HLEN;
		l4_len = ip6.l4_len;
	} else {
		return VTEP_DROP_MALFORMED;
	}
	switch (g.type) {
	case GSO_TYPE_TCPV4:
	case GSO_TYPE_TCPV6:
		if (proto != IP_PROTO_TCP || g.v6 != (g.type == GSO_TYPE_TCPV6) ||
		    l4_len < TCP_HLEN_MIN)
			return VTEP_DROP_MALFORMED;
		l4h = (size_t)(frame[g.l4_off + 12] >> 4) * 4;
		if (l4h < TCP_HLEN_MIN)
			return VTEP_DROP_MALFORMED;
		break;
	case GSO_TYPE_UDP_L4:
		if (proto != IP_PROTO_UDP)
			return VTEP_DROP_MALFORMED;
		l4h = UDP_HLEN;
		break;
	default:
		return VTEP_DROP_MALFORMED;
	}
	if (l4_len <= l4h || g.l4_off + l4h > GSO_HLEN_MAX)
		return VTEP_DROP_MALFORMED;
	g.hlen = g.l4_off + l4h;
	g.payload = l4_len - l4h;
	g.mss = vh->gso_size;
	g.nseg = (unsigned int)((g.payload + g.mss - 1) / g.mss);
	if (g.nseg > GSO_MAX_SEGS)
		return VTEP_DROP_MALFORMED;
	*ret = g;
	return VTEP_DROP_NONE;
}

size_t gso_segment(const uint8_t *frame, const struct gso_frame *g, unsigned int i,
		   uint8_t *out)
{
	size_t off = (size_t)i * g->mss;
	size_t seg = VTEP_MIN((size_t)g->mss, g->payload - off);
	size_t l4_len = g->hlen - g->l4_off + seg;
	uint8_t *ip = out + g->l3_off, *l4 = out + g->l4_off;
	bool last = i + 1 == g->nseg;
	uint8_t proto;
	uint64_t sum;

	memcpy(out, frame, g->hlen);
	if (g->v6) {
		vtep_wr16(ip + IP6_OFF_PLEN, (uint16_t)l4_len);
	} else {
		vtep_wr16(ip + IP4_OFF_TOT_LEN, (uint16_t)(g->l4_off - g->l3_off + l4_len));
		vtep_wr16(ip + IP4_OFF_ID, (uint16_t)(vtep_rd16(ip + IP4_OFF_ID) + i));
		ip4_csum(ip, g->l4_off - g->l3_off);
	}
	if (g->type == GSO_TYPE_UDP_L4) {
		proto = IP_PROTO_UDP;
		vtep_wr16(l4 + UDP_OFF_LEN, (uint16_t)l4_len);
		vtep_wr16(l4 + UDP_OFF_CSUM, 0);
	} else {
		proto = IP_PROTO_TCP;
		vtep_wr32(l4 + TCP_OFF_SEQ, vtep_rd32(l4 + TCP_OFF_SEQ) + (uint32_t)off);
		if (!last)
			l4[TCP_OFF_FLAGS] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			l4[TCP_OFF_FLAGS] &= (uint8_t)~TCP_CWR;
		vtep_wr16(l4 + TCP_OFF_CSUM, 0);
	}
	sum = pseudo_sum(ip, g->v6, proto, l4_len);
	sum = gso_csum_add(sum, l4, g->hlen - g->l4_off);
	sum = gso_csum_add(sum, frame + g->hlen + off, seg);
	{
		uint16_t c = (uint16_t)~gso_csum_fold(sum);

		if (c == 0 && proto == IP_PROTO_UDP)
			c = 0xffff;
		wr_sum(l4 + (proto == IP_PROTO_UDP ? UDP_OFF_CSUM : TCP_OFF_CSUM), c);
	}
	return seg;
}

/* ------------------------------------------------------------------ */
/* Coalescing                                                         */

/* Where the L4 header of an Ethernet frame is: IPv4 that is not a
 * fragment, or IPv6 (its next header taken as the L4 protocol). */
struct l4_loc {
	bool v6;
	uint8_t proto;
	size_t off;                     /* from the IP header */
	size_t len;
};

static bool l4_locate(const uint8_t *frame, size_t len, struct l4_loc *ret)
{
	if (len < ETH_HLEN)
		return false;
	if (vtep_rd16(frame + 12) == ETH_TYPE_IPV4) {
		struct eth_ipv4_view ip;

		if (eth_ipv4_parse(frame + ETH_HLEN, len - ETH_HLEN, &ip) != VTEP_DROP_NONE ||
		    eth_ipv4_is_fragment(&ip))
			return false;
		*ret = (struct l4_loc){ false, ip.proto, ip.l4_off, ip.l4_len };
		return true;
	}
	if (vtep_rd16(frame + 12) == ETH_TYPE_IPV6) {
		struct eth_ipv6_view ip6;

		if (eth_ipv6_parse(frame + ETH_HLEN, len - ETH_HLEN, &ip6) != VTEP_DROP_NONE)
			return false;
		*ret = (struct l4_loc){ true, ip6.next, ip6.l4_off, ip6.l4_len };
		return true;
	}
	return false;
}

enum vtep_drop gso_tcp_parse(const uint8_t *frame, size_t len, bool check_csum,
			     struct gso_tcp_view *ret)
{
	struct gso_tcp_view v;
	struct l4_loc l4;
	size_t l4_len, thl;

	memset(&v, 0, sizeof(v));
	if (len < ETH_HLEN + IPV4_HLEN_MIN + TCP_HLEN_MIN || !l4_locate(frame, len, &l4) ||
	    l4.proto != IP_PROTO_TCP || (!l4.v6 && l4.off != IPV4_HLEN_MIN))
		return VTEP_DROP_MALFORMED;
	v.v6 = l4.v6;
	l4_len = l4.len;
	v.l4_off = ETH_HLEN + l4.off;
	if (l4_len < TCP_HLEN_MIN)
		return VTEP_DROP_MALFORMED;
	thl = (size_t)(frame[v.l4_off + 12] >> 4) * 4;
	if (thl < TCP_HLEN_MIN || thl >= l4_len)
		return VTEP_DROP_MALFORMED;
	/* Bytes past the IP packet (Ethernet padding of a short segment)
	 * would land in the merged payload: such a frame goes alone. */
	if (v.l4_off + l4_len != len)
		return VTEP_DROP_MALFORMED;
	/* As Linux GRO: an IPv4 header with a bad checksum is not merged
	 * (the rebuilt header would make it good), and the ID is kept. */
	if (!v.v6) {
		const uint8_t *ip = frame + ETH_HLEN;

		if (gso_csum_fold(gso_csum_add(0, ip, IPV4_HLEN_MIN)) != 0xffff)
			return VTEP_DROP_MALFORMED;
		v.ip_id = vtep_rd16(ip + IP4_OFF_ID);
		v.df = ip[IP4_OFF_FRAG] & IP4_FLAG_DF_HI;
	}
	v.hlen = v.l4_off + thl;
	v.payload = l4_len - thl;
	v.seq = vtep_rd32(frame + v.l4_off + TCP_OFF_SEQ);
	v.flags = frame[v.l4_off + TCP_OFF_FLAGS];
	if ((v.flags & ~TCP_PSH) != TCP_ACK)
		return VTEP_DROP_MALFORMED;
	/* The tap write will say NEEDS_CSUM, so the kernel checks nothing: a
	 * peer with a zero outer UDP checksum must not get corruption through. */
	if (check_csum && gso_l4_csum_check(frame, len) != GSO_CSUM_OK)
		return VTEP_DROP_MALFORMED;
	*ret = v;
	return VTEP_DROP_NONE;
}

enum gso_csum_verdict gso_l4_csum_check(const uint8_t *frame, size_t len)
{
	const uint8_t *l3 = frame + ETH_HLEN;
	struct l4_loc l4;

	if (!l4_locate(frame, len, &l4))
		return GSO_CSUM_NONE;
	/* A zero UDP checksum is "none" (IPv4; and IPv6 tunnels, RFC 6935). */
	if (l4.proto == IP_PROTO_TCP ? l4.len < TCP_HLEN_MIN :
	    l4.proto != IP_PROTO_UDP || l4.len < UDP_HLEN ||
	    vtep_rd16(l3 + l4.off + UDP_OFF_CSUM) == 0)
		return GSO_CSUM_NONE;
	return gso_csum_fold(gso_csum_add(pseudo_sum(l3, l4.v6, l4.proto, l4.len), l3 + l4.off,
					  l4.len)) == 0xffff ? GSO_CSUM_OK : GSO_CSUM_BAD;
}

void gso_coalesce_start(struct gso_coalesce *c, const uint8_t *frame,
			const struct gso_tcp_view *v)
{
	memset(c, 0, sizeof(*c));
	c->first = frame;
	c->h = *v;
	c->next_seq = v->seq + (uint32_t)v->payload;
	c->mss = (uint16_t)v->payload;
	memcpy(&c->window, frame + v->l4_off + TCP_OFF_WINDOW, 2);
	c->total = v->payload;
	c->n = 1;
	c->psh = v->flags & TCP_PSH;
	c->closed = c->psh;
}

/* Same addresses, ports, IP fields that must match, ack and options. */
static bool same_flow(const struct gso_coalesce *c, const uint8_t *b)
{
	const uint8_t *a = c->first;
	size_t l4 = c->h.l4_off;

	if (memcmp(a, b, ETH_HLEN) != 0)
		return false;
	if (c->h.v6) {
		/* version, traffic class, flow label; next header, hop limit, addresses */
		if (memcmp(a + ETH_HLEN, b + ETH_HLEN, 4) != 0 ||
		    memcmp(a + ETH_HLEN + 6, b + ETH_HLEN + 6, 34) != 0)
			return false;
	} else {
		/* version/ihl, tos; flags/fragment, ttl, proto; addresses */
		if (memcmp(a + ETH_HLEN, b + ETH_HLEN, 2) != 0 ||
		    memcmp(a + ETH_HLEN + 6, b + ETH_HLEN + 6, 4) != 0 ||
		    memcmp(a + ETH_HLEN + 12, b + ETH_HLEN + 12, 8) != 0)
			return false;
	}
	/* ports; ack; data offset; options */
	return memcmp(a + l4, b + l4, 4) == 0 &&
	       memcmp(a + l4 + TCP_OFF_ACK, b + l4 + TCP_OFF_ACK, 5) == 0 &&
	       memcmp(a + l4 + TCP_HLEN_MIN, b + l4 + TCP_HLEN_MIN, c->h.hlen - l4 - TCP_HLEN_MIN) == 0;
}

bool gso_coalesce_add(struct gso_coalesce *c, const uint8_t *frame,
		      const struct gso_tcp_view *v)
{
	size_t limit = 65535 - (c->h.hlen - ETH_HLEN);

	if (c->closed || c->n >= GSO_COALESCE_MAX || v->v6 != c->h.v6 || v->hlen != c->h.hlen ||
	    v->payload > c->mss || v->seq != c->next_seq || c->total + v->payload > limit ||
	    !same_flow(c, frame))
		return false;
	/* Without DF the IDs matter (reassembly): they must go up by one, as
	 * the guest's segmentation of the merged frame will number them.
	 * With DF (same in every segment, same_flow) they are not looked at. */
	if (!v->v6 && !v->df && v->ip_id != (uint16_t)(c->h.ip_id + c->n))
		return false;
	c->next_seq += (uint32_t)v->payload;
	c->total += v->payload;
	c->n++;
	memcpy(&c->window, frame + v->l4_off + TCP_OFF_WINDOW, 2);
	c->psh = v->flags & TCP_PSH;
	c->closed = c->psh || v->payload < c->mss;
	return true;
}

size_t gso_coalesce_build(const struct gso_coalesce *c, uint8_t *out)
{
	struct gso_vnet vh = {
		.flags = GSO_VNET_F_NEEDS_CSUM,
		.gso_type = c->h.v6 ? GSO_TYPE_TCPV6 : GSO_TYPE_TCPV4,
		.hdr_len = (uint16_t)c->h.hlen,
		.gso_size = c->mss,
		.csum_start = (uint16_t)c->h.l4_off,
		.csum_offset = TCP_OFF_CSUM,
	};
	uint8_t *f = out + GSO_VNET_HLEN, *ip = f + ETH_HLEN, *l4 = f + c->h.l4_off;
	size_t l4_len = c->h.hlen - c->h.l4_off + c->total;

	gso_vnet_build(out, &vh);
	memcpy(f, c->first, c->h.hlen);
	if (c->h.v6) {
		vtep_wr16(ip + IP6_OFF_PLEN, (uint16_t)l4_len);
	} else {
		vtep_wr16(ip + IP4_OFF_TOT_LEN, (uint16_t)(IPV4_HLEN_MIN + l4_len));
		ip4_csum(ip, IPV4_HLEN_MIN);
	}
	if (c->psh)
		l4[TCP_OFF_FLAGS] |= TCP_PSH;
	memcpy(l4 + TCP_OFF_WINDOW, &c->window, 2);
	/* NEEDS_CSUM: the field holds the pseudo-header sum, not complemented. */
	wr_sum(l4 + TCP_OFF_CSUM, gso_csum_fold(pseudo_sum(ip, c->h.v6, IP_PROTO_TCP, l4_len)));
	return GSO_VNET_HLEN + c->h.hlen;
}
