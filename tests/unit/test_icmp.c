/* SPDX-License-Identifier: MIT */
/*
 * test_icmp - the "fragmentation needed" / "packet too big" answer
 * (proto/icmp): frames built here byte by byte, the answer checked field by
 * field (addresses and MACs swapped, tags kept, MTU announced, quote length
 * and bytes) with every checksum recomputed here by a plain RFC 1071 sum; a
 * table of answered and refused frames (no DF, fragments, ICMP errors, group
 * and special addresses, MTU bounds); every truncation of a frame as an
 * exact-size heap copy so ASan catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/icmp.h"

#define P_ICMP 1
#define P_ICMPV6 58
#define DEF_IP_LEN 1450
#define DEF_MAX_FRAME 1364              /* MTU 1350 on an untagged frame */

static uint8_t frame[2048];
static uint8_t out[ICMP_TOO_BIG_MAX];

static const uint8_t mac_a[6] = { 0x52, 0x54, 0, 0, 0, 0x0a };  /* sender */
static const uint8_t mac_b[6] = { 0x52, 0x54, 0, 0, 0, 0x0b };  /* receiver */
static const uint8_t mac_mc4[6] = { 0x01, 0x00, 0x5e, 0, 0, 0x05 };
static const uint8_t mac_mc6[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const uint8_t mac_bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* One frame to build, what to call icmp_too_big with, and what to expect. */
struct tcase {
	const char *name;
	bool v6;
	uint8_t tags;                   /* 1: C-tag; 2: S-tag, C-tag; 3: one more */
	uint16_t ethertype;             /* 0: by v6 */
	size_t ip_len;                  /* IP packet, header included; 0: 1450 */
	size_t pad;                     /* Ethernet padding after it */
	uint8_t ihl;                    /* 0: 5; 6 adds a Router Alert option */
	uint8_t proto;                  /* 0: TCP */
	uint8_t type;                   /* ICMP(v6) type when proto is ICMP(v6) */
	bool no_df;
	bool mf;
	uint16_t frag;                  /* IPv4 fragment offset, 8-byte units */
	const char *src;                /* NULL: 10.0.0.1 / fd00::1 */
	const char *dst;                /* NULL: 10.0.0.2 / fd00::2 */
	const uint8_t *smac;            /* NULL: mac_a */
	const uint8_t *dmac;            /* NULL: mac_b */
	size_t max_frame;               /* 0: 1364 */
	unsigned mtu;                   /* MTU the answer announces; 0: no answer */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071: add big-endian 16-bit words, an odd last byte padded with zero. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* Fold the carries and complement: 0 over data whose checksum is right. */
static uint16_t fold(uint32_t s)
{
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void addr(bool v6, const char *s, uint8_t *p)
{
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, s, p), 1);
}

/* Write c's frame into frame[]; returns its length. */
static size_t build(const struct tcase *c)
{
	static const uint8_t s_tag[4] = { 0x88, 0xa8, 0x00, 0xc8 };
	static const uint8_t c_tag[4] = { 0x81, 0x00, 0x00, 0x64 };
	static const uint8_t ra_opt[4] = { 0x94, 0x04, 0, 0 };
	size_t ip_len = c->ip_len ? c->ip_len : DEF_IP_LEN;
	size_t l3 = ETH_HLEN + ETH_VLAN_HLEN * c->tags;
	size_t hl = c->v6 ? IPV6_HLEN : 4u * (c->ihl ? c->ihl : 5);
	uint8_t proto = c->proto ? c->proto : IP_PROTO_TCP;
	uint8_t *ip = frame + l3;

	assert_true(l3 + ip_len + c->pad <= sizeof(frame));
	memcpy(frame, c->dmac ? c->dmac : mac_b, 6);
	memcpy(frame + 6, c->smac ? c->smac : mac_a, 6);
	for (size_t i = 0; i < c->tags; i++)
		memcpy(frame + 12 + 4 * i, i == 0 && c->tags >= 2 ? s_tag : c_tag, 4);
	put16(frame + l3 - 2, c->ethertype ? c->ethertype :
	      c->v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IPV4);
	for (size_t i = 0; i < ip_len; i++)
		ip[i] = (uint8_t)(i * 7 + 1);
	memset(ip + ip_len, 0xee, c->pad);
	if (proto == P_ICMP || proto == P_ICMPV6) {
		ip[hl] = c->type;
		ip[hl + 1] = 0;
	}
	if (c->v6) {
		ip[0] = 0x60;
		put16(ip + 4, ip_len - IPV6_HLEN);
		ip[6] = proto;
		ip[7] = 64;
		addr(true, c->src ? c->src : "fd00::1", ip + 8);
		addr(true, c->dst ? c->dst : "fd00::2", ip + 24);
		return l3 + ip_len + c->pad;
	}
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0;
	put16(ip + 2, ip_len);
	put16(ip + 6, (c->no_df ? 0 : 0x4000) | (c->mf ? 0x2000 : 0) | c->frag);
	ip[8] = 64;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	addr(false, c->src ? c->src : "10.0.0.1", ip + 12);
	addr(false, c->dst ? c->dst : "10.0.0.2", ip + 16);
	if (hl > IPV4_HLEN_MIN)
		memcpy(ip + IPV4_HLEN_MIN, ra_opt, sizeof(ra_opt));
	put16(ip + 10, fold(sum16(0, ip, hl)));
	return l3 + ip_len + c->pad;
}

/* Call icmp_too_big on an exact-size heap copy of frame[0..len), into an
 * exact-size heap out, so ASan sees any access past either; copy out back. */
static size_t run(size_t len, size_t max_frame)
{
	uint8_t *f = malloc(len);
	uint8_t *o = malloc(ICMP_TOO_BIG_MAX);
	size_t n;

	assert_true(f != NULL || len == 0);
	assert_non_null(o);
	if (len)
		memcpy(f, frame, len);
	memset(o, 0xa5, ICMP_TOO_BIG_MAX);
	n = icmp_too_big(f, len, max_frame, o);
	memcpy(out, o, ICMP_TOO_BIG_MAX);
	free(o);
	free(f);
	assert_true(n <= ICMP_TOO_BIG_MAX);
	return n;
}

#define WANT(cond) do { if (!(cond)) return #cond; } while (0)

/*
 * Check out[0..n) as the answer to c's frame as built in frame[], of which
 * len bytes were given, announcing mtu. NULL when right, else the first
 * condition that failed.
 */
static const char *check_answer(const struct tcase *c, size_t len, size_t n, unsigned mtu)
{
	size_t l3 = ETH_HLEN + ETH_VLAN_HLEN * c->tags;
	const uint8_t *ip = out + l3;
	const uint8_t *orig = frame + l3;
	size_t hl = c->v6 ? IPV6_HLEN : IPV4_HLEN_MIN;
	const uint8_t *icmp = ip + hl;
	size_t pkt = c->v6 ? IPV6_HLEN + rd16(orig + 4) : rd16(orig + 2);
	size_t q = c->v6 ? ICMP_QUOTE_V6 : ICMP_QUOTE_V4;

	q = pkt < q ? pkt : q;
	q = len - l3 < q ? len - l3 : q;
	WANT(n == l3 + hl + ICMP_HLEN + q);
	WANT(memcmp(out, frame + 6, 6) == 0);           /* back to the source */
	WANT(memcmp(out + 6, frame, 6) == 0);           /* from the destination */
	WANT(memcmp(out + 12, frame + 12, l3 - 12) == 0);       /* tags, ethertype */
	WANT(memcmp(icmp + ICMP_HLEN, orig, q) == 0);   /* the quote */
	if (c->v6) {
		uint32_t s = sum16(0, ip + 8, 32) + (uint32_t)(ICMP_HLEN + q) + P_ICMPV6;

		WANT(ip[0] >> 4 == 6);
		WANT(rd16(ip + 4) == ICMP_HLEN + q);
		WANT(ip[6] == P_ICMPV6);
		WANT(ip[7] != 0);
		WANT(memcmp(ip + 8, orig + 24, 16) == 0);
		WANT(memcmp(ip + 24, orig + 8, 16) == 0);
		WANT(icmp[0] == 2 && icmp[1] == 0);
		WANT(rd32(icmp + 4) == mtu);
		WANT(fold(sum16(s, icmp, ICMP_HLEN + q)) == 0);
		return NULL;
	}
	WANT(ip[0] == 0x45);
	WANT(rd16(ip + 2) == IPV4_HLEN_MIN + ICMP_HLEN + q);
	WANT((rd16(ip + 6) & 0x3fff) == 0);             /* not a fragment */
	WANT(ip[8] != 0);
	WANT(ip[9] == P_ICMP);
	WANT(fold(sum16(0, ip, IPV4_HLEN_MIN)) == 0);
	WANT(memcmp(ip + 12, orig + 16, 4) == 0);
	WANT(memcmp(ip + 16, orig + 12, 4) == 0);
	WANT(icmp[0] == 3 && icmp[1] == 4);
	WANT(rd16(icmp + 4) == 0);
	WANT(rd16(icmp + 6) == mtu);
	WANT(fold(sum16(0, icmp, ICMP_HLEN + q)) == 0);
	return NULL;
}

/* Case 1 with the numbers written out: 1450-byte TCP, MTU 1350, 548 quoted. */
static void test_v4_answer(void **state)
{
	const struct tcase c = { .name = "v4" };

	(void)state;
	assert_int_equal(build(&c), 1464);
	assert_int_equal(run(1464, 1364), 14 + 20 + 8 + 548);
	assert_int_equal(rd16(out + 12), 0x0800);
	assert_int_equal(rd16(out + 14 + 2), 576);
	assert_int_equal(out[14 + 20], 3);
	assert_int_equal(out[14 + 20 + 1], 4);
	assert_int_equal(rd16(out + 14 + 20 + 6), 1350);
	assert_null(check_answer(&c, 1464, 14 + 20 + 8 + 548, 1350));
}

/* Case 3 likewise: ICMPv6 type 2, 32-bit MTU, 1232 quoted. */
static void test_v6_answer(void **state)
{
	const struct tcase c = { .name = "v6", .v6 = true };

	(void)state;
	assert_int_equal(build(&c), 1464);
	assert_int_equal(run(1464, 1364), 14 + 40 + 8 + 1232);
	assert_int_equal(rd16(out + 12), 0x86dd);
	assert_int_equal(rd16(out + 14 + 4), 8 + 1232);
	assert_int_equal(out[14 + 6], 58);
	assert_int_equal(out[14 + 40], 2);
	assert_int_equal(rd32(out + 14 + 40 + 4), 1350);
	assert_null(check_answer(&c, 1464, 14 + 40 + 8 + 1232, 1350));
}

/* Tags come back as they were; each one takes 4 bytes off the MTU. */
static void test_vlan_tags(void **state)
{
	static const uint8_t tags[] = {
		0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00,
	};
	const struct tcase c = { .name = "qinq", .tags = 2 };

	(void)state;
	assert_int_equal(run(build(&c), 1364), 22 + 20 + 8 + 548);
	assert_memory_equal(out + 12, tags, sizeof(tags));
	assert_int_equal(rd16(out + 22 + 20 + 6), 1364 - 14 - 8);
	assert_null(check_answer(&c, 1472, 22 + 20 + 8 + 548, 1342));
}

/* Short and padded packets: the quote is the IP packet, never the padding. */
static void test_quote_ip_length(void **state)
{
	const struct tcase c = { .name = "padded", .ip_len = 100, .pad = 60 };

	(void)state;
	assert_int_equal(build(&c), 14 + 100 + 60);
	assert_int_equal(run(14 + 100 + 60, 14 + 90), 14 + 20 + 8 + 100);
	assert_memory_equal(out + 14 + 28, frame + 14, 100);
	assert_null(check_answer(&c, 174, 142, 90));
}

#define NONE 0
static const struct tcase cases[] = {
	{ .name = "v4 tcp", .mtu = 1350 },
	{ .name = "v4 1 tag", .tags = 1, .mtu = 1346 },
	{ .name = "v4 2 tags", .tags = 2, .mtu = 1342 },
	{ .name = "v6 tcp", .v6 = true, .mtu = 1350 },
	{ .name = "v6 1 tag", .v6 = true, .tags = 1, .max_frame = 1368, .mtu = 1350 },
	{ .name = "v6 2 tags", .v6 = true, .tags = 2, .mtu = 1342 },
	{ .name = "v4 3 tags", .tags = 3, .mtu = NONE },
	/* Quote length and "not below the packet's own length". */
	{ .name = "v4 100, MTU 90", .ip_len = 100, .max_frame = 14 + 90, .mtu = 90 },
	{ .name = "v4 101 (odd)", .ip_len = 101, .max_frame = 14 + 90, .mtu = 90 },
	{ .name = "v4 100 padded", .ip_len = 100, .pad = 60, .max_frame = 14 + 90, .mtu = 90 },
	{ .name = "v4 100, MTU 99", .ip_len = 100, .max_frame = 14 + 99, .mtu = 99 },
	{ .name = "v4 100, MTU 100", .ip_len = 100, .max_frame = 14 + 100, .mtu = NONE },
	{ .name = "v4 100 padded, MTU 120", .ip_len = 100, .pad = 60, .max_frame = 14 + 120 },
	{ .name = "v4 100, max_frame 80", .ip_len = 100, .max_frame = 80, .mtu = NONE },
	{ .name = "v4 MTU 1449", .max_frame = 1463, .mtu = 1449 },
	{ .name = "v4 MTU 1450", .max_frame = 1464, .mtu = NONE },
	{ .name = "v4 max_frame 9000", .max_frame = 9000, .mtu = NONE },
	{ .name = "v4 max_frame SIZE_MAX", .max_frame = SIZE_MAX, .mtu = NONE },
	{ .name = "v6 MTU 1450", .v6 = true, .max_frame = 1464, .mtu = NONE },
	/* Protocol minimums, and no wrap-around below the headers. */
	{ .name = "v4 MTU 68", .max_frame = 14 + 68, .mtu = 68 },
	{ .name = "v4 MTU 67", .max_frame = 14 + 67, .mtu = NONE },
	{ .name = "v4 2 tags MTU 68", .tags = 2, .max_frame = 22 + 68, .mtu = 68 },
	{ .name = "v4 2 tags MTU 67", .tags = 2, .max_frame = 22 + 67, .mtu = NONE },
	{ .name = "v6 MTU 1280", .v6 = true, .max_frame = 14 + 1280, .mtu = 1280 },
	{ .name = "v6 MTU 1279", .v6 = true, .max_frame = 14 + 1279, .mtu = NONE },
	{ .name = "v4 max_frame 1", .max_frame = 1, .mtu = NONE },
	{ .name = "v4 max_frame 14", .max_frame = 14, .mtu = NONE },
	{ .name = "v6 2 tags max_frame 20", .v6 = true, .tags = 2, .max_frame = 20 },
	/* Fragmentation. */
	{ .name = "v4 no DF", .no_df = true, .mtu = NONE },
	{ .name = "v4 DF, offset 185", .frag = 185, .mtu = NONE },
	{ .name = "v4 no DF, offset 185", .no_df = true, .frag = 185, .mtu = NONE },
	{ .name = "v4 DF, MF, offset 0 (first)", .mf = true, .mtu = 1350 },
	/* Not IP, or not the IP the ethertype says. */
	{ .name = "ARP ethertype", .ethertype = ETH_TYPE_ARP, .mtu = NONE },
	{ .name = "v4 body, IPv6 ethertype", .ethertype = ETH_TYPE_IPV6, .mtu = NONE },
	{ .name = "v6 body, IPv4 ethertype", .v6 = true, .ethertype = ETH_TYPE_IPV4 },
	/* ICMP errors are not answered; queries are. */
	{ .name = "v4 icmp 3", .proto = P_ICMP, .type = 3, .mtu = NONE },
	{ .name = "v4 icmp 4", .proto = P_ICMP, .type = 4, .mtu = NONE },
	{ .name = "v4 icmp 5", .proto = P_ICMP, .type = 5, .mtu = NONE },
	{ .name = "v4 icmp 11", .proto = P_ICMP, .type = 11, .mtu = NONE },
	{ .name = "v4 icmp 12", .proto = P_ICMP, .type = 12, .mtu = NONE },
	{ .name = "v4 icmp 8", .proto = P_ICMP, .type = 8, .mtu = 1350 },
	{ .name = "v4 icmp 0", .proto = P_ICMP, .type = 0, .mtu = 1350 },
	{ .name = "v4 options, icmp 3", .ihl = 6, .proto = P_ICMP, .type = 3, .mtu = NONE },
	{ .name = "v4 options, icmp 8", .ihl = 6, .proto = P_ICMP, .type = 8, .mtu = 1350 },
	{ .name = "v6 icmp 1", .v6 = true, .proto = P_ICMPV6, .type = 1, .mtu = NONE },
	{ .name = "v6 icmp 2", .v6 = true, .proto = P_ICMPV6, .type = 2, .mtu = NONE },
	{ .name = "v6 icmp 3", .v6 = true, .proto = P_ICMPV6, .type = 3, .mtu = NONE },
	{ .name = "v6 icmp 4", .v6 = true, .proto = P_ICMPV6, .type = 4, .mtu = NONE },
	{ .name = "v6 icmp 127", .v6 = true, .proto = P_ICMPV6, .type = 127, .mtu = NONE },
	{ .name = "v6 icmp 128", .v6 = true, .proto = P_ICMPV6, .type = 128, .mtu = 1350 },
	{ .name = "v6 icmp 129", .v6 = true, .proto = P_ICMPV6, .type = 129, .mtu = 1350 },
	/* Group MACs, multicast, broadcast and unspecified IP addresses. */
	{ .name = "dst MAC multicast", .dmac = mac_mc4, .mtu = NONE },
	{ .name = "dst MAC broadcast", .dmac = mac_bc, .mtu = NONE },
	{ .name = "src MAC multicast", .smac = mac_mc4, .mtu = NONE },
	{ .name = "v6 dst MAC 33:33", .v6 = true, .dmac = mac_mc6, .mtu = NONE },
	{ .name = "v4 dst 224.0.0.5", .dst = "224.0.0.5", .mtu = NONE },
	{ .name = "v4 dst 239.1.2.3", .dst = "239.1.2.3", .mtu = NONE },
	{ .name = "v4 dst broadcast", .dst = "255.255.255.255", .mtu = NONE },
	{ .name = "v4 dst 0.0.0.0", .dst = "0.0.0.0", .mtu = NONE },
	{ .name = "v4 src 0.0.0.0", .src = "0.0.0.0", .mtu = NONE },
	{ .name = "v4 src 224.0.0.1", .src = "224.0.0.1", .mtu = NONE },
	{ .name = "v4 src broadcast", .src = "255.255.255.255", .mtu = NONE },
	{ .name = "v6 src ::", .v6 = true, .src = "::", .mtu = NONE },
	{ .name = "v6 dst ::", .v6 = true, .dst = "::", .mtu = NONE },
	{ .name = "v6 dst ff02::1", .v6 = true, .dst = "ff02::1", .mtu = NONE },
	{ .name = "v6 src ff02::1", .v6 = true, .src = "ff02::1", .mtu = NONE },
	{ .name = "v6 global unicast", .v6 = true, .src = "2001:db8::1", .mtu = 1350 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		const struct tcase *c = &cases[i];
		size_t len = build(c);
		size_t n = run(len, c->max_frame ? c->max_frame : DEF_MAX_FRAME);
		const char *why;

		if (c->mtu == NONE && n != 0)
			fail_msg("%s: answered with %zu bytes, want none", c->name, n);
		if (c->mtu != NONE && n == 0)
			fail_msg("%s: no answer", c->name);
		if (n && (why = check_answer(c, len, n, c->mtu)))
			fail_msg("%s: %s", c->name, why);
	}
}

/*
 * Every cut of a frame, 0 bytes to all of it: nothing while the IP header
 * (and ICMP type) is incomplete (so 0, 13, 14, 20, 33 ... bytes give 0), the
 * full answer for the whole frame, and in between either nothing or an
 * answer that quotes only bytes it was given.
 */
static void test_truncations(void **state)
{
	static const struct tcase trunc[] = {
		{ .name = "v4" },
		{ .name = "v6", .v6 = true },
		{ .name = "v4 qinq", .tags = 2 },
		{ .name = "v6 1 tag", .v6 = true, .tags = 1 },
		{ .name = "v4 options, icmp 8", .ihl = 6, .proto = P_ICMP, .type = 8 },
		{ .name = "v6 icmp 128", .v6 = true, .proto = P_ICMPV6, .type = 128 },
	};

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(trunc); i++) {
		const struct tcase *c = &trunc[i];
		size_t len = build(c);
		size_t hdr = ETH_HLEN + ETH_VLAN_HLEN * c->tags +
			     (c->v6 ? IPV6_HLEN : 4u * (c->ihl ? c->ihl : 5)) + (c->proto ? 1 : 0);
		unsigned mtu = DEF_MAX_FRAME - ETH_HLEN - ETH_VLAN_HLEN * c->tags;

		for (size_t cut = 0; cut <= len; cut++) {
			size_t n = run(cut, DEF_MAX_FRAME);
			const char *why;

			if (cut < hdr && n != 0)
				fail_msg("%s cut at %zu: answered, %zu bytes", c->name, cut, n);
			if (cut == len && n == 0)
				fail_msg("%s whole: no answer", c->name);
			if (n && (why = check_answer(c, cut, n, mtu)))
				fail_msg("%s cut at %zu: %s", c->name, cut, why);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_answer),
		cmocka_unit_test(test_v6_answer),
		cmocka_unit_test(test_vlan_tags),
		cmocka_unit_test(test_quote_ip_length),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
