/* SPDX-License-Identifier: MIT */
/*
 * test_guard - port security (proto/guard): source MACs; source IPs of
 * IPv4 and IPv6 packets, ARP senders (hardware type 1 or 6) and NA
 * targets (behind extension headers too), with VLAN tags; the
 * exemptions (0.0.0.0, ::, link-local, other ethertypes, frames too short
 * to parse); every truncation as an exact-size heap copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../proto/guard.h"

static const struct vtep_mac mac1 = { { 0x52, 0x54, 0, 0, 0, 1 } };
static const struct vtep_mac mac2 = { { 0x52, 0x54, 0, 0, 0, 2 } };

static struct vtep_addr v4(const char *s)
{
	struct vtep_addr a = { .family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static struct vtep_addr v6(const char *s)
{
	struct vtep_addr a = { .family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	return a;
}

/* Ethernet header (src mac1, tags VLAN tags) with ethertype; its length. */
static size_t eth(uint8_t *f, int tags, uint16_t type)
{
	size_t off = 12;

	memset(f, 0, 128);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac1.b, 6);
	for (int i = 0; i < tags; i++) {
		f[off] = 0x81;
		f[off + 3] = 5;
		off += 4;
	}
	f[off] = (uint8_t)(type >> 8);
	f[off + 1] = (uint8_t)type;
	return off + 2;
}

static size_t ipv4(uint8_t *f, int tags, const char *src)
{
	size_t o = eth(f, tags, 0x0800);
	struct vtep_addr a = v4(src);

	f[o] = 0x45;
	f[o + 9] = 17;
	memcpy(f + o + 12, &a.v4, 4);
	return o + 28;
}

static size_t arp(uint8_t *f, int tags, const char *spa)
{
	size_t o = eth(f, tags, 0x0806);
	struct vtep_addr a = v4(spa);

	f[o + 1] = 1;                   /* Ethernet */
	f[o + 2] = 0x08;                /* IPv4 */
	f[o + 4] = 6;
	f[o + 5] = 4;
	f[o + 7] = 2;                   /* reply */
	memcpy(f + o + 8, mac1.b, 6);
	memcpy(f + o + 14, &a.v4, 4);
	return o + 28;
}

/* IPv6 from src; with na, an ICMPv6 neighbour advertisement for target. */
static size_t ipv6(uint8_t *f, const char *src, const char *na)
{
	size_t o = eth(f, 0, 0x86dd);
	struct vtep_addr a = v6(src);

	f[o] = 0x60;
	f[o + 6] = na ? 58 : 17;
	f[o + 7] = 255;
	memcpy(f + o + 8, &a.v6, 16);
	if (!na)
		return o + 48;
	f[o + 40] = 136;
	a = v6(na);
	memcpy(f + o + 48, &a.v6, 16);
	return o + 64;
}

/* The same NA with an extension header of type ext (8 bytes, PadN) between
 * the IPv6 header and the ICMPv6 message. */
static size_t ipv6_ext(uint8_t *f, const char *src, const char *na, uint8_t ext)
{
	size_t n = ipv6(f, src, na), o = 14;

	memmove(f + o + 48, f + o + 40, n - o - 40);
	f[o + 6] = ext;
	memset(f + o + 40, 0, 8);
	f[o + 40] = 58;                 /* next: ICMPv6 */
	f[o + 41] = 0;                  /* 8 bytes */
	f[o + 42] = 1;                  /* PadN, 4 bytes of padding */
	f[o + 43] = 4;
	return n + 8;
}

/* The NA behind two extension headers: destination options, then
 * hop-by-hop (which Linux refuses anywhere but first). */
static size_t ipv6_hbh_second(uint8_t *f, const char *src, const char *na)
{
	size_t n = ipv6_ext(f, src, na, 60), o = 14;

	memmove(f + o + 56, f + o + 48, n - o - 48);
	memset(f + o + 48, 0, 8);
	f[o + 40] = 0;                  /* dstopts: next hop-by-hop */
	f[o + 48] = 58;                 /* hop-by-hop: next ICMPv6 */
	f[o + 50] = 1;                  /* PadN, 4 bytes */
	f[o + 51] = 4;
	return n + 8;
}

static void macs(void **state)
{
	const struct vtep_mac both[2] = { mac2, mac1 };
	uint8_t f[128];
	size_t n = ipv4(f, 0, "10.0.0.1");

	(void)state;
	assert_true(guard_mac_ok(f, n, both, 2));
	assert_false(guard_mac_ok(f, n, &mac2, 1));
	assert_true(guard_mac_ok(f, 11, &mac2, 1));     /* too short: the parsers' */
}

