/* SPDX-License-Identifier: MIT */
/*
 * fuzz_nd_arp - the ARP and ND parsers and reply builders on their own:
 * eth_parse, arp_parse, nd_parse on the frame's L3 and on the raw input,
 * the gratuitous/probe predicates, arp_build round trip, arp_build_reply
 * and nd_build_na into a buffer whose size the input picks (the built
 * reply must parse back as the answer), nd_solicited_node, and arpc_snoop
 * of what was parsed into a small cache.
 *
 * Input: [buffer size byte][flags byte][frame ...]; flags bit 0 is the
 * router flag for nd_build_na, bit 1 fixes the ICMPv6 checksum (of the raw
 * bytes as L3, and of the frame's L3) so mutated NS/NA reach the option
 * rules. The same bytes after the first two are also handed to arp_parse
 * and nd_parse as raw L3. Each view gets its own exact-size heap copy.
 * The frame also goes to icmp_too_big, with a path the buffer size byte
 * picks (68 to 1600 bytes of frame): an answer must be no longer than
 * ICMP_TOO_BIG_MAX, parse back as IPv4 or IPv6 from the frame's
 * destination to its source, carry a valid ICMP checksum and announce an
 * MTU below the packet's length. And to frag_ipv4 with the same path:
 * every fragment must fit it, lie within the frame, carry a valid header
 * checksum, no DF, consecutive offsets and MF on all but the last, and
 * the payloads must add up to the packet's.
 */
#include "../../proto/arp.h"
#include "../../proto/arpc.h"
#include "../../proto/eth.h"
#include "../../proto/frag.h"
#include "../../proto/gso.h"
#include "../../proto/icmp.h"
#include "../../proto/nd.h"
#include "fuzz.h"

#define NOW 5000
#define BUF_MAX 128               /* as FWD_REPLY_MAX: the daemon's reply room */

static void do_arp(struct arpc *c, const uint8_t *p, size_t n, size_t bufsize)
{
	uint8_t buf[BUF_MAX];
	uint8_t raw[ARP_HLEN];
	struct arp_view a;
	struct arp_view b;
	struct eth_view eth;
	struct vtep_mac owner = fz_mac(0x77);
	struct vtep_addr ip;
	size_t r;

	if (arp_parse(p, n, &a) != VTEP_DROP_NONE)
		return;
	CHECK(n >= ARP_HLEN);
	(void)arp_is_gratuitous(&a);
	if (arp_is_probe(&a))
		CHECK(a.spa == 0);
	/* arp_build then arp_parse is the identity on the view. */
	arp_build(raw, &a);
	CHECK(arp_parse(raw, sizeof(raw), &b) == VTEP_DROP_NONE);
	CHECK(a.op == b.op && a.spa == b.spa && a.tpa == b.tpa);
	CHECK(vtep_mac_eq(&a.sha, &b.sha) && vtep_mac_eq(&a.tha, &b.tha));

	memset(buf, 0xa5, sizeof(buf));
	r = arp_build_reply(buf, bufsize, &a, &owner);
	if (bufsize < ARP_REPLY_LEN) {
		CHECK(r == 0);
		CHECK(buf[0] == 0xa5);
	} else {
		CHECK(r == ARP_REPLY_LEN);
		CHECK(eth_parse(buf, r, &eth) == VTEP_DROP_NONE);
		CHECK(eth.ethertype == ETH_TYPE_ARP && eth.l3_off == ETH_HLEN);
		CHECK(vtep_mac_eq(&eth.dst, &a.sha) && vtep_mac_eq(&eth.src, &owner));
		CHECK(arp_parse(buf + eth.l3_off, r - eth.l3_off, &b) == VTEP_DROP_NONE);
		CHECK(b.op == ARP_OP_REPLY && b.spa == a.tpa && b.tpa == a.spa);
		CHECK(vtep_mac_eq(&b.sha, &owner) && vtep_mac_eq(&b.tha, &a.sha));
	}
	if (bufsize < sizeof(buf))
		CHECK(buf[bufsize] == 0xa5);

	ip = vtep_addr_v4(a.spa);
	(void)arpc_snoop(c, FZ_VNI_A, &ip, &a.sha, NOW, NULL);
}

