/* SPDX-License-Identifier: MIT */
/*
 * test_gso - software segmentation and coalescing (proto/gso): split TCPv4,
 * TCPv6 and UDP super-frames and check every segment's lengths, IDs,
 * sequence numbers, flags and checksums; coalesce the segments back and
 * check the GSO header; finish a partial checksum; reject malformed input;
 * move a virtio-net header's offsets past an 802.1Q tag;
 * tell right, wrong and absent TCP/UDP checksums of lone frames apart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/gso.h"

enum { PAYLOAD = 5000, MSS = 1398, BUF = 70000 };

static uint8_t frame[BUF];
static uint8_t seg[GSO_HLEN_MAX + BUF];

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reference checksum: big-endian words, the textbook way. */
static uint32_t ref_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t ref_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The L4 checksum over a contiguous segment verifies (sums to 0xffff). */
static bool l4_ok(const uint8_t *f, size_t l3, size_t l4, bool v6, uint8_t proto, size_t l4len)
{
	uint32_t s = 0;

	if (v6)
		s = ref_add(s, f + l3 + 8, 32);
	else
		s = ref_add(s, f + l3 + 12, 8);
	s += proto + (uint32_t)l4len;
	s = ref_add(s, f + l4, l4len);
	return ref_fold(s) == 0xffff;
}

/* The IPv4 header checksum of an Ethernet frame, made right. */
static void ip4_fix(uint8_t *f)
{
	uint16_t c;

	f[24] = 0;
	f[25] = 0;
	c = (uint16_t)~ref_fold(ref_add(0, f + 14, 20));
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
}

/* Ethernet + IPv4/IPv6 + TCP (with 12 bytes of options) or UDP super-frame. */
static size_t build(bool v6, bool udp, size_t payload, uint8_t tcpflags)
{
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), thl = udp ? 8 : 32, len = l4 + thl + payload;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	frame[12] = v6 ? 0x86 : 0x08;
	frame[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		frame[l3] = 0x60;
		frame[l3 + 4] = (uint8_t)((len - l4) >> 8);
		frame[l3 + 5] = (uint8_t)(len - l4);
		frame[l3 + 6] = udp ? 17 : 6;
		frame[l3 + 7] = 64;
		frame[l3 + 8 + 15] = 1;
		frame[l3 + 24 + 15] = 2;
	} else {
		frame[l3] = 0x45;
		frame[l3 + 2] = (uint8_t)((len - l3) >> 8);
		frame[l3 + 3] = (uint8_t)(len - l3);
		frame[l3 + 4] = 0xff;           /* ID 0xfffe: wraps */
		frame[l3 + 5] = 0xfe;
		frame[l3 + 6] = 0x40;
		frame[l3 + 8] = 64;
		frame[l3 + 9] = udp ? 17 : 6;
		memcpy(frame + l3 + 12, "\xc0\xa8\x64\x01\xc0\xa8\x64\x02", 8);
	}
	frame[l4] = 0x30;
	frame[l4 + 1] = 0x39;
	frame[l4 + 3] = 80;
	if (!udp) {
		memcpy(frame + l4 + 4, "\xff\xff\xff\x00", 4);   /* seq wraps */
		frame[l4 + 11] = 7;
		frame[l4 + 12] = (thl / 4) << 4;
		frame[l4 + 13] = tcpflags;
		frame[l4 + 14] = 0x10;
		memcpy(frame + l4 + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	}
	for (size_t i = 0; i < payload; i++)
		frame[l4 + thl + i] = (uint8_t)(i * 7 + 3);
	if (!v6)
		ip4_fix(frame);
	return len;
}

