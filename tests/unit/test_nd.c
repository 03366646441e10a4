/* SPDX-License-Identifier: MIT */
/*
 * test_nd - IPv6 Neighbor Solicitation/Advertisement parsing and the NA
 * builder (proto/nd): the tests/data fixtures, a table of valid and
 * malformed messages (RFC 4861 7.1.1/7.1.2, option walking), every
 * truncation length as an exact-size heap copy, and the NA byte for byte
 * against a hand-built frame, its checksum recomputed here independently.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/nd.h"
#include "fixture.h"

static struct in6_addr in6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/*
 * The ICMPv6 checksum written out the long way (RFC 8200 8.1): pseudo-
 * header and message copied into one buffer, summed as big-endian words.
 * 0 over a message whose checksum field is right.
 */
static uint16_t ref_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *msg, size_t len)
{
	uint8_t buf[40 + 256 + 1] = { 0 };
	uint32_t sum = 0;

	assert_true(len <= 256);
	memcpy(buf, src, 16);
	memcpy(buf + 16, dst, 16);
	buf[34] = (uint8_t)(len >> 8);
	buf[35] = (uint8_t)len;
	buf[39] = 58;
	memcpy(buf + 40, msg, len);
	for (size_t i = 0; i < 40 + len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Recompute the checksum of the ICMPv6 message in an IPv6 packet p. */
static uint16_t packet_csum(const uint8_t *p)
{
	size_t plen = (size_t)p[4] << 8 | p[5];

	return ref_csum(p + 8, p + 24, p + 40, plen);
}

/* ------------------------------------------------------------------ */
/* A table of messages built here, checksum right unless bad_csum.     */

struct nd_spec {
	uint8_t type;
	uint8_t flags;                  /* byte 4: NA R/S/O */
	uint8_t code;
	int hop;                        /* 0: 255 */
	int next;                       /* 0: 58; NH_HOPOPT: 0 */
	const char *src;
	const char *dst;
	const char *target;
	uint8_t opts[32];
	size_t opts_len;
	size_t icmp_len;                /* 0: 24 + opts_len; less truncates */
	bool bad_csum;
};

/* Write the IPv6 packet for s into p; returns its length. */
static size_t mk_nd(uint8_t *p, const struct nd_spec *s)
{
	size_t len = s->icmp_len ? s->icmp_len : ND_HLEN + s->opts_len;
	struct in6_addr a;
	uint8_t *m = p + IPV6_HLEN;
	uint16_t c;

	memset(p, 0, IPV6_HLEN + ND_HLEN + sizeof(s->opts));
	p[0] = 0x60;
	p[4] = (uint8_t)(len >> 8);
	p[5] = (uint8_t)len;
	p[6] = (uint8_t)(s->next ? s->next & 0xff : 58);
	p[7] = (uint8_t)(s->hop ? s->hop : 255);
	a = in6(s->src);
	memcpy(p + 8, &a, 16);
	a = in6(s->dst);
	memcpy(p + 24, &a, 16);
	m[0] = s->type;
	m[1] = s->code;
	m[4] = s->flags;
	a = in6(s->target);
	memcpy(m + 8, &a, 16);
	memcpy(m + ND_HLEN, s->opts, s->opts_len);
	c = ref_csum(p + 8, p + 24, m, len);
	if (s->bad_csum)
		c ^= 0x0100;
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	return IPV6_HLEN + len;
}

#define NH_HOPOPT 0x100                 /* Hop-by-Hop Options: 0 on the wire */
#define SLLA_A 1, 1, 0x52, 0x54, 0, 0, 0, 0x0a
#define SLLA_B 1, 1, 0x52, 0x54, 0, 0, 0, 0x0b
#define TLLA_A 2, 1, 0x52, 0x54, 0, 0, 0, 0x0a
#define NS ND_TYPE_NS
#define NA ND_TYPE_NA
#define F_R ND_NA_FLAG_ROUTER
#define F_S ND_NA_FLAG_SOLICITED
#define F_O ND_NA_FLAG_OVERRIDE
#define SN2 "ff02::1:ff00:2"            /* solicited-node of fd00::2 */

struct parse_case {
	const char *name;
	struct nd_spec s;
	enum vtep_drop want;
	bool has_slla;
	bool has_tlla;
};

static const struct parse_case parse_cases[] = {
	/* Valid. */
	{ "NS with SLLA", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_NONE, true, false },
	{ "NS unicast, no options", { NS, 0, 0, 0, 0, "fd00::1", "fd00::2", "fd00::2", { 0 }, 0,
				      0, false }, VTEP_DROP_NONE, false, false },
	{ "NS link-local", { NS, 0, 0, 0, 0, "fe80::1", SN2, "fe80::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_NONE, true, false },
	{ "DAD NS", { NS, 0, 0, 0, 0, "::", SN2, "fd00::2", { 0 }, 0, 0, false },
	  VTEP_DROP_NONE, false, false },
	{ "NA solicited", { NA, F_S | F_O, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2", { TLLA_A },
			    8, 0, false }, VTEP_DROP_NONE, false, true },
	{ "NA unsolicited to all-nodes", { NA, F_O, 0, 0, 0, "fd00::2", "ff02::1", "fd00::2",
					   { TLLA_A }, 8, 0, false }, VTEP_DROP_NONE, false, true },
	{ "NA without TLLA", { NA, F_S, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2", { 0 }, 0, 0,
			       false }, VTEP_DROP_NONE, false, false },
	{ "NA router", { NA, F_R | F_S | F_O, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2", { TLLA_A },
			 8, 0, false }, VTEP_DROP_NONE, false, true },
	{ "NS nonce then SLLA", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2",
				  { 14, 1, 1, 2, 3, 4, 5, 6, SLLA_A }, 16, 0, false },
	  VTEP_DROP_NONE, true, false },
	{ "NS two SLLA: first", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { SLLA_A, SLLA_B },
				  16, 0, false }, VTEP_DROP_NONE, true, false },
	{ "NS long TLLA ignored", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 2, 2 }, 16, 0,
				    false }, VTEP_DROP_NONE, false, false },
	{ "NA with SLLA ignored", { NA, F_S, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2",
				    { SLLA_B, TLLA_A }, 16, 0, false },
	  VTEP_DROP_NONE, false, true },
	/* Malformed. */
	{ "hop limit 254", { NS, 0, 0, 254, 0, "fd00::1", SN2, "fd00::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "hop limit 1", { NA, F_S, 0, 1, 0, "fd00::2", "fd00::1", "fd00::2", { TLLA_A }, 8, 0,
			   false }, VTEP_DROP_MALFORMED, false, false },
	{ "hop-by-hop header", { NS, 0, 0, 0, NH_HOPOPT, "fd00::1", SN2, "fd00::2", { SLLA_A },
				 8, 0, false }, VTEP_DROP_MALFORMED, false, false },
	{ "UDP", { NS, 0, 0, 0, 17, "fd00::1", SN2, "fd00::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "code 1", { NS, 0, 1, 0, 0, "fd00::1", SN2, "fd00::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "bad checksum NS", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { SLLA_A }, 8, 0, true },
	  VTEP_DROP_MALFORMED, false, false },
	{ "bad checksum NA", { NA, F_S, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2", { TLLA_A }, 8,
			       0, true }, VTEP_DROP_MALFORMED, false, false },
	{ "router advertisement", { 134, 0, 0, 0, 0, "fe80::1", "ff02::1", "fd00::2", { 0 }, 0,
				    0, false }, VTEP_DROP_MALFORMED, false, false },
	{ "echo request", { 128, 0, 0, 0, 0, "fd00::1", "fd00::2", "fd00::2", { 0 }, 0, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "option length 0", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 1, 0, 0, 0, 0, 0, 0,
								    0 }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "option past the end", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 14, 2 }, 8, 0,
				   false }, VTEP_DROP_MALFORMED, false, false },
	{ "one byte of option", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 1 }, 1, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "zero length after SLLA", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2",
				      { SLLA_A, 14, 0, 0, 0, 0, 0, 0, 0 }, 16, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "SLLA 16 bytes", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 1, 2, 0x52, 0x54, 0, 0,
								   0, 0x0a }, 16, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "TLLA 16 bytes", { NA, F_S, 0, 0, 0, "fd00::2", "fd00::1", "fd00::2", { 2, 2, 0x52, 0x54,
									   0, 0, 0, 0x0a }, 16, 0,
			     false }, VTEP_DROP_MALFORMED, false, false },
	{ "ICMPv6 length 20", { NS, 0, 0, 0, 0, "fd00::1", SN2, "fd00::2", { 0 }, 0, 20, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "NS multicast target", { NS, 0, 0, 0, 0, "fd00::1", "ff02::1:ff00:1", "ff02::1",
				   { SLLA_A }, 8, 0, false }, VTEP_DROP_MALFORMED, false, false },
	{ "NS multicast source", { NS, 0, 0, 0, 0, "ff02::1", SN2, "fd00::2", { SLLA_A }, 8, 0,
				   false }, VTEP_DROP_MALFORMED, false, false },
	{ "DAD with SLLA", { NS, 0, 0, 0, 0, "::", SN2, "fd00::2", { SLLA_A }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "DAD to all-nodes", { NS, 0, 0, 0, 0, "::", "ff02::1", "fd00::2", { 0 }, 0, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "DAD to another solicited-node", { NS, 0, 0, 0, 0, "::", "ff02::1:ff00:3", "fd00::2",
					     { 0 }, 0, 0, false }, VTEP_DROP_MALFORMED, false,
	  false },
	{ "NA multicast with S", { NA, F_S | F_O, 0, 0, 0, "fd00::2", "ff02::1", "fd00::2",
				   { TLLA_A }, 8, 0, false }, VTEP_DROP_MALFORMED, false, false },
	{ "NA from ::", { NA, F_O, 0, 0, 0, "::", "ff02::1", "fd00::2", { TLLA_A }, 8, 0, false },
	  VTEP_DROP_MALFORMED, false, false },
	{ "NA multicast target", { NA, F_S, 0, 0, 0, "fd00::2", "fd00::1", "ff02::2", { TLLA_A },
				   8, 0, false }, VTEP_DROP_MALFORMED, false, false },
	/* Found by fuzz_nd_arp: answering it built an NA from :: that nd_parse refused. */
	{ "NS for target ::", { NS, 0, 0, 0, 0, "fd00::1", "ff02::1:ff00:0", "::", { SLLA_A }, 8,
				0, false }, VTEP_DROP_MALFORMED, false, false },
	{ "NA for target ::", { NA, F_O, 0, 0, 0, "fd00::2", "ff02::1", "::", { TLLA_A }, 8, 0,
				false }, VTEP_DROP_MALFORMED, false, false },
};

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		const struct nd_spec *s = &c->s;
		uint8_t p[128];
		struct nd_view v;
		size_t len;

		len = mk_nd(p, s);
		memset(&v, 0x5a, sizeof(v));
		if (nd_parse(p, len, &v) != c->want)
			fail_msg("case '%s': verdict", c->name);
		if (c->want != VTEP_DROP_NONE)
			continue;
		if (v.type != s->type || v.has_slla != c->has_slla || v.has_tlla != c->has_tlla)
			fail_msg("case '%s': view", c->name);
		if (v.router != !!(s->flags & F_R) || v.solicited != !!(s->flags & F_S) ||
		    v.override != !!(s->flags & F_O))
			fail_msg("case '%s': flags", c->name);
		assert_memory_equal(&v.src, p + 8, 16);
		assert_memory_equal(&v.dst, p + 24, 16);
		assert_memory_equal(&v.target, p + 48, 16);
		if (v.has_slla)         /* the first SLLA option: ...:0a */
			assert_int_equal(v.slla.b[5], 0x0a);
		if (v.has_tlla)
			assert_int_equal(v.tlla.b[5], 0x0a);
	}
}