static void do_nd(struct arpc *c, const uint8_t *p, size_t n, size_t bufsize, bool router)
{
	uint8_t buf[BUF_MAX];
	struct nd_view v;
	struct nd_view na;
	struct eth_view eth;
	struct in6_addr sn;
	struct vtep_mac owner = fz_mac(0x66);
	struct vtep_addr ip;
	size_t r;

	if (nd_parse(p, n, &v) != VTEP_DROP_NONE)
		return;
	CHECK(v.type == ND_TYPE_NS || v.type == ND_TYPE_NA);
	CHECK(n >= IPV6_HLEN + ND_HLEN);
	CHECK(v.target.s6_addr[0] != 0xff && v.src.s6_addr[0] != 0xff);
	if (v.type == ND_TYPE_NS)
		CHECK(!v.router && !v.solicited && !v.override && !v.has_tlla);
	else
		CHECK(!v.has_slla);
	nd_solicited_node(&v.target, &sn);
	CHECK(sn.s6_addr[0] == 0xff && sn.s6_addr[1] == 0x02 && sn.s6_addr[11] == 0x01 &&
	      sn.s6_addr[12] == 0xff && memcmp(&sn.s6_addr[13], &v.target.s6_addr[13], 3) == 0);

	memset(buf, 0xa5, sizeof(buf));
	r = nd_build_na(buf, bufsize, &v, &owner, router);
	if (r == 0) {
		CHECK(buf[0] == 0xa5);
	} else {
		/* Only for an NS with a unicast source link-layer option from a
		 * unicast source. */
		CHECK(r == ND_NA_LEN && bufsize >= ND_NA_LEN);
		CHECK(v.type == ND_TYPE_NS && v.has_slla && vtep_mac_is_valid_unicast(&v.slla));
		CHECK(!IN6_IS_ADDR_UNSPECIFIED(&v.src));
		CHECK(eth_parse(buf, r, &eth) == VTEP_DROP_NONE);
		CHECK(eth.ethertype == ETH_TYPE_IPV6 && eth.l3_off == ETH_HLEN);
		CHECK(vtep_mac_eq(&eth.dst, &v.slla) && vtep_mac_eq(&eth.src, &owner));
		CHECK(nd_parse(buf + eth.l3_off, r - eth.l3_off, &na) == VTEP_DROP_NONE);
		CHECK(na.type == ND_TYPE_NA && na.solicited && na.override && na.router == router);
		CHECK(na.has_tlla && vtep_mac_eq(&na.tlla, &owner));
		CHECK(memcmp(&na.target, &v.target, 16) == 0);
		CHECK(memcmp(&na.src, &v.target, 16) == 0 && memcmp(&na.dst, &v.src, 16) == 0);
	}
	if (v.type == ND_TYPE_NS && v.has_slla && vtep_mac_is_valid_unicast(&v.slla) &&
	    !IN6_IS_ADDR_UNSPECIFIED(&v.src) && bufsize >= ND_NA_LEN)
		CHECK(r == ND_NA_LEN);
	if (bufsize < sizeof(buf))
		CHECK(buf[bufsize] == 0xa5);

	memset(&ip, 0, sizeof(ip));
	ip.family = AF_INET6;
	if (v.type == ND_TYPE_NS && v.has_slla) {
		ip.v6 = v.src;
		(void)arpc_snoop(c, FZ_VNI_A, &ip, &v.slla, NOW, NULL);
	} else if (v.type == ND_TYPE_NA && v.has_tlla) {
		ip.v6 = v.target;
		(void)arpc_snoop(c, FZ_VNI_A, &ip, &v.tlla, NOW, NULL);
		(void)arpc_set_router(c, FZ_VNI_A, &ip, &v.tlla, v.router);
	}
}

/* The answer to frame[0..n) for a path of max_frame bytes, checked. */
static void do_too_big(const uint8_t *frame, size_t n, size_t max_frame)
{
	uint8_t out[ICMP_TOO_BIG_MAX];
	struct eth_view a, q;
	size_t r = icmp_too_big(frame, n, max_frame, out);
	const uint8_t *l3;
	size_t l3len;

	CHECK(r <= ICMP_TOO_BIG_MAX);
	if (!r)
		return;
	CHECK(eth_parse(frame, n, &q) == VTEP_DROP_NONE);
	CHECK(eth_parse(out, r, &a) == VTEP_DROP_NONE);
	CHECK(a.l3_off == q.l3_off && a.ethertype == q.ethertype);
	CHECK(vtep_mac_eq(&a.dst, &q.src) && vtep_mac_eq(&a.src, &q.dst));
	l3 = out + a.l3_off;
	l3len = r - a.l3_off;
	if (a.ethertype == ETH_TYPE_IPV4) {
		struct eth_ipv4_view v, o;

		CHECK(eth_ipv4_parse(l3, l3len, &v) == VTEP_DROP_NONE && v.tot_len == l3len);
		CHECK(eth_ipv4_parse(frame + q.l3_off, n - q.l3_off, &o) == VTEP_DROP_NONE);
		CHECK(o.dont_frag && v.src == o.dst && v.dst == o.src && v.proto == 1);
		CHECK(gso_csum_fold(gso_csum_add(0, l3, 20)) == 0xffff);
		CHECK(gso_csum_fold(gso_csum_add(0, l3 + 20, l3len - 20)) == 0xffff);
		CHECK(l3[20] == 3 && l3[21] == 4 && vtep_rd16(l3 + 26) < o.tot_len);
		CHECK(vtep_rd16(l3 + 26) == max_frame - q.l3_off);
	} else {
		struct eth_ipv6_view v, o;
		uint8_t tail[8] = { 0, 0, 0, 0, 0, 0, 0, 58 };
		uint64_t sum;

		CHECK(a.ethertype == ETH_TYPE_IPV6);
		CHECK(eth_ipv6_parse(l3, l3len, &v) == VTEP_DROP_NONE && v.payload_len + 40u == l3len);
		CHECK(eth_ipv6_parse(frame + q.l3_off, n - q.l3_off, &o) == VTEP_DROP_NONE);
		CHECK(!memcmp(&v.src, &o.dst, 16) && !memcmp(&v.dst, &o.src, 16) && v.next == 58);
		vtep_wr32(tail, v.payload_len);
		tail[7] = 58;
		sum = gso_csum_add(gso_csum_add(0, l3 + 8, 32), tail, sizeof(tail));
		CHECK(gso_csum_fold(gso_csum_add(sum, l3 + 40, v.payload_len)) == 0xffff);
		CHECK(l3[40] == 2 && vtep_rd32(l3 + 44) >= ICMP_MIN_MTU_V6);
		CHECK(vtep_rd32(l3 + 44) < 40u + o.payload_len);
	}
}

