/* SPDX-License-Identifier: MIT */
/*
 * test_eth - Ethernet/VLAN, IPv4 and IPv6 parsing and the inner flow hash
 * (proto/eth), against the tests/data fixtures and hand-built frames; every
 * parser is fed exact-size heap copies of every truncation so ASan catches
 * any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "fixture.h"

#define FRAME_MAX 256

/* Read a fixture from tests/data (make test runs from the repo root): hex
 * byte pairs, whitespace ignored, '#' to end of line a comment. */
/* An exact-size heap copy: any read past len is a heap overflow for ASan. */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	memcpy(d, p, len);
	return len ? d : d + 1;         /* len 0: a pointer to no bytes at all */
}

static void free_exact(uint8_t *d, size_t len)
{
	free(len ? d : d - 1);
}

/* ------------------------------------------------------------------ */
/* Ethernet                                                            */

struct eth_case {
	const char *fixture;
	uint16_t ethertype;
	uint16_t vlan;
	uint8_t n_vlan;
	size_t l3_off;
};

static const struct eth_case eth_cases[] = {
	{ "arp_request.hex", ETH_TYPE_ARP, 0, 0, 14 },
	{ "ipv4_udp.hex", ETH_TYPE_IPV4, 0, 0, 14 },
	{ "ipv6_tcp.hex", ETH_TYPE_IPV6, 0, 0, 14 },
	{ "qinq_ipv4_tcp.hex", ETH_TYPE_IPV4, 100, 2, 22 },
};

static void test_eth_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(eth_cases); i++) {
		const struct eth_case *c = &eth_cases[i];
		uint8_t buf[FRAME_MAX];
		size_t len = load_hex(c->fixture, buf, sizeof(buf));
		struct eth_view v;

		assert_int_equal(eth_parse(buf, len, &v), VTEP_DROP_NONE);
		assert_int_equal(v.ethertype, c->ethertype);
		assert_int_equal(v.vlan, c->vlan);
		assert_int_equal(v.n_vlan, c->n_vlan);
		assert_int_equal(v.l3_off, c->l3_off);
		assert_memory_equal(v.dst.b, buf, 6);
		assert_memory_equal(v.src.b, buf + 6, 6);
	}
}

/* Every truncation of every fixture: the parser must say MALFORMED exactly
 * when the Ethernet headers do not fit, and never touch a byte past len. */
static void test_eth_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(eth_cases); i++) {
		uint8_t buf[FRAME_MAX];
		size_t full = load_hex(eth_cases[i].fixture, buf, sizeof(buf));

		for (size_t len = 0; len <= full; len++) {
			uint8_t *d = dup_exact(buf, len);
			struct eth_view v;
			enum vtep_drop r = eth_parse(d, len, &v);

			assert_int_equal(r, len < eth_cases[i].l3_off ? VTEP_DROP_MALFORMED :
					 VTEP_DROP_NONE);
			(void)eth_flow_hash(d, len);
			free_exact(d, len);
		}
	}
}

static void test_eth_vlan(void **state)
{
	/* Three tags: two skipped, the third TPID reported as the ethertype. */
	static const uint8_t three[] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8,
		0x20, 0x0a, 0x81, 0x00,         /* PCP 1, VID 10 */
		0x00, 0x14, 0x81, 0x00,         /* VID 20 */
		0x00, 0x1e, 0x08, 0x00,         /* VID 30 */
	};
	/* Priority tag: VID 0, but tagged. */
	static const uint8_t prio[] = {
		2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0xa0, 0x00, 0x08, 0x06,
	};
	struct eth_view v;

	(void)state;
	assert_int_equal(eth_parse(three, sizeof(three), &v), VTEP_DROP_NONE);
	assert_int_equal(v.n_vlan, 2);
	assert_int_equal(v.vlan, 10);
	assert_int_equal(v.ethertype, ETH_TYPE_VLAN);
	assert_int_equal(v.l3_off, 22);
	assert_int_equal(eth_parse(prio, sizeof(prio), &v), VTEP_DROP_NONE);
	assert_int_equal(v.n_vlan, 1);
	assert_int_equal(v.vlan, 0);
	assert_int_equal(v.ethertype, ETH_TYPE_ARP);
	assert_int_equal(v.l3_off, 18);
	assert_int_equal(eth_parse(prio, 17, &v), VTEP_DROP_MALFORMED);
	assert_int_equal(eth_parse(NULL, 0, &v), VTEP_DROP_MALFORMED);
}