static void test_ns_fixture(void **state)
{
	const struct vtep_mac sha = { { 0x52, 0x54, 0, 0, 0, 1 } };
	struct in6_addr tgt = in6("fd00:7::2");
	struct in6_addr src = in6("fd00:7::1");
	struct in6_addr sn;
	uint8_t frame[128];
	size_t len = load_hex("nd_ns.hex", frame, sizeof(frame));
	struct eth_view eth;
	struct nd_view v;

	(void)state;
	assert_int_equal(len, 86);
	assert_int_equal(eth_parse(frame, len, &eth), VTEP_DROP_NONE);
	assert_int_equal(eth.ethertype, ETH_TYPE_IPV6);
	assert_int_equal(packet_csum(frame + eth.l3_off), 0);
	assert_int_equal(nd_parse(frame + eth.l3_off, len - eth.l3_off, &v), VTEP_DROP_NONE);
	assert_int_equal(v.type, ND_TYPE_NS);
	assert_memory_equal(&v.target, &tgt, 16);
	assert_memory_equal(&v.src, &src, 16);
	nd_solicited_node(&tgt, &sn);
	assert_memory_equal(&v.dst, &sn, 16);
	assert_true(v.has_slla);
	assert_false(v.has_tlla);
	assert_true(vtep_mac_eq(&v.slla, &sha));
	assert_false(v.router || v.solicited || v.override);
}