/* The fragments of frame[0..n) for a path of max_frame bytes, checked. */
static void do_frag(const uint8_t *frame, size_t n, size_t max_frame)
{
	static struct frag_piece p[FRAG_MAX];
	struct eth_ipv4_view o;
	struct eth_view q;
	size_t r = frag_ipv4(frame, n, max_frame, p, FRAG_MAX), sum = 0;

	CHECK(r <= FRAG_MAX);
	if (!r)
		return;
	CHECK(r >= 2);
	CHECK(eth_parse(frame, n, &q) == VTEP_DROP_NONE && q.ethertype == ETH_TYPE_IPV4);
	CHECK(eth_ipv4_parse(frame + q.l3_off, n - q.l3_off, &o) == VTEP_DROP_NONE);
	CHECK(!o.dont_frag && q.l3_off + o.tot_len > max_frame);
	for (size_t i = 0; i < r; i++) {
		struct eth_ipv4_view v;
		const uint8_t *h = p[i].hdr + q.l3_off;
		size_t hl = p[i].hlen - q.l3_off;

		CHECK(p[i].hlen <= FRAG_HDR_MAX && p[i].hlen + p[i].len <= max_frame);
		CHECK(p[i].off + p[i].len <= q.l3_off + o.tot_len && p[i].len > 0);
		CHECK(!memcmp(p[i].hdr, frame, q.l3_off));
		CHECK(eth_ipv4_parse(h, hl + p[i].len, &v) == VTEP_DROP_NONE);
		CHECK(v.l4_off == hl && v.tot_len == hl + p[i].len && !v.dont_frag);
		CHECK(gso_csum_fold(gso_csum_add(0, h, hl)) == 0xffff);
		CHECK(v.frag_off == o.frag_off + sum / 8);
		CHECK(v.more_frags == (i + 1 < r || o.more_frags));
		CHECK(i + 1 == r || p[i].len % 8 == 0);
		sum += p[i].len;
	}
	CHECK(sum == o.l4_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	size_t bufsize = fz_u8(&in) % (BUF_MAX + 1);
	uint8_t flags = fz_u8(&in);
	bool router = flags & 1;
	size_t n = fz_left(&in);
	const uint8_t *input = fz_take(&in, n, &n);
	struct eth_view eth;
	struct arpc *c;
	uint8_t *raw;
	uint8_t *l3;

	c = arpc_new(2, 1);
	raw = fz_dup(input, n);
	if (!c || !raw)
		goto out;
	/* Raw L3, whatever the bytes are. */
	if (flags & 2)
		fz_fix_icmp6(raw, n);
	do_arp(c, raw, n, bufsize);
	do_nd(c, raw, n, bufsize, router);
	/* The same bytes as a frame, its L3 in its own block. */
	if (eth_parse(input, n, &eth) == VTEP_DROP_NONE) {
		CHECK(eth.l3_off <= n && eth.n_vlan <= ETH_MAX_VLAN_TAGS);
		CHECK(eth.l3_off == ETH_HLEN + ETH_VLAN_HLEN * (size_t)eth.n_vlan);
		l3 = fz_dup(input + eth.l3_off, n - eth.l3_off);
		if (!l3)
			goto out;
		if (flags & 2)
			fz_fix_icmp6(l3, n - eth.l3_off);
		if (eth.ethertype == ETH_TYPE_ARP)
			do_arp(c, l3, n - eth.l3_off, bufsize);
		else if (eth.ethertype == ETH_TYPE_IPV6)
			do_nd(c, l3, n - eth.l3_off, bufsize, router);
		free(l3);
		do_too_big(raw, n, 68 + bufsize * 12);
		do_frag(raw, n, 68 + bufsize * 12);
	}
	CHECK(arpc_count(c, ARPC_SNOOPED) <= 2);
out:
	free(raw);
	arpc_free(c);
	return 0;
}
