/* SPDX-License-Identifier: MIT */
/*
 * fuzz_underlay - the underlay receive path: vxlan_parse on the UDP
 * payload, then fwd_from_underlay (inner Ethernet/ARP/ND parse, learning,
 * snooping, forwarding decision) against a populated FDB and ARP/ND cache,
 * plus the flow hash the encap side would compute.
 *
 * Input: 5 settings bytes (world.h: VNI 100, then VNI 200), then records
 * of [header byte][length, 2 bytes big endian][UDP payload]; header bits
 * 0-2 pick the outer source address (peers, allowed, foreign, multicast,
 * unspecified, IPv6), the rest drive the clock and ageing (world_tick).
 * Also checked: vxlan_build parses back, vxlan_src_port stays in range,
 * gso_l4_csum_check agrees with gso_tcp_parse's checksum check, and the
 * DS field rules (proto/tos) on the inner frame: what encapsulation puts
 * outside never carries CE and keeps the inner DSCP under "inherit", and a
 * CE mark from outside changes nothing but the ECN bits (and the IPv4
 * header checksum, which stays valid), drops only what is not ECN-capable.
 */
#include "../../proto/gso.h"
#include "../../proto/tos.h"
#include "../../proto/vxlan.h"
#include "world.h"

static struct vtep_addr outer_source(unsigned int sel)
{
	struct vtep_addr a;

	switch (sel) {
	case 0:
		return fz_underlay(2);                  /* peer */
	case 1:
		return fz_underlay(3);                  /* peer */
	case 2:
		return fz_underlay(9);                  /* inside 10.0.0.0/24 only */
	case 3:
		return vtep_addr_v4(htobe32(0xc0000201u));      /* 192.0.2.1 */
	case 4:
		return vtep_addr_v4(htobe32(0xef010164u));      /* 239.1.1.100 */
	case 5:
		return vtep_addr_v4(0);
	case 6:
		a = fz_ip6(1);
		return a;
	default:
		return fz_underlay(1);                  /* ourselves */
	}
}

