/* SPDX-License-Identifier: MIT */
/*
 * test_vxlan - VXLAN header parse/build (proto/vxlan): round trips, every
 * flag and reserved bit under reserved_bits "drop" and "ignore", truncation,
 * the tests/data fixture, and the source-port mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/vxlan.h"
#include "fixture.h"

#define UNTOUCHED 0xdeadbeefu

static void test_round_trip(void **state)
{
	static const uint32_t vnis[] = { 0, 1, 100, 4096, 0x123456, 0xfffffe, VTEP_VNI_MAX };

	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(vnis); i++) {
		uint8_t hdr[VXLAN_HLEN];
		uint32_t vni = UNTOUCHED;

		memset(hdr, 0xaa, sizeof(hdr));
		vxlan_build(hdr, vnis[i]);
		assert_int_equal(hdr[0], VXLAN_FLAG_I);
		assert_int_equal(hdr[1] | hdr[2] | hdr[3] | hdr[7], 0);
		assert_int_equal(vxlan_parse(hdr, sizeof(hdr), false, &vni), VTEP_DROP_NONE);
		assert_int_equal(vni, vnis[i]);
	}
}

static void test_build_masks_vni(void **state)
{
	uint8_t hdr[VXLAN_HLEN];
	uint32_t vni;

	(void)state;
	vxlan_build(hdr, 0xab000064);   /* only the low 24 bits go on the wire */
	assert_int_equal(hdr[7], 0);
	assert_int_equal(vxlan_parse(hdr, sizeof(hdr), false, &vni), VTEP_DROP_NONE);
	assert_int_equal(vni, 100);
}

static void test_fixture(void **state)
{
	uint8_t buf[256];
	size_t len = load_hex("vxlan_arp.hex", buf, sizeof(buf));
	uint8_t hdr[VXLAN_HLEN];
	struct eth_view eth;
	uint32_t vni = 0;

	(void)state;
	assert_int_equal(vxlan_parse(buf, len, false, &vni), VTEP_DROP_NONE);
	assert_int_equal(vni, 100);
	vxlan_build(hdr, 100);
	assert_memory_equal(hdr, buf, VXLAN_HLEN);
	assert_int_equal(eth_parse(buf + VXLAN_HLEN, len - VXLAN_HLEN, &eth), VTEP_DROP_NONE);
	assert_int_equal(eth.ethertype, ETH_TYPE_ARP);
}

/* Every one of the 64 header bits, set on top of a valid header for VNI
 * 0x0a0b0c: the I flag is already set, VNI bits change the VNI, every
 * other bit is reserved (drop under "drop", ignored under "ignore"). */
static void test_each_bit(void **state)
{
	(void)state;
	for (unsigned int bit = 0; bit < 64; bit++) {
		unsigned int byte = bit / 8;
		bool is_vni = byte >= 4 && byte <= 6;
		bool is_i = byte == 0 && (0x80 >> (bit % 8)) == VXLAN_FLAG_I;
		uint8_t hdr[VXLAN_HLEN];
		uint32_t vni = UNTOUCHED;

		vxlan_build(hdr, 0x0a0b0c);
		hdr[byte] |= (uint8_t)(0x80 >> (bit % 8));
		if (is_i || is_vni) {
			assert_int_equal(vxlan_parse(hdr, 8, false, &vni), VTEP_DROP_NONE);
			continue;
		}
		if (vxlan_parse(hdr, 8, false, &vni) != VTEP_DROP_BAD_FLAGS)
			fail_msg("reserved bit %u accepted under drop", bit);
		assert_int_equal(vni, UNTOUCHED);
		assert_int_equal(vxlan_parse(hdr, 8, true, &vni), VTEP_DROP_NONE);
		assert_int_equal(vni, 0x0a0b0c);
	}
}

struct flags_case {
	const char *name;
	uint8_t hdr[VXLAN_HLEN];
	enum vtep_drop want_drop;       /* reserved_bits = "drop" */
	enum vtep_drop want_ignore;     /* reserved_bits = "ignore" */
	uint32_t vni;
};

