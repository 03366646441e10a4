/* SPDX-License-Identifier: MIT */
/*
 * test_frag - IPv4 fragmentation of an inner packet (proto/frag): frames
 * built here byte by byte are split and put back together here, and every
 * fragment is checked field by field: size within the limit, payload a
 * multiple of 8 but for the last, offsets and MF (also for a packet that is
 * itself a fragment), ID/TTL/protocol/addresses kept, the options RFC 791
 * copies and no others after the first fragment, the header checksum by a
 * plain RFC 1071 sum, VLAN tags kept; the refusals (DF, fits already, not
 * IPv4, malformed options, too small a limit, too many pieces); and every
 * truncation of a frame as an exact-size heap copy for ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "../../proto/eth.h"
#include "../../proto/frag.h"
#include "sum.h"

static uint8_t frame[9100];
static struct frag_piece pieces[FRAG_MAX];

/* Options for the tests: LSRR (copied, 7 bytes), NOP, Record Route (not
 * copied, 7 bytes), NOP, EOL: 16 bytes, ihl 9. */
static const uint8_t opts[16] = {
	0x83, 7, 4, 10, 0, 0, 9,        /* loose source route */
	1,                              /* NOP */
	0x07, 7, 4, 0, 0, 0, 0,         /* record route */
	0,                              /* EOL */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct spec {
	uint8_t tags;                   /* VLAN tags before the IPv4 header */
	bool options;                   /* the 16 bytes of opts */
	bool df;
	bool mf;
	uint16_t frag;                  /* fragment offset, 8-byte units */
	size_t ip_len;                  /* whole IP packet */
	size_t pad;                     /* Ethernet padding after it */
};

/* The frame for s into frame[]; its length. The payload bytes count up. */
static size_t build(const struct spec *s)
{
	size_t l3 = ETH_HLEN + 4u * s->tags, hl = 20 + (s->options ? sizeof(opts) : 0);
	uint8_t *ip = frame + l3;

	memset(frame, 0, sizeof(frame));
	memcpy(frame, "\x52\x54\x00\x00\x00\x0b\x52\x54\x00\x00\x00\x0a", 12);
	for (unsigned int i = 0; i < s->tags; i++) {
		put16(frame + 12 + 4 * i, i + 1 < s->tags ? 0x88a8 : 0x8100);
		put16(frame + 14 + 4 * i, 100 + i);
	}
	put16(frame + l3 - 2, 0x0800);
	ip[0] = (uint8_t)(0x40 | hl / 4);
	ip[1] = 0x10;
	put16(ip + 2, s->ip_len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, (s->df ? 0x4000 : 0) | (s->mf ? 0x2000 : 0) | s->frag);
	ip[8] = 61;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	if (s->options)
		memcpy(ip + 20, opts, sizeof(opts));
	for (size_t i = hl; i < s->ip_len; i++)
		ip[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < s->pad; i++)
		ip[s->ip_len + i] = 0xee;
	return l3 + s->ip_len + s->pad;
}

/* Split per s with IP packets of at most ip_max bytes (frames of at most
 * that plus the Ethernet header and tags) and check every piece and the
 * whole. */
static void split_and_check(const struct spec *s, size_t ip_max, size_t want_n)
{
	size_t len = build(s), l3 = ETH_HLEN + 4u * s->tags;
	size_t hl1 = 20 + (s->options ? sizeof(opts) : 0), next = 0;
	uint8_t *orig = frame + l3;
	size_t n = frag_ipv4(frame, len, l3 + ip_max, pieces, FRAG_MAX);

	assert_int_equal(n, want_n);
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct frag_piece *p = &pieces[i];
		const uint8_t *h = p->hdr + l3;
		size_t hl = (size_t)(h[0] & 0x0f) * 4;
		bool last = i + 1 == n;
		uint16_t f = rd16(h + 6);

		assert_memory_equal(p->hdr, frame, l3);                 /* MACs, tags */
		assert_int_equal(h[0] >> 4, 4);
		assert_int_equal(p->hlen, l3 + hl);
		assert_int_equal(rd16(h + 2), hl + p->len);
		assert_true(rd16(h + 2) <= ip_max);
		assert_int_equal(rfc1071_sum(h, hl), 0xffff);
		assert_memory_equal(h + 1, orig + 1, 1);                /* TOS */
		assert_memory_equal(h + 4, orig + 4, 2);                /* ID */
		assert_memory_equal(h + 8, orig + 8, 2);                /* TTL, protocol */
		assert_memory_equal(h + 12, orig + 12, 8);              /* addresses */
		assert_int_equal(f & 0x4000, 0);
		assert_int_equal(f & 0x1fff, s->frag + next / 8);
		assert_int_equal((f & 0x2000) != 0, !last || s->mf);
		if (!last) {
			/* A multiple of 8, and as much as fits. */
			assert_int_equal(p->len % 8, 0);
			assert_true(hl + p->len + 8 > ip_max);
		}
		if (i == 0) {
			assert_int_equal(hl, hl1);
			assert_memory_equal(h + 20, orig + 20, hl1 - 20);
		} else if (s->options) {
			/* LSRR only, padded with EOL to 8 bytes. */
			assert_int_equal(hl, 28);
			assert_memory_equal(h + 20, opts, 7);
			assert_int_equal(h[27], 0);
		} else {
			assert_int_equal(hl, 20);
		}
		assert_int_equal(p->off, l3 + hl1 + next);
		assert_true(p->off + p->len <= l3 + s->ip_len);       /* no padding */
		next += p->len;
	}
	assert_int_equal(next, s->ip_len - hl1);
}

