/* SPDX-License-Identifier: MIT */
/*
 * proto/remotes - traffic per remote VTEP (see remotes.h).
 */
#include "remotes.h"

#include <stdlib.h>

struct remotes *remotes_new(uint64_t seed)
{
	struct remotes *t = calloc(1, sizeof(*t));

	if (t)
		t->seed = seed;
	return t;
}

void remotes_free(struct remotes *t)
{
	free(t);
}

/* a's family and address bytes only: the rest of the union may be anything. */
static void addr_norm(struct vtep_addr *ret, const struct vtep_addr *a)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = a->family;
	if (a->family == AF_INET6)
		ret->v6 = a->v6;
	else
		ret->v4 = a->v4;
}

static size_t home_of(const struct remotes *t, const struct vtep_addr *a)
{
	const uint8_t *p = a->family == AF_INET6 ? a->v6.s6_addr : (const uint8_t *)&a->v4;
	size_t n = a->family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
	uint64_t h = t->seed ^ a->family;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;       /* FNV-1a */
	return (size_t)(h ^ (h >> 32)) & (REMOTES_CAP - 1);
}

/* a's slot, taken if need be; NULL: none within REMOTES_PROBE. */
static struct remote_slot *slot_of(struct remotes *t, const struct vtep_addr *a)
{
	size_t home;

	if (t->last && vtep_addr_eq(&t->last->addr, a))
		return t->last;
	home = home_of(t, a);
	for (size_t i = 0; i < REMOTES_PROBE; i++) {
		struct remote_slot *s = &t->slot[(home + i) & (REMOTES_CAP - 1)];

		if (!s->used) {
			addr_norm(&s->addr, a);
			__atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
			t->n++;
			return t->last = s;
		}
		if (vtep_addr_eq(&s->addr, a))
			return t->last = s;
	}
	return NULL;
}

void remotes_rx(struct remotes *t, const struct vtep_addr *a, uint64_t packets, uint64_t bytes,
		uint64_t now_ms)
{
	struct remote_slot *s = slot_of(t, a);

	if (!s) {
		t->untracked += packets;
		return;
	}
	s->s.rx_packets += packets;
	s->s.rx_bytes += bytes;
	s->s.last_rx_ms = now_ms;
}

void remotes_tx(struct remotes *t, const struct vtep_addr *a, uint64_t packets, uint64_t bytes)
{
	struct remote_slot *s = slot_of(t, a);

	if (!s) {
		t->untracked += packets;
		return;
	}
	s->s.tx_packets += packets;
	s->s.tx_bytes += bytes;
}

bool remotes_at(const struct remotes *t, size_t i, struct vtep_addr *ret_addr,
		struct remote_stats *ret)
{
	const struct remote_slot *s;

	if (i >= REMOTES_CAP)
		return false;
	s = &t->slot[i];
	if (!__atomic_load_n(&s->used, __ATOMIC_ACQUIRE))
		return false;
	*ret_addr = s->addr;
	*ret = s->s;
	return true;
}

void remotes_fold(struct remotes *dst, const struct remotes *src)
{
	struct remote_stats st;
	struct vtep_addr a;

	for (size_t i = 0; i < REMOTES_CAP; i++) {
		struct remote_slot *s;

		if (!remotes_at(src, i, &a, &st))
			continue;
		s = slot_of(dst, &a);
		if (!s) {
			dst->untracked += st.rx_packets + st.tx_packets;
			continue;
		}
		remote_stats_add(&s->s, &st);
	}
	dst->untracked += src->untracked;
}