static void split_case(bool v6, bool udp)
{
	size_t len = build(v6, udp, PAYLOAD, 0x80 | 0x10 | 0x08 | 0x01); /* CWR ACK PSH FIN */
	struct gso_vnet vh = { .flags = GSO_VNET_F_NEEDS_CSUM, .gso_size = MSS };
	struct gso_frame g;
	size_t total = 0;

	vh.gso_type = udp ? GSO_TYPE_UDP_L4 : v6 ? GSO_TYPE_TCPV6 : GSO_TYPE_TCPV4;
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
	assert_int_equal(g.nseg, (PAYLOAD + MSS - 1) / MSS);
	assert_int_equal(g.hlen, 14 + (v6 ? 40 : 20) + (udp ? 8 : 32));
	for (unsigned int i = 0; i < g.nseg; i++) {
		size_t n = gso_segment(frame, &g, i, seg);
		const uint8_t *l4 = seg + g.l4_off;

		assert_int_equal(n, i + 1 < g.nseg ? MSS : PAYLOAD - (g.nseg - 1) * MSS);
		memcpy(seg + g.hlen, frame + g.hlen + (size_t)i * MSS, n);
		if (v6) {
			assert_int_equal(rd16(seg + 14 + 4), g.hlen - g.l4_off + n);
		} else {
			assert_int_equal(rd16(seg + 14 + 2), g.hlen - 14 + n);
			assert_int_equal(rd16(seg + 14 + 4), (uint16_t)(0xfffe + i));
			assert_int_equal(ref_fold(ref_add(0, seg + 14, 20)), 0xffff);
		}
		assert_true(l4_ok(seg, 14, g.l4_off, v6, udp ? 17 : 6, g.hlen - g.l4_off + n));
		if (udp) {
			assert_int_equal(rd16(l4 + 4), 8 + n);
		} else {
			bool last = i + 1 == g.nseg;

			assert_int_equal(rd32(l4 + 4), (uint32_t)(0xffffff00u + i * MSS));
			assert_int_equal(l4[13] & 0x01, last ? 0x01 : 0);
			assert_int_equal(l4[13] & 0x08, last ? 0x08 : 0);
			assert_int_equal(l4[13] & 0x80, i == 0 ? 0x80 : 0);
			assert_int_equal(l4[13] & 0x10, 0x10);
		}
		total += n;
	}
	assert_int_equal(total, PAYLOAD);
}

static void test_split_tcp4(void **state)
{
	(void)state;
	split_case(false, false);
}

static void test_split_tcp6(void **state)
{
	(void)state;
	split_case(true, false);
}

static void test_split_udp(void **state)
{
	(void)state;
	split_case(false, true);
	split_case(true, true);
}

static void test_parse_rejects(void **state)
{
	size_t len = build(false, false, PAYLOAD, 0x10);
	struct gso_vnet vh = { .gso_type = GSO_TYPE_TCPV4, .gso_size = MSS };
	struct gso_frame g;

	(void)state;
	vh.gso_size = 0;
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_MALFORMED);
	vh.gso_size = MSS;
	vh.gso_type = GSO_TYPE_TCPV6;           /* wrong family */
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_MALFORMED);
	vh.gso_type = GSO_TYPE_TCPV4 | GSO_TYPE_ECN;
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_MALFORMED);
	vh.gso_type = GSO_TYPE_TCPV4;
	vh.gso_size = 1;                        /* too many segments */
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_MALFORMED);
	vh.gso_size = MSS;
	assert_int_equal(gso_parse(frame, 60, &vh, &g), VTEP_DROP_MALFORMED);
	len = build(false, false, 0, 0x10);     /* no payload */
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_MALFORMED);
}

static void test_finish_csum(void **state)
{
	size_t len = build(false, true, 333, 0), l4 = 34;
	struct gso_vnet vh = { .flags = GSO_VNET_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 6 };
	uint16_t ps = ref_fold(ref_add(ref_add(0, frame + 14 + 12, 8), (const uint8_t *)"\0\x11", 2) +
			       (uint32_t)(len - l4));

	(void)state;
	frame[l4 + 4] = (uint8_t)((len - l4) >> 8);
	frame[l4 + 5] = (uint8_t)(len - l4);
	frame[l4 + 6] = (uint8_t)(ps >> 8);
	frame[l4 + 7] = (uint8_t)ps;
	assert_int_equal(gso_finish_csum(frame, len, &vh), VTEP_DROP_NONE);
	assert_true(l4_ok(frame, 14, l4, false, 17, len - l4));
	vh.csum_offset = 4000;
	assert_int_equal(gso_finish_csum(frame, len, &vh), VTEP_DROP_MALFORMED);
}

static void test_csum_odd(void **state)
{
	uint8_t b[11];

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(0xf1 + i * 13);
	for (size_t n = 0; n <= sizeof(b); n++) {
		uint16_t mine = gso_csum_fold(gso_csum_add(0, b, n));
		uint8_t out[2];

		memcpy(out, &mine, 2);          /* native sum stored as is = network order */
		assert_int_equal(rd16(out), ref_fold(ref_add(0, b, n)));
	}
}