static void test_na_fixture(void **state)
{
	const struct vtep_mac owner = { { 0x52, 0x54, 0, 0, 0, 2 } };
	struct in6_addr tgt = in6("fd00:7::2");
	uint8_t frame[128];
	size_t len = load_hex("nd_na.hex", frame, sizeof(frame));
	struct nd_view v;

	(void)state;
	assert_int_equal(len, ND_NA_LEN);
	assert_int_equal(packet_csum(frame + ETH_HLEN), 0);
	assert_int_equal(nd_parse(frame + ETH_HLEN, len - ETH_HLEN, &v), VTEP_DROP_NONE);
	assert_int_equal(v.type, ND_TYPE_NA);
	assert_memory_equal(&v.target, &tgt, 16);
	assert_false(v.router);
	assert_true(v.solicited);
	assert_true(v.override);
	assert_true(v.has_tlla);
	assert_false(v.has_slla);
	assert_true(vtep_mac_eq(&v.tlla, &owner));
}

/* Every length short of the packet, as an exact-size heap copy: MALFORMED,
 * no read past the end (ASan). The full length parses; so does the packet
 * followed by Ethernet padding (payload length rules, not the buffer). */
static void test_truncated(void **state)
{
	static const char *const fixtures[] = { "nd_ns.hex", "nd_na.hex" };

	(void)state;
	for (size_t f = 0; f < VTEP_ARRAY_SIZE(fixtures); f++) {
		uint8_t frame[128];
		size_t full = load_hex(fixtures[f], frame, sizeof(frame)) - ETH_HLEN;
		const uint8_t *l3 = frame + ETH_HLEN;
		struct nd_view v;

		for (size_t len = 0; len <= full + 8; len++) {
			uint8_t *d = malloc(len + 1);
			uint8_t *p = d + 1;     /* exactly len bytes before the end */

			assert_non_null(d);
			memset(p, 0, len);
			memcpy(p, l3, VTEP_MIN(len, full));
			if (nd_parse(p, len, &v) !=
			    (len < full ? VTEP_DROP_MALFORMED : VTEP_DROP_NONE))
				fail_msg("%s: length %zu", fixtures[f], len);
			free(d);
		}
	}
	assert_int_equal(nd_parse(NULL, 0, NULL), VTEP_DROP_MALFORMED);
}