static void splits_plain(void **state)
{
	struct spec s = { .ip_len = 1400 };

	(void)state;
	/* 1380 bytes of payload in 552 + 552 + 276 under 576. */
	split_and_check(&s, 576, 3);
	assert_int_equal(pieces[0].len, 552);
	assert_int_equal(pieces[2].len, 276);
	/* Just one byte over: two pieces. */
	split_and_check(&s, 1399, 2);
	/* The 1330 of the overlay over a 1400-byte IPv6 underlay. */
	s.ip_len = 1450;
	split_and_check(&s, 1330, 2);
	assert_int_equal(pieces[0].len, 1304);
	/* A jumbo frame into 68-byte packets is too many pieces. */
	s.ip_len = 9000;
	split_and_check(&s, 68, 0);
	split_and_check(&s, 1500, 7);
}

static void splits_options_tags_fragments(void **state)
{
	struct spec opt = { .options = true, .ip_len = 1400 };
	struct spec tags = { .tags = 2, .ip_len = 1000, .pad = 30 };
	struct spec mid = { .mf = true, .frag = 100, .ip_len = 1000 };
	struct spec tail = { .frag = 300, .ip_len = 1000 };

	(void)state;
	split_and_check(&opt, 576, 3);
	split_and_check(&tags, 500, 3);
	split_and_check(&mid, 500, 3);
	split_and_check(&tail, 500, 3);
	/* 8 bytes of payload per piece at the smallest. */
	split_and_check(&tail, 28, 0);
	tail.ip_len = 60;
	split_and_check(&tail, 28, 5);
}

static void refuses(void **state)
{
	struct spec s = { .ip_len = 1400 };
	size_t len;

	(void)state;
	s.df = true;
	assert_int_equal(frag_ipv4(frame, build(&s), 576, pieces, FRAG_MAX), 0);
	s.df = false;
	/* Fits already: 1400 bytes of IP in a 1414-byte frame. */
	assert_int_equal(frag_ipv4(frame, build(&s), 1414, pieces, FRAG_MAX), 0);
	assert_int_equal(frag_ipv4(frame, build(&s), 1413, pieces, FRAG_MAX), 2);
	/* Fewer pieces allowed than needed. */
	assert_int_equal(frag_ipv4(frame, build(&s), 576, pieces, 2), 0);
	/* Not room for the header and 8 bytes; not even for the Ethernet header. */
	assert_int_equal(frag_ipv4(frame, build(&s), 14 + 27, pieces, FRAG_MAX), 0);
	assert_int_equal(frag_ipv4(frame, build(&s), 10, pieces, FRAG_MAX), 0);
	/* Not IPv4: IPv6, ARP, a third tag. */
	len = build(&s);
	put16(frame + 12, 0x86dd);
	assert_int_equal(frag_ipv4(frame, len, 576, pieces, FRAG_MAX), 0);
	put16(frame + 12, 0x0806);
	assert_int_equal(frag_ipv4(frame, len, 576, pieces, FRAG_MAX), 0);
	s.tags = 3;
	assert_int_equal(frag_ipv4(frame, build(&s), 576, pieces, FRAG_MAX), 0);
	s.tags = 0;
	/* An option running past the header; one with length 1. */
	s.options = true;
	len = build(&s);
	frame[ETH_HLEN + 20 + 1] = 40;
	assert_int_equal(frag_ipv4(frame, len, 576, pieces, FRAG_MAX), 0);
	frame[ETH_HLEN + 20 + 1] = 1;
	assert_int_equal(frag_ipv4(frame, len, 576, pieces, FRAG_MAX), 0);
	/* A fragment offset that would pass 13 bits. */
	s.options = false;
	s.frag = 0x1fff - 10;
	assert_int_equal(frag_ipv4(frame, build(&s), 576, pieces, FRAG_MAX), 0);
}

/* Every prefix of a frame, as an exact-size heap copy: no read past it. */
static void truncations(void **state)
{
	struct spec s = { .options = true, .tags = 1, .ip_len = 700 };
	size_t len = build(&s);

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		size_t r;

		assert_non_null(copy);
		memcpy(copy, frame, n);
		r = frag_ipv4(copy, n, 300, pieces, FRAG_MAX);
		assert_int_equal(r, n == len ? 3 : 0);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_plain),
		cmocka_unit_test(splits_options_tags_fragments),
		cmocka_unit_test(refuses),
		cmocka_unit_test(truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