/* Every length and alignment against the reference, on data that carries
 * a lot (all 0xff) and on mixed data; a sum chained over even-length parts
 * equals the sum of the whole. */
static void test_csum_lengths(void **state)
{
	static uint8_t b[8 + 1200];

	(void)state;
	for (int fill = 0; fill < 2; fill++) {
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = fill ? 0xff : (uint8_t)(i * 131 + (i >> 3) * 7 + 0x5a);
		for (size_t off = 0; off < 8; off++) {
			for (size_t n = 0; n <= 1200; n += (n < 80 ? 1 : 37)) {
				uint16_t mine = gso_csum_fold(gso_csum_add(0, b + off, n));
				uint64_t chained = 0;
				uint8_t out[2];

				memcpy(out, &mine, 2);
				assert_int_equal(rd16(out), ref_fold(ref_add(0, b + off, n)));
				for (size_t at = 0; at < n; at += 34)
					chained = gso_csum_add(chained, b + off + at,
							       n - at < 34 ? n - at : 34);
				assert_int_equal(gso_csum_fold(chained), mine);
			}
		}
	}
}

/* The first segment of a super-frame, as gso_segment writes it (right
 * checksums), into seg; returns its length and its L4 offset. */
static size_t first_segment(bool v6, bool udp, size_t *ret_l4)
{
	size_t len = build(v6, udp, PAYLOAD, 0x10);
	struct gso_vnet vh = { .flags = GSO_VNET_F_NEEDS_CSUM, .gso_size = MSS };
	struct gso_frame g;
	size_t n;

	vh.gso_type = udp ? GSO_TYPE_UDP_L4 : v6 ? GSO_TYPE_TCPV6 : GSO_TYPE_TCPV4;
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
	n = gso_segment(frame, &g, 0, seg);
	memcpy(seg + g.hlen, frame + g.hlen, n);
	*ret_l4 = g.l4_off;
	return g.hlen + n;
}

static void csum_check_case(bool v6, bool udp)
{
	size_t l4, len = first_segment(v6, udp, &l4);
	size_t csum = l4 + (udp ? 6 : 16);

	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_OK);
	/* One flipped bit, in the payload or in a pseudo-header address. */
	seg[len - 1] ^= 0x20;
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_BAD);
	seg[len - 1] ^= 0x20;
	seg[14 + (v6 ? 8 : 12)] ^= 1;
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_BAD);
	seg[14 + (v6 ? 8 : 12)] ^= 1;
	/* What a NIC was left to finish: the pseudo-header sum only. */
	seg[csum] ^= 0x5a;
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_BAD);
	/* A zero UDP checksum means none; a zero TCP one is just wrong. */
	seg[csum] = 0;
	seg[csum + 1] = 0;
	assert_int_equal(gso_l4_csum_check(seg, len), udp ? GSO_CSUM_NONE : GSO_CSUM_BAD);
	/* Headers cut short: nothing to tell. */
	assert_int_equal(gso_l4_csum_check(seg, l4 + 4), GSO_CSUM_NONE);
	assert_int_equal(gso_l4_csum_check(seg, 10), GSO_CSUM_NONE);
}

static void test_csum_check(void **state)
{
	size_t l4, len;

	(void)state;
	csum_check_case(false, false);
	csum_check_case(true, false);
	csum_check_case(false, true);
	csum_check_case(true, true);
	/* An IPv4 fragment: its checksum covers the whole datagram. */
	len = first_segment(false, false, &l4);
	seg[14 + 6] |= 0x20;                    /* more fragments */
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_NONE);
	/* Neither TCP nor UDP, and not IP at all. */
	len = first_segment(false, true, &l4);
	seg[14 + 9] = 1;                        /* ICMP */
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_NONE);
	seg[12] = 0x08;
	seg[13] = 0x06;                         /* ARP */
	assert_int_equal(gso_l4_csum_check(seg, len), GSO_CSUM_NONE);
}