/* The sum of an IPv4 header that tos_of_frame found (0xffff: valid). */
static uint16_t ipv4_sum(const uint8_t *ip)
{
	uint32_t s = 0;
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;

	for (size_t i = 0; i + 1 < hl; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void check_tos(const uint8_t *f, size_t n, uint8_t outer)
{
	int inner = tos_of_frame(f, n);
	uint8_t *c = fz_dup(f, n);
	uint8_t enc = tos_encap(TOS_INHERIT, f, n);
	size_t ip = 0;
	bool v4 = false, sum_ok = false;
	enum tos_decap r;

	if (!c)
		return;
	CHECK((enc & TOS_ECN_MASK) != TOS_CE && (tos_encap(0xb8, f, n) & ~TOS_ECN_MASK) == 0xb8);
	CHECK(inner < 0 ? enc == 0 : (enc & ~TOS_ECN_MASK) == (inner & ~TOS_ECN_MASK));
	if (inner >= 0) {
		struct eth_view e;

		/* The IP header, found by the other parser: its DS field is
		 * the one byte that may move (with the IPv4 checksum). */
		CHECK(eth_parse(f, n, &e) == VTEP_DROP_NONE && e.l3_off + 20 <= n);
		ip = e.l3_off;
		v4 = f[ip] >> 4 == 4;
		CHECK(v4 ? e.ethertype == ETH_TYPE_IPV4 && f[ip + 1] == inner
			 : e.ethertype == ETH_TYPE_IPV6 &&
			   ((f[ip] & 0x0f) << 4 | f[ip + 1] >> 4) == inner);
		sum_ok = v4 && n - ip >= (size_t)(f[ip] & 0x0f) * 4 && (f[ip] & 0x0f) >= 5 &&
			 ipv4_sum(f + ip) == 0xffff;
	}
	CHECK(tos_decap((uint8_t)(outer & ~1), c, n) == TOS_DECAP_KEEP || (outer & 3) == 3);
	r = tos_decap((uint8_t)(outer | TOS_CE), c, n);
	if (r != TOS_DECAP_MARKED) {
		CHECK(memcmp(c, f, n) == 0);
		CHECK(r == TOS_DECAP_DROP ? inner >= 0 && (inner & 3) == TOS_NOT_ECT
					  : inner < 0 || (inner & 3) == TOS_CE);
	} else {
		CHECK(inner >= 0 && (inner & 3) != TOS_NOT_ECT && (inner & 3) != TOS_CE);
		CHECK(tos_of_frame(c, n) == (inner | TOS_CE));
		for (size_t i = 0; i < n; i++)
			if (i != ip + 1 && !(v4 && (i == ip + 10 || i == ip + 11)))
				CHECK(c[i] == f[i]);
		if (sum_ok)
			CHECK(ipv4_sum(c + ip) == 0xffff);
	}
	free(c);
}

static void one_packet(struct world *w, unsigned int sel, const uint8_t *p, size_t n)
{
	struct vtep_addr src = outer_source(sel);
	const struct fwd_vni *v;
	struct fwd_decision d;
	enum vtep_drop drop;
	uint32_t vni = 0xffffffffu;

	/* Both VNIs share one reserved-bits setting in the daemon: VNI 100's. */
	drop = vxlan_parse(p, n, w->va.ignore_reserved, &vni);
	if (drop != VTEP_DROP_NONE) {
		CHECK(drop == VTEP_DROP_MALFORMED || drop == VTEP_DROP_BAD_FLAGS);
		CHECK(vni == 0xffffffffu);
		return;
	}
	CHECK(n >= VXLAN_HLEN && vni <= VTEP_VNI_MAX && (p[0] & VXLAN_FLAG_I));
	/* The encap side writes a header that parses back to the same VNI. */
	{
		uint8_t hdr[VXLAN_HLEN];
		uint32_t back = 0;

		vxlan_build(hdr, vni);
		CHECK(vxlan_parse(hdr, sizeof(hdr), false, &back) == VTEP_DROP_NONE && back == vni);
	}
	check_tos(p + VXLAN_HLEN, n - VXLAN_HLEN, p[1]);
	if (vni == FZ_VNI_A)
		v = &w->va;
	else if (vni == FZ_VNI_B)
		v = &w->vb;
	else
		return;                                 /* unknown_vni */

	fwd_from_underlay(w->fdb, w->arpc, v, &src, p + VXLAN_HLEN, n - VXLAN_HLEN, w->now, &d);
	world_check_decision(w, v, &d);
	if (fwd_check_source(v, &src) != VTEP_DROP_NONE)
		CHECK(d.drop == VTEP_DROP_NOT_ALLOWED);
	if (d.drop == VTEP_DROP_NONE) {
		uint32_t h = eth_flow_hash(p + VXLAN_HLEN, n - VXLAN_HLEN);
		/* Any srcport range, either way round, from header bytes. */
		uint16_t lo = (uint16_t)(p[1] << 8 | p[2]);
		uint16_t hi = (uint16_t)(p[6] << 8 | p[7]);
		uint16_t port = vxlan_src_port(h, lo, hi);

		CHECK(port >= VTEP_MIN(lo, hi) && port <= VTEP_MAX(lo, hi));
		port = vxlan_src_port(h, 49152, 65535);
		CHECK(port >= 49152);
		/* The lone-datagram checksum check agrees with the coalescer's. */
		{
			const uint8_t *f = p + VXLAN_HLEN;
			enum gso_csum_verdict cv = gso_l4_csum_check(f, n - VXLAN_HLEN);
			struct gso_tcp_view tv;

			CHECK(cv == GSO_CSUM_NONE || cv == GSO_CSUM_OK || cv == GSO_CSUM_BAD);
			if (gso_tcp_parse(f, n - VXLAN_HLEN, true, &tv) == VTEP_DROP_NONE)
				CHECK(cv == GSO_CSUM_OK);
			else if (gso_tcp_parse(f, n - VXLAN_HLEN, false, &tv) == VTEP_DROP_NONE)
				CHECK(cv == GSO_CSUM_BAD);
		}
		/* Split horizon: nothing from the underlay goes back to it. */
		CHECK(!d.to_remote && !d.flood_underlay && d.reply_len == 0);
		if (d.flood_taps)
			CHECK(d.exclude_tap == -1);
		if (d.learn == FDB_LEARN_NEW || d.learn == FDB_LEARN_MOVED ||
		    d.learn == FDB_LEARN_FROZE) {
			const struct fdb_entry *e = fdb_lookup(w->fdb, v->vni, &d.eth.src);

			CHECK(e->type == FDB_REMOTE && vtep_addr_eq(&e->remote, &src));
		}
	}
	world_check_tables(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct world w;

	if (world_init(&w, &in) < 0) {
		world_free(&w);
		return 0;
	}
	while (fz_left(&in) > 0) {
		uint8_t h = fz_u8(&in);
		unsigned int sel = world_tick(&w, h);
		size_t want = fz_u16(&in);
		size_t n;
		const uint8_t *p = fz_take(&in, want, &n);
		uint8_t *pkt = fz_dup(p, n);

		if (!pkt)
			break;
		/* Bit 7: fix an ICMPv6 checksum in the inner frame. */
		if ((h & 0x80) && n > VXLAN_HLEN) {
			uint8_t *inner = world_frame(h, pkt + VXLAN_HLEN, n - VXLAN_HLEN);

			if (inner) {
				memcpy(pkt + VXLAN_HLEN, inner, n - VXLAN_HLEN);
				free(inner);
			}
		}
		one_packet(&w, sel, pkt, n);
		free(pkt);
	}
	world_free(&w);
	return 0;
}
