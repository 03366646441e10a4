/* SPDX-License-Identifier: MIT */
/*
 * proto/guard - port security checks on a tap's frames (guard.h).
 */
#include "guard.h"

#define ARP_SPA_OFF 14                  /* sender protocol address, in the ARP body */
#define ARP_IPV4_LEN 28
#define ICMP6_NA 136
#define NA_TARGET_OFF 8                 /* in the ICMPv6 message */
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_DSTOPTS 60
#define IP6_ICMP 58

bool guard_mac_ok(const uint8_t *frame, size_t len, const struct vtep_mac *macs, size_t n)
{
	struct vtep_mac src;

	if (len < ETH_HLEN)
		return true;
	memcpy(src.b, frame + 6, sizeof(src.b));
	for (size_t i = 0; i < n; i++)
		if (vtep_mac_eq(&macs[i], &src))
			return true;
	return false;
}

static bool listed(const struct vtep_addr *a, const struct vtep_addr *ips, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (vtep_addr_eq(&ips[i], a))
			return true;
	return false;
}

static bool v4_ok(const uint8_t *p, const struct vtep_addr *ips, size_t n)
{
	struct in_addr in;

	memcpy(&in, p, 4);
	return in.s_addr == 0 || listed(&(struct vtep_addr){ .family = AF_INET, .v4 = in }, ips, n);
}

static bool v6_ok(const uint8_t *p, const struct vtep_addr *ips, size_t n)
{
	struct vtep_addr a = { .family = AF_INET6 };

	memcpy(&a.v6, p, 16);
	return IN6_IS_ADDR_UNSPECIFIED(&a.v6) || IN6_IS_ADDR_LINKLOCAL(&a.v6) || listed(&a, ips, n);
}

/* The offset in p (an IPv6 packet of l bytes) of the ICMPv6 message a
 * receiving stack would hand to neighbour discovery, past hop-by-hop (first
 * only), routing and destination options headers, as Linux walks them; 0 if
 * there is none (another protocol, a fragment header: RFC 6980 forbids
 * fragmented ND, or a chain cut short). */
static size_t icmp6_off(const uint8_t *p, size_t l)
{
	uint8_t next = p[6];
	size_t off = IPV6_HLEN;

	while (next == IP6_HOPOPTS || next == IP6_ROUTING || next == IP6_DSTOPTS) {
		if (next == IP6_HOPOPTS && off != IPV6_HLEN)
			return 0;
		if (l - off < 2)
			return 0;
		next = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
		if (off > l)
			return 0;
	}
	return next == IP6_ICMP ? off : 0;
}

bool guard_ip_ok(const uint8_t *frame, size_t len, const struct vtep_addr *ips, size_t n)
{
	struct eth_view e;
	const uint8_t *p;
	size_t l, off;

	if (eth_parse(frame, len, &e) != VTEP_DROP_NONE)
		return true;
	p = frame + e.l3_off;
	l = len - e.l3_off;
	switch (e.ethertype) {
	case ETH_TYPE_ARP:
		/* IPv4 over 6-byte addresses, whatever the hardware type: Linux
		 * takes 1 (Ethernet) and 6 (IEEE 802) alike. Other ARP no
		 * stack on Ethernet takes. */
		if (l < ARP_IPV4_LEN || vtep_rd16(p + 2) != ETH_TYPE_IPV4 || p[4] != 6 || p[5] != 4)
			return true;
		return v4_ok(p + ARP_SPA_OFF, ips, n);
	case ETH_TYPE_IPV4:
		if (l < IPV4_HLEN_MIN || p[0] >> 4 != 4)
			return true;
		return v4_ok(p + 12, ips, n);
	case ETH_TYPE_IPV6:
		if (l < IPV6_HLEN || p[0] >> 4 != 6)
			return true;
		if (!v6_ok(p + 8, ips, n))
			return false;
		/* A neighbour advertisement claims its target, extension
		 * headers before it or not. */
		off = icmp6_off(p, l);
		if (off && l - off >= NA_TARGET_OFF + 16 && p[off] == ICMP6_NA)
			return v6_ok(p + off + NA_TARGET_OFF, ips, n);
		return true;
	default:
		return true;
	}
}
