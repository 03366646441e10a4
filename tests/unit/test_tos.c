/* SPDX-License-Identifier: MIT */
/*
 * test_tos - the outer DS field and ECN across the tunnel (proto/tos):
 * encapsulation with a fixed DSCP and with "inherit", every inner ECN
 * codepoint (CE goes out as ECT(0), RFC 6040 4.1), IPv4 and IPv6 inner
 * packets, VLAN tags, non-IP frames; decapsulation of every outer/inner
 * ECN pair (RFC 6040 4.2: CE carried onto ECT(0)/ECT(1), dropped on
 * not-ECT, nothing else changes), the IPv4 header checksum after the mark
 * checked by a full RFC 1071 sum over many random headers, the IPv6 flow
 * label left alone, and every truncation as an exact-size heap copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/tos.h"
#include "sum.h"

enum { F6 = ETH_HLEN + 40 + 8 };

/* An Ethernet frame (with tags VLAN tags) carrying an IPv4 header with DS field
 * ds and a valid checksum, then 8 bytes of UDP; its length. */
static size_t ipv4_frame(uint8_t *f, int tags, uint8_t ds)
{
	size_t off = 12;
	uint16_t c;

	memset(f, 0, 64);
	for (int i = 0; i < tags; i++) {
		f[off] = i == 0 && tags == 2 ? 0x88 : 0x81;
		f[off + 1] = i == 0 && tags == 2 ? 0xa8 : 0x00;
		f[off + 3] = 7;
		off += 4;
	}
	f[off] = 0x08;
	f[off + 1] = 0x00;
	off += 2;
	f[off] = 0x45;
	f[off + 1] = ds;
	f[off + 3] = 28;
	f[off + 8] = 64;
	f[off + 9] = 17;
	memcpy(f + off + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	c = (uint16_t)~rfc1071_sum(f + off, 20);
	f[off + 10] = (uint8_t)(c >> 8);
	f[off + 11] = (uint8_t)c;
	return off + 28;
}

static size_t ipv6_frame(uint8_t *f, uint8_t tc)
{
	memset(f, 0, 64);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = (uint8_t)(0x60 | tc >> 4);
	f[15] = (uint8_t)(tc << 4 | 0x0a);     /* flow label 0xabcde */
	f[16] = 0xbc;
	f[17] = 0xde;
	f[19] = 8;
	f[20] = 17;
	f[21] = 64;
	return F6;
}

static void encap_ipv4(void **state)
{
	static const struct { int conf; uint8_t inner, outer; } c[] = {
		{ 0, 0x00, 0x00 }, { 0, 0x01, 0x01 }, { 0, 0x02, 0x02 }, { 0, 0x03, 0x02 },
		{ 0, 0xb8, 0x00 }, { 0, 0xbb, 0x02 },
		{ 0xb8, 0x00, 0xb8 }, { 0xb8, 0x01, 0xb9 }, { 0xb8, 0x02, 0xba },
		{ 0xb8, 0x03, 0xba }, { 0xb8, 0x28, 0xb8 },
		{ TOS_INHERIT, 0x00, 0x00 }, { TOS_INHERIT, 0x28, 0x28 },
		{ TOS_INHERIT, 0x29, 0x29 }, { TOS_INHERIT, 0x2a, 0x2a },
		{ TOS_INHERIT, 0x2b, 0x2a }, { TOS_INHERIT, 0xff, 0xfe },
	};
	uint8_t f[64];

	(void)state;
	for (int tags = 0; tags <= ETH_MAX_VLAN_TAGS; tags++) {
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			size_t n = ipv4_frame(f, tags, c[i].inner);

			assert_int_equal(tos_of_frame(f, n), c[i].inner);
			assert_int_equal(tos_encap(c[i].conf, f, n), c[i].outer);
		}
	}
}

static void encap_ipv6_and_others(void **state)
{
	uint8_t f[64];
	size_t n;

	(void)state;
	n = ipv6_frame(f, 0xbb);
	assert_int_equal(tos_of_frame(f, n), 0xbb);
	assert_int_equal(tos_encap(TOS_INHERIT, f, n), 0xba);
	assert_int_equal(tos_encap(0x20, f, n), 0x22);
	n = ipv6_frame(f, 0x01);
	assert_int_equal(tos_encap(TOS_INHERIT, f, n), 0x01);
	/* ARP: no inner DS field; the configured DSCP, ECN not-ECT. */
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(tos_of_frame(f, 42), -1);
	assert_int_equal(tos_encap(0xb8, f, 42), 0xb8);
	assert_int_equal(tos_encap(TOS_INHERIT, f, 42), 0);
	/* An IPv4 ethertype with a version 6 header, and the reverse. */
	n = ipv4_frame(f, 0, 0x2b);
	f[14] = 0x65;
	assert_int_equal(tos_of_frame(f, n), -1);
	assert_int_equal(tos_encap(TOS_INHERIT, f, n), 0);
	n = ipv6_frame(f, 0x2b);
	f[14] = 0x42;
	assert_int_equal(tos_of_frame(f, n), -1);
	/* Three tags: the third is not skipped, so not IP. */
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 3; i++) {
		f[12 + 4 * i] = 0x81;
		f[13 + 4 * i] = 0x00;
	}
	f[24] = 0x08;
	f[26] = 0x45;
	assert_int_equal(tos_of_frame(f, 60), -1);
}