/* Split a super-frame into real segments, coalesce them back. */
static void coalesce_case(bool v6)
{
	static uint8_t segs[8][2000];
	size_t seglen[8];
	size_t len = build(v6, false, PAYLOAD, 0x18);  /* ACK PSH */
	struct gso_vnet vh = { .gso_type = v6 ? GSO_TYPE_TCPV6 : GSO_TYPE_TCPV4, .gso_size = MSS };
	struct gso_frame g;
	struct gso_coalesce c;
	struct gso_tcp_view v;
	uint8_t out[GSO_VNET_HLEN + GSO_HLEN_MAX];
	struct gso_vnet ov;
	size_t n;

	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
	for (unsigned int i = 0; i < g.nseg; i++) {
		n = gso_segment(frame, &g, i, segs[i]);
		memcpy(segs[i] + g.hlen, frame + g.hlen + (size_t)i * MSS, n);
		seglen[i] = g.hlen + n;
	}
	assert_int_equal(gso_tcp_parse(segs[0], seglen[0], true, &v), VTEP_DROP_NONE);
	gso_coalesce_start(&c, segs[0], &v);
	/* Out of order: refused. */
	assert_int_equal(gso_tcp_parse(segs[2], seglen[2], true, &v), VTEP_DROP_NONE);
	assert_false(gso_coalesce_add(&c, segs[2], &v));
	for (unsigned int i = 1; i < g.nseg; i++) {
		assert_int_equal(gso_tcp_parse(segs[i], seglen[i], true, &v), VTEP_DROP_NONE);
		assert_true(gso_coalesce_add(&c, segs[i], &v));
	}
	assert_int_equal(c.n, g.nseg);
	assert_int_equal(c.total, PAYLOAD);
	n = gso_coalesce_build(&c, out);
	assert_int_equal(n, GSO_VNET_HLEN + g.hlen);
	gso_vnet_parse(out, &ov);
	assert_int_equal(ov.flags, GSO_VNET_F_NEEDS_CSUM);
	assert_int_equal(ov.gso_type, vh.gso_type);
	assert_int_equal(ov.gso_size, MSS);
	assert_int_equal(ov.hdr_len, g.hlen);
	assert_int_equal(ov.csum_start, g.l4_off);
	assert_int_equal(ov.csum_offset, 16);
	/* The merged headers equal the original super-frame's, except the
	 * checksum field, which now holds the pseudo-header sum. */
	assert_memory_equal(out + GSO_VNET_HLEN, frame, g.l4_off - (v6 ? 0 : 10));
	assert_int_equal(out[GSO_VNET_HLEN + g.l4_off + 13], 0x18);
	/* Completing the partial checksum over the original gives a valid segment. */
	memcpy(frame, out + GSO_VNET_HLEN, g.hlen);
	assert_int_equal(gso_finish_csum(frame, len, &ov), VTEP_DROP_NONE);
	assert_true(l4_ok(frame, 14, g.l4_off, v6, 6, len - g.l4_off));
	/* A corrupted segment is refused. */
	segs[1][g.hlen + 5] ^= 1;
	assert_int_equal(gso_tcp_parse(segs[1], seglen[1], true, &v), VTEP_DROP_MALFORMED);
}

/*
 * A tag put in (+4) or taken out (-4) behind the MAC addresses moves
 * csum_start and a GSO frame's hdr_len with it, nothing else: the tagged
 * super-frame then parses and segments as the untagged one did.
 */
/* in, built, shifted by delta and parsed again. */
static void shifted(const struct gso_vnet *in, int delta, struct gso_vnet *out)
{
	uint8_t p[GSO_VNET_HLEN];

	gso_vnet_build(p, in);
	gso_vnet_shift(p, delta);
	gso_vnet_parse(p, out);
}