static void ips(void **state)
{
	const struct vtep_addr ok[3] = { v4("192.168.1.1"), v6("fd00::1"), v4("192.168.1.7") };
	uint8_t f[128];
	size_t n;

	(void)state;
	for (int tags = 0; tags <= 2; tags++) {
		n = ipv4(f, tags, "192.168.1.7");
		assert_true(guard_ip_ok(f, n, ok, 3));
		n = ipv4(f, tags, "192.168.1.2");
		assert_false(guard_ip_ok(f, n, ok, 3));
		n = ipv4(f, tags, "0.0.0.0");           /* DHCP */
		assert_true(guard_ip_ok(f, n, ok, 3));
		n = arp(f, tags, "192.168.1.1");
		assert_true(guard_ip_ok(f, n, ok, 3));
		n = arp(f, tags, "192.168.1.2");        /* poisoning */
		assert_false(guard_ip_ok(f, n, ok, 3));
		n = arp(f, tags, "0.0.0.0");            /* probe */
		assert_true(guard_ip_ok(f, n, ok, 3));
	}
	/* Three tags: not parsed as IP, left alone. */
	n = ipv4(f, 3, "192.168.1.2");
	assert_true(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "fd00::1", NULL);
	assert_true(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "fd00::2", NULL);
	assert_false(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "fe80::1234", NULL);
	assert_true(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "::", "fd00::1");                   /* DAD answer for its own */
	assert_true(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "fe80::1", "fd00::2");              /* NA poisoning */
	assert_false(guard_ip_ok(f, n, ok, 3));
	n = ipv6(f, "fd00::1", "fe80::9");
	assert_true(guard_ip_ok(f, n, ok, 3));
	/* An IPv4 source against a list of IPv6 only. */
	n = ipv4(f, 0, "192.168.1.1");
	assert_false(guard_ip_ok(f, n, &ok[1], 1));
	/* Not IP: passes. */
	n = eth(f, 0, 0x88cc);
	assert_true(guard_ip_ok(f, 60, ok, 3));
	/* ARP with hardware type 6 (IEEE 802), which Linux takes as it takes
	 * Ethernet: checked the same. */
	n = arp(f, 0, "192.168.1.2");
	f[15] = 6;
	assert_false(guard_ip_ok(f, n, ok, 3));
	f[15] = 0;
	assert_false(guard_ip_ok(f, n, ok, 3));
	/* For another protocol, or other address lengths: no stack takes it. */
	n = arp(f, 0, "192.168.1.2");
	f[16] = 0x86;
	f[17] = 0xdd;
	assert_true(guard_ip_ok(f, n, ok, 3));
	n = arp(f, 0, "192.168.1.2");
	f[19] = 16;
	assert_true(guard_ip_ok(f, n, ok, 3));
	/* An NA behind hop-by-hop, destination or routing headers is still
	 * an NA to the guests that receive it. */
	n = ipv6_ext(f, "fe80::1", "fd00::2", 0);
	assert_false(guard_ip_ok(f, n, ok, 3));
	n = ipv6_ext(f, "fe80::1", "fd00::2", 60);
	assert_false(guard_ip_ok(f, n, ok, 3));
	n = ipv6_ext(f, "fe80::1", "fd00::2", 43);
	assert_false(guard_ip_ok(f, n, ok, 3));
	n = ipv6_ext(f, "fe80::1", "fd00::1", 0);
	assert_true(guard_ip_ok(f, n, ok, 3));
	/* Behind a fragment header it is not (RFC 6980): not an NA. */
	n = ipv6_ext(f, "fe80::1", "fd00::2", 44);
	assert_true(guard_ip_ok(f, n, ok, 3));
	/* A hop-by-hop header that is not the first is not walked: Linux
	 * refuses the packet. The same chain with routing in its place is
	 * walked (and the NA refused). */
	n = ipv6_hbh_second(f, "fe80::1", "fd00::2");
	assert_true(guard_ip_ok(f, n, ok, 3));
	f[14 + 40] = 43;
	assert_false(guard_ip_ok(f, n, ok, 3));
}

/* Every prefix, as an exact-size heap copy: nothing read past it, and a
 * frame cut before the address it claims passes (the parsers drop it). */
static void truncations(void **state)
{
	const struct vtep_addr ok = v4("192.168.1.1");
	uint8_t frames[5][128];
	size_t lens[5], need[5];

	(void)state;
	lens[0] = ipv4(frames[0], 1, "192.168.1.2");
	need[0] = 18 + 20;
	lens[1] = arp(frames[1], 0, "192.168.1.2");
	need[1] = 14 + 28;
	lens[2] = ipv6(frames[2], "fd00::2", NULL);
	need[2] = 14 + 40;
	lens[3] = ipv6(frames[3], "fe80::1", "fd00::2");
	need[3] = 14 + 64;
	lens[4] = ipv6_ext(frames[4], "fe80::1", "fd00::2", 60);
	need[4] = 14 + 72;
	for (int k = 0; k < 5; k++) {
		for (size_t n = 0; n <= lens[k]; n++) {
			uint8_t *c = malloc(n ? n : 1);

			assert_non_null(c);
			memcpy(c, frames[k], n);
			assert_int_equal(guard_ip_ok(c, n, &ok, 1), n < need[k]);
			(void)guard_mac_ok(c, n, &mac2, 1);
			free(c);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(macs),
		cmocka_unit_test(ips),
		cmocka_unit_test(truncations),
	};

	return cmocka_run_group_tests_name("guard", tests, NULL, NULL);
}