static void test_eth_names_vlan(void **state)
{
	/* MAC addresses, then the bytes from offset 12 on. */
	static const struct {
		uint8_t tail[14];
		size_t n;               /* of tail */
		bool names;
	} t[] = {
		{ { 0x08, 0x00 }, 2, false },                           /* untagged */
		{ { 0x81, 0x00, 0x00, 0x0a, 0x08, 0x00 }, 6, true },    /* VID 10 */
		{ { 0x81, 0x00, 0xe0, 0x00, 0x08, 0x00 }, 6, false },   /* priority */
		{ { 0x81, 0x00, 0xe0, 0x00, 0x81, 0x00, 0x00, 0x14 }, 8, true },
		{ { 0x81, 0x00, 0x00, 0x00, 0x88, 0xa8, 0x00, 0x00 }, 8, true },
		{ { 0x88, 0xa8, 0x00, 0x00, 0x08, 0x00 }, 6, true },    /* S-tag */
		{ { 0x81, 0x00, 0x00, 0x00, 0x81, 0x00, 0x00, 0x00,     /* 3 priority */
		    0x81, 0x00, 0x00, 0x00, 0x08, 0x00 }, 14, true },
		{ { 0x81, 0x00, 0x00 }, 3, false },                     /* cut short */
		{ { 0x81 }, 1, false },
	};
	uint8_t f[ETH_ADDRS_LEN + 14];

	(void)state;
	memset(f, 0x02, ETH_ADDRS_LEN);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memcpy(f + ETH_ADDRS_LEN, t[i].tail, t[i].n);
		assert_int_equal(eth_names_vlan(f, ETH_ADDRS_LEN + t[i].n), t[i].names);
	}
	assert_false(eth_names_vlan(f, 0));
}

static void test_eth_build(void **state)
{
	const struct vtep_mac dst = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	const struct vtep_mac src = { { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 } };
	uint8_t fixture[FRAME_MAX];
	uint8_t hdr[ETH_HLEN];
	struct eth_view v;

	(void)state;
	(void)load_hex("arp_request.hex", fixture, sizeof(fixture));
	eth_build(hdr, &dst, &src, ETH_TYPE_ARP);
	assert_memory_equal(hdr, fixture, ETH_HLEN);
	assert_int_equal(eth_parse(hdr, sizeof(hdr), &v), VTEP_DROP_NONE);
	assert_true(vtep_mac_eq(&v.dst, &dst));
	assert_true(vtep_mac_eq(&v.src, &src));
	assert_int_equal(v.ethertype, ETH_TYPE_ARP);
	assert_int_equal(v.l3_off, ETH_HLEN);
}

/* ------------------------------------------------------------------ */
/* IPv4 and IPv6                                                       */

static void test_ipv4_fixture(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = load_hex("ipv4_udp.hex", buf, sizeof(buf));
	struct eth_ipv4_view ip;

	(void)state;
	assert_int_equal(eth_ipv4_parse(buf + 14, len - 14, &ip), VTEP_DROP_NONE);
	assert_int_equal(ip.ihl, 5);
	assert_int_equal(ip.proto, IP_PROTO_UDP);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.tot_len, 32);
	assert_int_equal(ip.src, htobe32(0x0a010101));
	assert_int_equal(ip.dst, htobe32(0x0a010102));
	assert_true(ip.dont_frag);
	assert_false(eth_ipv4_is_fragment(&ip));
	assert_int_equal(ip.l4_off, 20);
	assert_int_equal(ip.l4_len, 12);
	for (size_t l = 0; l <= len - 14; l++) {
		uint8_t *d = dup_exact(buf + 14, l);

		assert_int_equal(eth_ipv4_parse(d, l, &ip),
				 l < 32 ? VTEP_DROP_MALFORMED : VTEP_DROP_NONE);
		free_exact(d, l);
	}
}