/* Not IPv6, or an IPv6 payload length the buffer does not hold. */
static void test_bad_ipv6(void **state)
{
	uint8_t frame[128];
	size_t len = load_hex("nd_ns.hex", frame, sizeof(frame)) - ETH_HLEN;
	uint8_t *p = frame + ETH_HLEN;
	struct nd_view v;

	(void)state;
	p[0] = 0x40;
	assert_int_equal(nd_parse(p, len, &v), VTEP_DROP_MALFORMED);
	p[0] = 0x60;
	p[5]++;
	assert_int_equal(nd_parse(p, len, &v), VTEP_DROP_MALFORMED);
	p[5]--;
	assert_int_equal(nd_parse(p, len, &v), VTEP_DROP_NONE);
}

/* The builder against the hand-built nd_na.hex, byte for byte. */
static void test_build_na(void **state)
{
	const struct vtep_mac owner = { { 0x52, 0x54, 0, 0, 0, 2 } };
	uint8_t ns[128];
	uint8_t want[128];
	uint8_t out[ND_NA_LEN + 8];
	size_t ns_len = load_hex("nd_ns.hex", ns, sizeof(ns));
	size_t want_len = load_hex("nd_na.hex", want, sizeof(want));
	struct nd_view v;
	struct nd_view na;

	(void)state;
	assert_int_equal(nd_parse(ns + ETH_HLEN, ns_len - ETH_HLEN, &v), VTEP_DROP_NONE);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), ND_NA_LEN);
	assert_int_equal(want_len, ND_NA_LEN);
	assert_memory_equal(out, want, ND_NA_LEN);
	assert_int_equal(out[ND_NA_LEN], 0xa5);         /* nothing past the frame */
	/* The checksum, recomputed here with the field zeroed, is what was sent. */
	assert_int_equal(packet_csum(out + ETH_HLEN), 0);
	{
		uint8_t copy[ND_NA_LEN];
		uint8_t *m = copy + ETH_HLEN + IPV6_HLEN;

		memcpy(copy, out, ND_NA_LEN);
		m[2] = m[3] = 0;
		assert_int_equal(ref_csum(copy + 22, copy + 38, m, 32), 0xcc30);
	}
	assert_int_equal(nd_parse(out + ETH_HLEN, ND_NA_LEN - ETH_HLEN, &na), VTEP_DROP_NONE);
	assert_true(na.solicited && na.override && !na.router && na.has_tlla);
	assert_true(vtep_mac_eq(&na.tlla, &owner));
	/* R=1: flags byte 0xe0, and the checksum 0x8000 less. */
	assert_int_equal(nd_build_na(out, ND_NA_LEN, &v, &owner, true), ND_NA_LEN);
	want[ETH_HLEN + IPV6_HLEN + 4] = 0xe0;
	want[ETH_HLEN + IPV6_HLEN + 2] = 0x4c;
	want[ETH_HLEN + IPV6_HLEN + 3] = 0x30;
	assert_memory_equal(out, want, ND_NA_LEN);
	assert_int_equal(packet_csum(out + ETH_HLEN), 0);
	assert_int_equal(nd_parse(out + ETH_HLEN, ND_NA_LEN - ETH_HLEN, &na), VTEP_DROP_NONE);
	assert_true(na.router);
}