static const struct flags_case flags_cases[] = {
	{ "valid", { 0x08, 0, 0, 0, 0, 0, 100, 0 }, VTEP_DROP_NONE, VTEP_DROP_NONE, 100 },
	{ "I clear", { 0x00, 0, 0, 0, 0, 0, 100, 0 }, VTEP_DROP_BAD_FLAGS, VTEP_DROP_BAD_FLAGS, 0 },
	{ "I clear, others set", { 0xf7, 0, 0, 0, 0, 0, 1, 0 }, VTEP_DROP_BAD_FLAGS,
	  VTEP_DROP_BAD_FLAGS, 0 },
	{ "all ones", { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, VTEP_DROP_BAD_FLAGS,
	  VTEP_DROP_NONE, VTEP_VNI_MAX },
	{ "GPE-like P bit", { 0x0c, 0, 0, 0x03, 0, 0, 5, 0 }, VTEP_DROP_BAD_FLAGS,
	  VTEP_DROP_NONE, 5 },
	{ "GBP-like G bit and policy", { 0x88, 0, 0x12, 0x34, 0, 0, 7, 0 }, VTEP_DROP_BAD_FLAGS,
	  VTEP_DROP_NONE, 7 },
	{ "last byte", { 0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0x01 }, VTEP_DROP_BAD_FLAGS,
	  VTEP_DROP_NONE, 0x123456 },
};

static void test_flags_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(flags_cases); i++) {
		const struct flags_case *c = &flags_cases[i];
		uint32_t vni = UNTOUCHED;

		if (vxlan_parse(c->hdr, VXLAN_HLEN, false, &vni) != c->want_drop)
			fail_msg("case '%s' under drop", c->name);
		if (c->want_drop == VTEP_DROP_NONE)
			assert_int_equal(vni, c->vni);
		vni = UNTOUCHED;
		if (vxlan_parse(c->hdr, VXLAN_HLEN, true, &vni) != c->want_ignore)
			fail_msg("case '%s' under ignore", c->name);
		assert_int_equal(vni, c->want_ignore == VTEP_DROP_NONE ? c->vni : UNTOUCHED);
	}
}

/* Exact-size heap copies of every length: MALFORMED below 8 bytes, and
 * never a read past the end (ASan). */
static void test_truncated(void **state)
{
	uint8_t buf[256];
	size_t full = load_hex("vxlan_arp.hex", buf, sizeof(buf));

	(void)state;
	for (size_t len = 0; len <= full; len++) {
		uint8_t *d = malloc(len + 1);
		uint8_t *p = d + 1;             /* exactly len bytes before the end */
		uint32_t vni = UNTOUCHED;

		assert_non_null(d);
		memcpy(p, buf, len);
		for (int ignore = 0; ignore < 2; ignore++) {
			enum vtep_drop r = vxlan_parse(p, len, ignore, &vni);

			assert_int_equal(r, len < VXLAN_HLEN ? VTEP_DROP_MALFORMED :
					 VTEP_DROP_NONE);
		}
		assert_int_equal(vni, len < VXLAN_HLEN ? UNTOUCHED : 100);
		free(d);
	}
	assert_int_equal(vxlan_parse(NULL, 0, false, NULL), VTEP_DROP_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* Source port                                                         */

struct port_case {
	uint32_t hash;
	uint16_t lo;
	uint16_t hi;
	uint16_t want;
};

static const struct port_case port_cases[] = {
	{ 0, 49152, 65535, 49152 },
	{ 0xffffffffu, 49152, 65535, 65535 },
	{ 0x80000000u, 49152, 65535, 57344 },
	{ 0x12345678u, 4789, 4789, 4789 },
	{ 0, 65535, 49152, 49152 },             /* lo > hi: swapped */
	{ 0xffffffffu, 65535, 49152, 65535 },
	{ 0xffffffffu, 0, 65535, 65535 },       /* the whole range */
	{ 0x00010000u, 0, 65535, 1 },
	{ 0x7fffffffu, 1000, 1001, 1000 },
	{ 0x80000000u, 1000, 1001, 1001 },
};

static void test_src_port_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(port_cases); i++) {
		const struct port_case *c = &port_cases[i];

		assert_int_equal(vxlan_src_port(c->hash, c->lo, c->hi), c->want);
	}
}

/* Stays inside [lo, hi] and spreads evenly across it. */
static void test_src_port_spread(void **state)
{
	enum { LO = 50000, HI = 50015, N = 1 << 16 };
	unsigned int seen[HI - LO + 1] = { 0 };

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t hash = i * 0x9e3779b9u;        /* spread over all 32 bits */
		uint16_t port = vxlan_src_port(hash, LO, HI);

		assert_in_range(port, LO, HI);
		seen[port - LO]++;
	}
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(seen); i++)
		assert_in_range(seen[i], N / 16 - N / 64, N / 16 + N / 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_build_masks_vni),
		cmocka_unit_test(test_fixture),
		cmocka_unit_test(test_each_bit),
		cmocka_unit_test(test_flags_table),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_src_port_table),
		cmocka_unit_test(test_src_port_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