struct ipv4_case {
	const char *name;
	uint8_t ver_ihl;
	uint16_t tot_len;
	uint16_t frag;
	size_t len;                     /* bytes handed to the parser */
	enum vtep_drop want;
	bool fragment;
};

static const struct ipv4_case ipv4_cases[] = {
	{ "plain", 0x45, 28, 0x0000, 28, VTEP_DROP_NONE, false },
	{ "ethernet padding after tot_len", 0x45, 28, 0x0000, 46, VTEP_DROP_NONE, false },
	{ "options", 0x46, 28, 0x0000, 28, VTEP_DROP_NONE, false },
	{ "version 6", 0x65, 28, 0x0000, 28, VTEP_DROP_MALFORMED, false },
	{ "ihl 4", 0x44, 28, 0x0000, 28, VTEP_DROP_MALFORMED, false },
	{ "ihl past len", 0x4f, 60, 0x0000, 40, VTEP_DROP_MALFORMED, false },
	{ "tot_len below ihl", 0x46, 20, 0x0000, 28, VTEP_DROP_MALFORMED, false },
	{ "tot_len past len", 0x45, 29, 0x0000, 28, VTEP_DROP_MALFORMED, false },
	{ "first fragment", 0x45, 28, 0x2000, 28, VTEP_DROP_NONE, true },
	{ "last fragment", 0x45, 28, 0x0010, 28, VTEP_DROP_NONE, true },
	{ "DF only", 0x45, 28, 0x4000, 28, VTEP_DROP_NONE, false },
};

static void test_ipv4_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < VTEP_ARRAY_SIZE(ipv4_cases); i++) {
		const struct ipv4_case *c = &ipv4_cases[i];
		uint8_t buf[64] = { 0 };
		struct eth_ipv4_view ip;
		uint8_t *d;

		buf[0] = c->ver_ihl;
		buf[2] = (uint8_t)(c->tot_len >> 8);
		buf[3] = (uint8_t)c->tot_len;
		buf[6] = (uint8_t)(c->frag >> 8);
		buf[7] = (uint8_t)c->frag;
		buf[9] = IP_PROTO_UDP;
		d = dup_exact(buf, c->len);
		if (eth_ipv4_parse(d, c->len, &ip) != c->want)
			fail_msg("ipv4 case '%s'", c->name);
		if (c->want == VTEP_DROP_NONE) {
			assert_int_equal(eth_ipv4_is_fragment(&ip), c->fragment);
			assert_int_equal(ip.l4_off + ip.l4_len, c->tot_len);
		}
		free_exact(d, c->len);
	}
}