/* What the builder refuses: a short buffer, and anything but an NS with a
 * unicast source and a unicast source link-layer address. */
static void test_build_refusals(void **state)
{
	const struct vtep_mac owner = { { 0x52, 0x54, 0, 0, 0, 2 } };
	uint8_t ns[128];
	size_t ns_len = load_hex("nd_ns.hex", ns, sizeof(ns));
	uint8_t out[ND_NA_LEN];
	struct nd_view good;
	struct nd_view v;

	(void)state;
	assert_int_equal(nd_parse(ns + ETH_HLEN, ns_len - ETH_HLEN, &good), VTEP_DROP_NONE);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(nd_build_na(out, ND_NA_LEN - 1, &good, &owner, false), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xa5);
	v = good;
	v.has_slla = false;
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), 0);
	v = good;
	v.slla.b[0] = 0x33;
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), 0);
	v = good;
	v.type = ND_TYPE_NA;
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), 0);
	v = good;
	memset(&v.src, 0, sizeof(v.src));
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), 0);
	v = good;
	v.src = in6("ff02::1");
	assert_int_equal(nd_build_na(out, sizeof(out), &v, &owner, false), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xa5);
}

static void test_solicited_node(void **state)
{
	static const char *const cases[][2] = {
		{ "fd00:7::2", "ff02::1:ff00:2" },
		{ "2001:db8::1234:5678", "ff02::1:ff34:5678" },
		{ "fe80::5054:ff:fe12:3456", "ff02::1:ff12:3456" },
		{ "::", "ff02::1:ff00:0" },
	};

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		struct in6_addr a = in6(cases[i][0]);
		struct in6_addr want = in6(cases[i][1]);
		struct in6_addr got;

		nd_solicited_node(&a, &got);
		if (memcmp(&got, &want, sizeof(got)) != 0)
			fail_msg("case '%s'", cases[i][0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_ns_fixture),
		cmocka_unit_test(test_na_fixture),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_ipv6),
		cmocka_unit_test(test_build_na),
		cmocka_unit_test(test_build_refusals),
		cmocka_unit_test(test_solicited_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
