/* SPDX-License-Identifier: MIT */
/*
 * test_arp - Ethernet/IPv4 ARP parse/build, the suppression reply (byte for
 * byte against a hand-built frame) and the gratuitous/probe predicates
 * (proto/arp), against the tests/data fixtures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/arp.h"
#include "../../proto/eth.h"
#include "fixture.h"

_Static_assert(ARP_REPLY_LEN == 42, "Ethernet + ARP for IPv4, no padding");

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return htobe32((uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d);
}

static void test_request_fixture(void **state)
{
	const struct vtep_mac sha = { { 0x52, 0x54, 0, 0, 0, 1 } };
	uint8_t frame[128];
	size_t len = load_hex("arp_request.hex", frame, sizeof(frame));
	struct eth_view eth;
	struct arp_view v;

	(void)state;
	assert_int_equal(eth_parse(frame, len, &eth), VTEP_DROP_NONE);
	assert_int_equal(eth.ethertype, ETH_TYPE_ARP);
	assert_int_equal(arp_parse(frame + eth.l3_off, len - eth.l3_off, &v), VTEP_DROP_NONE);
	assert_int_equal(v.op, ARP_OP_REQUEST);
	assert_true(vtep_mac_eq(&v.sha, &sha));
	assert_true(vtep_mac_is_zero(&v.tha));
	assert_int_equal(v.spa, ip4(192, 168, 7, 1));
	assert_int_equal(v.tpa, ip4(192, 168, 7, 2));
	assert_false(arp_is_gratuitous(&v));
	assert_false(arp_is_probe(&v));
}

static void test_gratuitous_fixture(void **state)
{
	uint8_t frame[128];
	size_t len = load_hex("arp_gratuitous.hex", frame, sizeof(frame));
	struct arp_view v;

	(void)state;
	assert_int_equal(arp_parse(frame + ETH_HLEN, len - ETH_HLEN, &v), VTEP_DROP_NONE);
	assert_true(arp_is_gratuitous(&v));
	assert_false(arp_is_probe(&v));
	assert_int_equal(v.spa, ip4(192, 168, 7, 2));
}

/* Build the fixture's payload from its view: byte for byte the same. */
static void test_build_round_trip(void **state)
{
	static const char *const fixtures[] = { "arp_request.hex", "arp_gratuitous.hex" };

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(fixtures); i++) {
		uint8_t frame[128];
		size_t len = load_hex(fixtures[i], frame, sizeof(frame));
		uint8_t out[ARP_HLEN];
		struct arp_view v;
		struct arp_view w;

		assert_int_equal(len, ETH_HLEN + ARP_HLEN);
		assert_int_equal(arp_parse(frame + ETH_HLEN, ARP_HLEN, &v), VTEP_DROP_NONE);
		arp_build(out, &v);
		assert_memory_equal(out, frame + ETH_HLEN, ARP_HLEN);
		assert_int_equal(arp_parse(out, sizeof(out), &w), VTEP_DROP_NONE);
		assert_memory_equal(&v, &w, sizeof(v));
	}
}

/* The answer to arp_request.hex on behalf of 52:54:00:00:00:02 is exactly
 * the hand-built arp_reply.hex: 42 bytes, unpadded. */
static void test_build_reply(void **state)
{
	const struct vtep_mac owner = { { 0x52, 0x54, 0, 0, 0, 2 } };
	const struct vtep_mac requester = { { 0x52, 0x54, 0, 0, 0, 1 } };
	uint8_t req[128];
	uint8_t want[128];
	uint8_t out[ARP_REPLY_LEN + 4];
	size_t req_len = load_hex("arp_request.hex", req, sizeof(req));
	size_t want_len = load_hex("arp_reply.hex", want, sizeof(want));
	struct eth_view eth;
	struct arp_view v;
	struct arp_view r;

	(void)state;
	assert_int_equal(arp_parse(req + ETH_HLEN, req_len - ETH_HLEN, &v), VTEP_DROP_NONE);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(arp_build_reply(out, sizeof(out), &v, &owner), ARP_REPLY_LEN);
	assert_int_equal(want_len, ARP_REPLY_LEN);
	assert_memory_equal(out, want, ARP_REPLY_LEN);
	assert_int_equal(out[ARP_REPLY_LEN], 0xa5);     /* nothing past the frame */
	/* And it reads back as the owner's answer. */
	assert_int_equal(eth_parse(out, ARP_REPLY_LEN, &eth), VTEP_DROP_NONE);
	assert_true(vtep_mac_eq(&eth.dst, &requester));
	assert_true(vtep_mac_eq(&eth.src, &owner));
	assert_int_equal(eth.ethertype, ETH_TYPE_ARP);
	assert_int_equal(arp_parse(out + ETH_HLEN, ARP_HLEN, &r), VTEP_DROP_NONE);
	assert_int_equal(r.op, ARP_OP_REPLY);
	assert_true(vtep_mac_eq(&r.sha, &owner));
	assert_true(vtep_mac_eq(&r.tha, &requester));
	assert_int_equal(r.spa, v.tpa);
	assert_int_equal(r.tpa, v.spa);
	assert_false(arp_is_gratuitous(&r));
	/* Exactly big enough is enough; one byte less writes nothing. */
	assert_int_equal(arp_build_reply(out, ARP_REPLY_LEN, &v, &owner), ARP_REPLY_LEN);
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(arp_build_reply(out, ARP_REPLY_LEN - 1, &v, &owner), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xa5);
}