static void test_ipv6(void **state)
{
	uint8_t buf[FRAME_MAX];
	size_t len = load_hex("ipv6_tcp.hex", buf, sizeof(buf));
	struct eth_ipv6_view ip;
	uint8_t bad[FRAME_MAX];

	(void)state;
	assert_int_equal(eth_ipv6_parse(buf + 14, len - 14, &ip), VTEP_DROP_NONE);
	assert_int_equal(ip.next, IP_PROTO_TCP);
	assert_int_equal(ip.hop_limit, 64);
	assert_int_equal(ip.payload_len, 20);
	assert_int_equal(ip.flow_label, 0x12345);
	assert_int_equal(ip.src.s6_addr[15], 1);
	assert_int_equal(ip.dst.s6_addr[15], 2);
	assert_int_equal(ip.l4_off, 40);
	for (size_t l = 0; l <= len - 14; l++) {
		uint8_t *d = dup_exact(buf + 14, l);

		assert_int_equal(eth_ipv6_parse(d, l, &ip),
				 l < 60 ? VTEP_DROP_MALFORMED : VTEP_DROP_NONE);
		free_exact(d, l);
	}
	memcpy(bad, buf, len);
	bad[14] = 0x45;                 /* version 4 */
	assert_int_equal(eth_ipv6_parse(bad + 14, len - 14, &ip), VTEP_DROP_MALFORMED);
	memcpy(bad, buf, len);
	bad[18] = 0;
	bad[19] = 0;                    /* payload length 0 (jumbogram) */
	assert_int_equal(eth_ipv6_parse(bad + 14, len - 14, &ip), VTEP_DROP_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* Flow hash                                                           */

static uint32_t hash_with(const uint8_t *frame, size_t len, size_t off, uint8_t val)
{
	uint8_t buf[FRAME_MAX];

	memcpy(buf, frame, len);
	buf[off] = val;
	return eth_flow_hash(buf, len);
}

static void test_flow_hash_fields(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len = load_hex("ipv4_udp.hex", f, sizeof(f));
	uint32_t h = eth_flow_hash(f, len);

	(void)state;
	assert_int_equal(h, eth_flow_hash(f, len));     /* deterministic */
	assert_int_not_equal(h, hash_with(f, len, 5, 0x99));    /* dst MAC */
	assert_int_not_equal(h, hash_with(f, len, 11, 0x99));   /* src MAC */
	assert_int_not_equal(h, hash_with(f, len, 14 + 15, 9)); /* src IP */
	assert_int_not_equal(h, hash_with(f, len, 14 + 19, 9)); /* dst IP */
	assert_int_not_equal(h, hash_with(f, len, 34 + 1, 9));  /* src port */
	assert_int_not_equal(h, hash_with(f, len, 34 + 3, 9));  /* dst port */
	/* The payload and the TTL are not part of the flow. */
	assert_int_equal(h, hash_with(f, len, 42, 'x'));
	assert_int_equal(h, hash_with(f, len, 14 + 8, 1));
}

static void test_flow_hash_fragments(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len = load_hex("ipv4_udp.hex", f, sizeof(f));
	uint32_t first;

	(void)state;
	/* Any fragment hashes without ports, so all fragments of a datagram
	 * (only the first carries the ports) take the same path. */
	f[14 + 6] = 0x20;               /* MF, offset 0 */
	first = eth_flow_hash(f, len);
	assert_int_equal(first, hash_with(f, len, 34 + 1, 9));
	f[14 + 6] = 0x00;
	f[14 + 7] = 0x03;               /* offset 24, last fragment */
	assert_int_equal(first, eth_flow_hash(f, len));
}

static void test_flow_hash_ipv6_and_vlan(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len = load_hex("ipv6_tcp.hex", f, sizeof(f));
	uint32_t h = eth_flow_hash(f, len);

	(void)state;
	assert_int_not_equal(h, hash_with(f, len, 14 + 8 + 15, 7));     /* src IP */
	assert_int_not_equal(h, hash_with(f, len, 14 + 24 + 15, 7));    /* dst IP */
	assert_int_not_equal(h, hash_with(f, len, 54 + 1, 7));          /* src port */
	len = load_hex("qinq_ipv4_tcp.hex", f, sizeof(f));
	h = eth_flow_hash(f, len);
	assert_int_not_equal(h, hash_with(f, len, 22 + 20 + 3, 7));     /* dst port */
	assert_int_not_equal(h, hash_with(f, len, 22 + 15, 7));         /* src IP */
}

/* The hash must spread: 4096 flows differing only in the source port land
 * in most of 64 source-port-like buckets via the high bits. */
static void test_flow_hash_spread(void **state)
{
	uint8_t f[FRAME_MAX];
	size_t len = load_hex("ipv4_udp.hex", f, sizeof(f));
	unsigned int seen[64] = { 0 };
	unsigned int used = 0;

	(void)state;
	for (unsigned int port = 0; port < 4096; port++) {
		f[34] = (uint8_t)(port >> 8);
		f[35] = (uint8_t)port;
		seen[eth_flow_hash(f, len) >> 26]++;
	}
	for (size_t i = 0; i < 64; i++) {
		used += seen[i] != 0;
		assert_true(seen[i] < 4096 / 64 * 2);
	}
	assert_int_equal(used, 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_fixtures),
		cmocka_unit_test(test_eth_truncated),
		cmocka_unit_test(test_eth_vlan),
		cmocka_unit_test(test_eth_names_vlan),
		cmocka_unit_test(test_eth_build),
		cmocka_unit_test(test_ipv4_fixture),
		cmocka_unit_test(test_ipv4_table),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_flow_hash_fields),
		cmocka_unit_test(test_flow_hash_fragments),
		cmocka_unit_test(test_flow_hash_ipv6_and_vlan),
		cmocka_unit_test(test_flow_hash_spread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