static void test_vnet_shift(void **state)
{
	size_t len = build(false, false, PAYLOAD, 0x10);
	struct gso_vnet vh = { .flags = GSO_VNET_F_NEEDS_CSUM, .gso_type = GSO_TYPE_TCPV4,
			       .hdr_len = 66, .gso_size = MSS, .csum_start = 34, .csum_offset = 16 };
	struct gso_vnet out, back, plain = { .csum_start = 7, .hdr_len = 9 };
	static uint8_t tagged[BUF + 4];
	struct gso_frame g, gt;

	(void)state;
	shifted(&vh, 4, &out);
	assert_int_equal(out.csum_start, 38);
	assert_int_equal(out.hdr_len, 70);
	assert_int_equal(out.csum_offset, 16);
	assert_int_equal(out.gso_size, MSS);
	assert_int_equal(out.gso_type, GSO_TYPE_TCPV4);
	assert_int_equal(out.flags, GSO_VNET_F_NEEDS_CSUM);
	shifted(&out, -4, &back);
	assert_memory_equal(&back, &vh, sizeof(back));

	/* No checksum asked, no GSO: the offsets mean nothing and stay. */
	shifted(&plain, 4, &out);
	assert_int_equal(out.csum_start, 7);
	assert_int_equal(out.hdr_len, 9);
	/* GSO with hdr_len 0 (a hint left out) keeps it 0. */
	vh.hdr_len = 0;
	shifted(&vh, 4, &out);
	assert_int_equal(out.hdr_len, 0);
	assert_int_equal(out.csum_start, 38);
	vh.hdr_len = 66;

	/* The same super-frame with an 802.1Q tag (VID 10). */
	memcpy(tagged, frame, 12);
	memcpy(tagged + 12, "\x81\x00\x00\x0a", 4);
	memcpy(tagged + 16, frame + 12, len - 12);
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
	shifted(&vh, ETH_VLAN_HLEN, &out);
	assert_int_equal(gso_parse(tagged, len + 4, &out, &gt), VTEP_DROP_NONE);
	assert_int_equal(gt.nseg, g.nseg);
	assert_int_equal(gt.hlen, g.hlen + 4);
	for (unsigned int i = 0; i < gt.nseg; i++) {
		size_t n = gso_segment(tagged, &gt, i, seg);

		memcpy(seg + gt.hlen, tagged + gt.hlen + (size_t)i * MSS, n);
		assert_int_equal(rd16(seg + 12), 0x8100);
		assert_int_equal(ref_fold(ref_add(0, seg + 18, 20)), 0xffff);
		assert_true(l4_ok(seg, 18, gt.l4_off, false, 6, gt.hlen - gt.l4_off + n));
	}
}

static void test_coalesce4(void **state)
{
	(void)state;
	coalesce_case(false);
}

static void test_coalesce6(void **state)
{
	(void)state;
	coalesce_case(true);
}

static void test_coalesce_rules(void **state)
{
	static uint8_t a[200], b[200];
	size_t len = build(false, false, 100, 0x10);
	struct gso_tcp_view va, vb;
	struct gso_coalesce c;

	(void)state;
	memcpy(a, frame, len);
	/* A plain ACK with payload is a candidate (checksums not asked: build
	 * leaves the TCP one out); SYN, FIN, RST, URG, CWR or no payload: not. */
	assert_int_equal(gso_tcp_parse(frame, len, false, &va), VTEP_DROP_NONE);
	assert_int_equal(gso_tcp_parse(frame, len, true, &va), VTEP_DROP_MALFORMED);
	for (unsigned int i = 0; i < 5; i++) {
		static const uint8_t flags[] = { 0x12, 0x11, 0x14, 0x30, 0x90 };

		frame[34 + 13] = flags[i];
		assert_int_equal(gso_tcp_parse(frame, len, false, &va), VTEP_DROP_MALFORMED);
	}
	frame[34 + 13] = 0x18;                  /* ACK PSH: a candidate */
	assert_int_equal(gso_tcp_parse(frame, len, false, &va), VTEP_DROP_NONE);
	len = build(false, false, 0, 0x10);
	assert_int_equal(gso_tcp_parse(frame, len, false, &va), VTEP_DROP_MALFORMED);
	/* Valid checksums first: split a 2-segment frame of 100-byte segments. */
	len = build(false, false, 200, 0x10);
	{
		struct gso_vnet vh = { .gso_type = GSO_TYPE_TCPV4, .gso_size = 100 };
		struct gso_frame g;

		assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
		gso_segment(frame, &g, 0, a);
		memcpy(a + g.hlen, frame + g.hlen, 100);
		gso_segment(frame, &g, 1, b);
		memcpy(b + g.hlen, frame + g.hlen + 100, 100);
		assert_int_equal(gso_tcp_parse(a, g.hlen + 100, true, &va), VTEP_DROP_NONE);
		assert_int_equal(gso_tcp_parse(b, g.hlen + 100, true, &vb), VTEP_DROP_NONE);
		gso_coalesce_start(&c, a, &va);
		/* Different TTL: refused (checksums no longer matter here). */
		b[14 + 8]++;
		assert_false(gso_coalesce_add(&c, b, &vb));
		b[14 + 8]--;
		/* Different options: refused. */
		b[34 + 31]++;
		assert_false(gso_coalesce_add(&c, b, &vb));
		b[34 + 31]--;
		assert_true(gso_coalesce_add(&c, b, &vb));
		/* A full-sized first segment with PSH ends the run: the next,
		 * in sequence, is refused. */
		a[34 + 13] |= 0x08;
		assert_int_equal(gso_tcp_parse(a, g.hlen + 100, false, &va), VTEP_DROP_NONE);
		gso_coalesce_start(&c, a, &va);
		assert_false(gso_coalesce_add(&c, b, &vb));
		a[34 + 13] &= (uint8_t)~0x08;
		assert_int_equal(gso_tcp_parse(a, g.hlen + 100, false, &va), VTEP_DROP_NONE);
		gso_coalesce_start(&c, a, &va);
		assert_true(gso_coalesce_add(&c, b, &vb));
	}
}

