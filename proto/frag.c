/* SPDX-License-Identifier: MIT */
/*
 * proto/frag - IPv4 fragmentation of an inner packet (see frag.h).
 */
#include "frag.h"

#include "gso.h"

#define IP4_OPT_EOL 0
#define IP4_OPT_NOP 1
#define IP4_OPT_COPIED 0x80             /* RFC 791: copied into all fragments */
#define IP4_MF 0x2000
#define IP4_OFF_MASK 0x1fff

/* The options of hdr[20..hlen) with the copy bit into out; their length
 * padded to 4 bytes (with EOL), or -1 when an option runs past the header. */
static int copied_options(const uint8_t *hdr, size_t hlen, uint8_t out[40])
{
	size_t i = IPV4_HLEN_MIN, n = 0;

	while (i < hlen && hdr[i] != IP4_OPT_EOL) {
		size_t olen = 1;

		if (hdr[i] != IP4_OPT_NOP) {
			if (i + 1 >= hlen || hdr[i + 1] < 2 || i + hdr[i + 1] > hlen)
				return -1;
			olen = hdr[i + 1];
		}
		if (hdr[i] & IP4_OPT_COPIED) {
			memcpy(out + n, hdr + i, olen);
			n += olen;
		}
		i += olen;
	}
	while (n % 4)
		out[n++] = IP4_OPT_EOL;
	return (int)n;
}

size_t frag_ipv4(const uint8_t *frame, size_t len, size_t max_frame, struct frag_piece *out,
		 size_t max)
{
	uint8_t opts[40];
	struct eth_ipv4_view ip;
	struct eth_view e;
	size_t ip_max, hl1, hln, d1, dn, plen, off = 0, n = 0;
	const uint8_t *l3;
	int nopt;

	if (eth_parse(frame, len, &e) != VTEP_DROP_NONE || e.ethertype != ETH_TYPE_IPV4)
		return 0;
	l3 = frame + e.l3_off;
	ip_max = max_frame > e.l3_off ? max_frame - e.l3_off : 0;
	if (eth_ipv4_parse(l3, len - e.l3_off, &ip) != VTEP_DROP_NONE || ip.dont_frag ||
	    ip.tot_len <= ip_max)
		return 0;
	hl1 = ip.l4_off;
	nopt = copied_options(l3, hl1, opts);
	if (nopt < 0)
		return 0;
	hln = IPV4_HLEN_MIN + (size_t)nopt;
	if (ip_max < hl1 + 8)
		return 0;
	d1 = (ip_max - hl1) & ~(size_t)7;
	dn = (ip_max - hln) & ~(size_t)7;
	plen = ip.l4_len;
	max = VTEP_MIN(max, (size_t)FRAG_MAX);
	while (off < plen) {
		struct frag_piece *p = &out[n];
		size_t hl = n ? hln : hl1, d = VTEP_MIN(n ? dn : d1, plen - off);
		bool last = off + d == plen;
		size_t fo = ip.frag_off + off / 8;
		uint16_t c;
		uint8_t *h;

		if (n == max || fo > IP4_OFF_MASK)
			return 0;
		memcpy(p->hdr, frame, e.l3_off);
		h = p->hdr + e.l3_off;
		memcpy(h, l3, IPV4_HLEN_MIN);
		if (n)
			memcpy(h + IPV4_HLEN_MIN, opts, (size_t)nopt);
		else
			memcpy(h + IPV4_HLEN_MIN, l3 + IPV4_HLEN_MIN, hl1 - IPV4_HLEN_MIN);
		h[0] = (uint8_t)(0x40 | hl / 4);
		vtep_wr16(h + 2, (uint16_t)(hl + d));
		vtep_wr16(h + 6, (uint16_t)((!last || ip.more_frags ? IP4_MF : 0) | fo));
		vtep_wr16(h + 10, 0);
		c = (uint16_t)~gso_csum_fold(gso_csum_add(0, h, hl));
		memcpy(h + 10, &c, sizeof(c));  /* the sum is byte-order independent */
		p->hlen = e.l3_off + hl;
		p->off = e.l3_off + hl1 + off;
		p->len = d;
		off += d;
		n++;
	}
	return n;
}