/* Every outer ECN against every inner one, over IPv4 and IPv6. */
static void decap_table(void **state)
{
	/* [outer][inner]: what happens, and the inner ECN afterwards. */
	static const enum tos_decap act[4][4] = {
		{ TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP },
		{ TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP },
		{ TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP, TOS_DECAP_KEEP },
		{ TOS_DECAP_DROP, TOS_DECAP_MARKED, TOS_DECAP_MARKED, TOS_DECAP_KEEP },
	};
	uint8_t f[64], before[64];

	(void)state;
	for (uint8_t outer = 0; outer < 4; outer++) {
		for (uint8_t inner = 0; inner < 4; inner++) {
			for (int six = 0; six < 2; six++) {
				uint8_t ds = (uint8_t)(0xb8 | inner);
				size_t n = six ? ipv6_frame(f, ds) : ipv4_frame(f, 1, ds);
				enum tos_decap r;

				memcpy(before, f, n);
				r = tos_decap((uint8_t)(0x48 | outer), f, n);
				assert_int_equal(r, act[outer][inner]);
				if (r != TOS_DECAP_MARKED) {
					assert_memory_equal(f, before, n);
					continue;
				}
				assert_int_equal(tos_of_frame(f, n), 0xbb);
				if (six) {
					/* Only the two ECN bits moved; flow label kept. */
					assert_int_equal(f[15] & 0x0f, 0x0a);
					assert_memory_equal(f + 16, before + 16, n - 16);
				} else {
					assert_int_equal(rfc1071_sum(f + 18, 20), 0xffff);
				}
			}
		}
	}
}

/* The incremental checksum against a full sum over random headers, with
 * the checksum bytes themselves at every value the arithmetic meets. */
static void decap_checksum_random(void **state)
{
	uint8_t f[64];
	uint32_t x = 12345;

	(void)state;
	for (int it = 0; it < 20000; it++) {
		size_t n = ipv4_frame(f, 0, 0);
		uint16_t c;

		for (size_t i = 14; i < 34; i++) {
			if (i == 14 || i == 24 || i == 25)
				continue;
			x = x * 1103515245u + 12345u;
			f[i] = (uint8_t)(x >> 16);
		}
		f[15] = (uint8_t)((f[15] & ~3) | (1 + (it & 1)));  /* ECT(1) or ECT(0) */
		f[24] = f[25] = 0;
		c = (uint16_t)~rfc1071_sum(f + 14, 20);
		f[24] = (uint8_t)(c >> 8);
		f[25] = (uint8_t)c;
		assert_int_equal(rfc1071_sum(f + 14, 20), 0xffff);
		assert_int_equal(tos_decap(TOS_CE, f, n), TOS_DECAP_MARKED);
		assert_int_equal(f[15] & 3, TOS_CE);
		assert_int_equal(rfc1071_sum(f + 14, 20), 0xffff);
	}
}

/* Every prefix of each frame, copied to a heap block of exactly its
 * size: nothing is read or written past it (ASan), and a frame cut inside
 * its IP header counts as not IP. */
static void truncations(void **state)
{
	size_t lens[3], l3[3] = { 18, 14, 14 };
	uint8_t frames[3][64];

	(void)state;
	lens[0] = ipv4_frame(frames[0], 1, 0x2a);
	lens[1] = ipv6_frame(frames[1], 0x2a);
	lens[2] = ipv4_frame(frames[2], 0, 0x01);
	for (int k = 0; k < 3; k++) {
		for (size_t n = 0; n <= lens[k]; n++) {
			uint8_t *c = malloc(n ? n : 1);
			size_t need = l3[k] + (k == 1 ? 40 : 20);

			assert_non_null(c);
			memcpy(c, frames[k], n);
			assert_int_equal(tos_of_frame(c, n) >= 0, n >= need);
			(void)tos_encap(TOS_INHERIT, c, n);
			assert_int_equal(tos_decap(TOS_CE, c, n),
					 n >= need ? TOS_DECAP_MARKED : TOS_DECAP_KEEP);
			free(c);
		}
	}
	assert_int_equal(tos_of_frame(NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encap_ipv4),
		cmocka_unit_test(encap_ipv6_and_others),
		cmocka_unit_test(decap_table),
		cmocka_unit_test(decap_checksum_random),
		cmocka_unit_test(truncations),
	};

	return cmocka_run_group_tests_name("tos", tests, NULL, NULL);
}