/* What Linux GRO looks at in the IP layer: a frame that ends past its IP
 * packet (Ethernet padding), a bad IPv4 header checksum, IP IDs without DF. */
static void test_coalesce_ip(void **state)
{
	static uint8_t a[200], b[200];
	size_t len = build(false, false, 200, 0x10), hlen;
	struct gso_vnet vh = { .gso_type = GSO_TYPE_TCPV4, .gso_size = 100 };
	struct gso_tcp_view va, vb;
	struct gso_coalesce c;
	struct gso_frame g;

	(void)state;
	assert_int_equal(gso_parse(frame, len, &vh, &g), VTEP_DROP_NONE);
	hlen = g.hlen;
	gso_segment(frame, &g, 0, a);
	memcpy(a + hlen, frame + hlen, 100);
	gso_segment(frame, &g, 1, b);
	memcpy(b + hlen, frame + hlen + 100, 100);
	assert_int_equal(gso_tcp_parse(a, hlen + 100, true, &va), VTEP_DROP_NONE);
	/* Two bytes of padding after the IP packet: not a candidate (its
	 * checksum, over the IP length, is right). */
	assert_int_equal(gso_l4_csum_check(a, hlen + 102), GSO_CSUM_OK);
	assert_int_equal(gso_tcp_parse(a, hlen + 102, true, &va), VTEP_DROP_MALFORMED);
	assert_int_equal(gso_tcp_parse(a, hlen + 102, false, &va), VTEP_DROP_MALFORMED);
	/* A bad IPv4 header checksum: not a candidate. */
	a[24] ^= 1;
	assert_int_equal(gso_tcp_parse(a, hlen + 100, false, &va), VTEP_DROP_MALFORMED);
	a[24] ^= 1;
	/* DF set (build's): the IDs are not looked at. */
	assert_int_equal(gso_tcp_parse(a, hlen + 100, false, &va), VTEP_DROP_NONE);
	b[18] = a[18];
	b[19] = (uint8_t)(a[19] + 9);
	ip4_fix(b);
	assert_int_equal(gso_tcp_parse(b, hlen + 100, false, &vb), VTEP_DROP_NONE);
	gso_coalesce_start(&c, a, &va);
	assert_true(gso_coalesce_add(&c, b, &vb));
	/* DF clear: the next ID only (0xfffe, then 0xffff: it wraps after). */
	a[20] = 0;
	ip4_fix(a);
	b[20] = 0;
	ip4_fix(b);
	assert_int_equal(gso_tcp_parse(a, hlen + 100, false, &va), VTEP_DROP_NONE);
	assert_int_equal(gso_tcp_parse(b, hlen + 100, false, &vb), VTEP_DROP_NONE);
	gso_coalesce_start(&c, a, &va);
	assert_false(gso_coalesce_add(&c, b, &vb));
	b[18] = a[18];
	b[19] = a[19];
	ip4_fix(b);
	assert_int_equal(gso_tcp_parse(b, hlen + 100, false, &vb), VTEP_DROP_NONE);
	assert_false(gso_coalesce_add(&c, b, &vb));
	b[19] = (uint8_t)(a[19] + 1);
	ip4_fix(b);
	assert_int_equal(gso_tcp_parse(b, hlen + 100, false, &vb), VTEP_DROP_NONE);
	assert_true(gso_coalesce_add(&c, b, &vb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_tcp4),
		cmocka_unit_test(test_split_tcp6),
		cmocka_unit_test(test_split_udp),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_finish_csum),
		cmocka_unit_test(test_csum_odd),
		cmocka_unit_test(test_csum_lengths),
		cmocka_unit_test(test_vnet_shift),
		cmocka_unit_test(test_coalesce4),
		cmocka_unit_test(test_coalesce6),
		cmocka_unit_test(test_coalesce_rules),
		cmocka_unit_test(test_coalesce_ip),
		cmocka_unit_test(test_csum_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