struct hdr_case {
	const char *name;
	size_t off;
	uint8_t val;
};

/* One byte of the fixed header changed: not Ethernet/IPv4 ARP. */
static const struct hdr_case bad_headers[] = {
	{ "htype 6 (IEEE 802)", 1, 6 },
	{ "htype high byte", 0, 1 },
	{ "ptype IPv6", 2, 0x86 },
	{ "hlen 8", 4, 8 },
	{ "plen 16", 5, 16 },
};

static void test_bad_headers(void **state)
{
	uint8_t frame[128];

	(void)state;
	(void)load_hex("arp_request.hex", frame, sizeof(frame));
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(bad_headers); i++) {
		uint8_t p[ARP_HLEN];
		struct arp_view v;

		memcpy(p, frame + ETH_HLEN, ARP_HLEN);
		p[bad_headers[i].off] = bad_headers[i].val;
		if (arp_parse(p, sizeof(p), &v) != VTEP_DROP_MALFORMED)
			fail_msg("case '%s' accepted", bad_headers[i].name);
	}
}

static void test_truncated(void **state)
{
	uint8_t frame[128];
	size_t full = load_hex("arp_request.hex", frame, sizeof(frame)) - ETH_HLEN;

	(void)state;
	for (size_t len = 0; len <= full; len++) {
		uint8_t *d = malloc(len + 1);
		uint8_t *p = d + 1;             /* exactly len bytes before the end */
		struct arp_view v;

		assert_non_null(d);
		memcpy(p, frame + ETH_HLEN, len);
		assert_int_equal(arp_parse(p, len, &v),
				 len < ARP_HLEN ? VTEP_DROP_MALFORMED : VTEP_DROP_NONE);
		free(d);
	}
	assert_int_equal(arp_parse(NULL, 0, NULL), VTEP_DROP_MALFORMED);
}

struct pred_case {
	const char *name;
	uint16_t op;
	uint32_t spa;
	uint32_t tpa;
	bool gratuitous;
	bool probe;
};

static void test_predicates(void **state)
{
	const struct pred_case cases[] = {
		{ "request", ARP_OP_REQUEST, ip4(10, 0, 0, 1), ip4(10, 0, 0, 2), false, false },
		{ "reply", ARP_OP_REPLY, ip4(10, 0, 0, 2), ip4(10, 0, 0, 1), false, false },
		{ "gratuitous request", ARP_OP_REQUEST, ip4(10, 0, 0, 1), ip4(10, 0, 0, 1), true,
		  false },
		{ "gratuitous reply", ARP_OP_REPLY, ip4(10, 0, 0, 1), ip4(10, 0, 0, 1), true,
		  false },
		{ "probe", ARP_OP_REQUEST, 0, ip4(10, 0, 0, 1), false, true },
		{ "probe for 0.0.0.0", ARP_OP_REQUEST, 0, 0, false, true },
		{ "reply from 0.0.0.0", ARP_OP_REPLY, 0, ip4(10, 0, 0, 1), false, false },
		{ "RARP op 3", 3, ip4(10, 0, 0, 1), ip4(10, 0, 0, 1), false, false },
	};

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(cases); i++) {
		struct arp_view v = { .op = cases[i].op, .spa = cases[i].spa, .tpa = cases[i].tpa };

		if (arp_is_gratuitous(&v) != cases[i].gratuitous ||
		    arp_is_probe(&v) != cases[i].probe)
			fail_msg("case '%s'", cases[i].name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_fixture),
		cmocka_unit_test(test_gratuitous_fixture),
		cmocka_unit_test(test_build_round_trip),
		cmocka_unit_test(test_build_reply),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_predicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
