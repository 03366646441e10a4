/* SPDX-License-Identifier: MIT */
/*
 * proto/arpc - the ARP/ND suppression cache.
 *
 * Same layout as proto/fdb: a dense pool of struct arpc_entry (40 bytes)
 * holding every entry in slots [0, n), and an open-addressing index of
 * 8-byte buckets (32-bit hash + pool index + 1, 0 = empty) with linear
 * probing, sized to a power of two of at least twice the pool capacity
 * (load factor <= 1/2, so every probe ends at an empty bucket). Deletion
 * shifts later members of the probe run back (no tombstones) and moves the
 * last pool entry into the hole. About 56 bytes per entry (72 when the
 * capacity sits just above a power of two).
 *
 * The hash is keyed (arpc_set_seed) so that addresses chosen by a remote
 * party do not land in one probe run.
 */
#include "arpc.h"
#include "vcap.h"

#include <pthread.h>

/* Keep total capacity well inside uint32_t indexes. */
#define ARPC_CAP_LIMIT (1u << 30)
#define ARPC_MIN_BUCKETS 16u

struct arpc_bucket {
	uint32_t hash;
	uint32_t idx1;                  /* pool index + 1; 0 = empty */
};

struct arpc {
	struct arpc_entry *pool;
	uint32_t n;                     /* entries in use: pool[0..n) */
	uint32_t cap_snooped;           /* allocated for */
	uint32_t cap_static;
	uint32_t max_snooped;           /* current caps, <= allocated */
	uint32_t max_static;
	struct arpc_bucket *buckets;
	uint32_t mask;                  /* buckets - 1 */
	uint64_t seed;
	size_t count[ARPC_TYPE_MAX];
	struct vcaps vcaps;             /* VNIs with a cap of their own (arpc_set_vni_max) */
	pthread_mutex_t *lock;          /* arpc_lock; a pointer so const callers can lock */
};

/* ------------------------------------------------------------------ */
/* Keys, hashing and the index.                                        */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* The canonical key form: family and address, every other byte zero, so
 * entries compare and print cleanly whatever the caller's padding held. */
static struct vtep_addr key_addr(const struct vtep_addr *ip)
{
	struct vtep_addr a;

	memset(&a, 0, sizeof(a));
	a.family = ip->family;
	if (ip->family == AF_INET)
		a.v4 = ip->v4;
	else if (ip->family == AF_INET6)
		a.v6 = ip->v6;
	return a;
}

static uint32_t key_hash(const struct arpc *c, uint32_t vni, const struct vtep_addr *ip)
{
	uint64_t w[2] = { 0, 0 };
	uint64_t h;

	if (ip->family == AF_INET6)
		memcpy(w, ip->v6.s6_addr, 16);
	else
		memcpy(w, &ip->v4, 4);
	h = mix64(c->seed ^ ((uint64_t)vni << 16 | ip->family));
	h = mix64(h ^ w[0]);
	h = mix64(h ^ w[1] ^ (c->seed >> 32 | c->seed << 32));
	return (uint32_t)(h ^ h >> 32);
}

static bool key_eq(const struct arpc_entry *e, uint32_t vni, const struct vtep_addr *ip)
{
	return e->vni == vni && vtep_addr_eq(&e->ip, ip);
}

/* The bucket holding (vni, ip), or the empty bucket where it would go;
 * *found says which. Terminates: at least half the buckets are empty. */
static uint32_t find_bucket(const struct arpc *c, uint32_t hash, uint32_t vni,
			    const struct vtep_addr *ip, bool *found)
{
	uint32_t i = hash & c->mask;

	for (;;) {
		const struct arpc_bucket *b = &c->buckets[i];

		if (b->idx1 == 0) {
			*found = false;
			return i;
		}
		if (b->hash == hash && key_eq(&c->pool[b->idx1 - 1], vni, ip)) {
			*found = true;
			return i;
		}
		i = (i + 1) & c->mask;
	}
}

/* Empty bucket i and shift later members of its probe run back, so that no
 * run has a hole (Knuth's algorithm R for linear probing). */
static void bucket_delete(struct arpc *c, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t home;

		c->buckets[i].idx1 = 0;
		for (;;) {
			j = (j + 1) & c->mask;
			if (c->buckets[j].idx1 == 0)
				return;
			home = c->buckets[j].hash & c->mask;
			/* j stays if its home lies cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		c->buckets[i] = c->buckets[j];
		i = j;
	}
}

static uint32_t bucket_of_index(const struct arpc *c, uint32_t idx)
{
	const struct arpc_entry *e = &c->pool[idx];
	uint32_t i = key_hash(c, e->vni, &e->ip) & c->mask;

	while (c->buckets[i].idx1 != idx + 1)
		i = (i + 1) & c->mask;
	return i;
}

/* Remove pool[idx]: its bucket goes, the last entry fills the hole. */
static void remove_index(struct arpc *c, uint32_t idx)
{
	uint32_t last = c->n - 1;

	c->count[c->pool[idx].type]--;
	if (c->pool[idx].type == ARPC_SNOOPED)
		vcaps_note(&c->vcaps, c->pool[idx].vni, false);
	bucket_delete(c, bucket_of_index(c, idx));
	if (idx != last) {
		uint32_t b = bucket_of_index(c, last);

		c->pool[idx] = c->pool[last];
		c->buckets[b].idx1 = idx + 1;
	}
	c->n--;
}

static struct arpc_entry *insert(struct arpc *c, uint32_t bucket, uint32_t hash, uint32_t vni,
				 const struct vtep_addr *ip, enum arpc_type type)
{
	struct arpc_entry *e = &c->pool[c->n];

	memset(e, 0, sizeof(*e));
	e->vni = vni;
	e->ip = key_addr(ip);
	e->type = (uint8_t)type;
	c->count[type]++;
	if (type == ARPC_SNOOPED)
		vcaps_note(&c->vcaps, vni, true);
	c->buckets[bucket].hash = hash;
	c->buckets[bucket].idx1 = c->n + 1;
	c->n++;
	return e;
}

/* ------------------------------------------------------------------ */
/* Allocation.                                                         */

static uint32_t buckets_for(uint32_t cap)
{
	uint32_t nb = ARPC_MIN_BUCKETS;

	while (nb < 2 * (uint64_t)cap)
		nb <<= 1;
	return nb;
}

/* (Re)build the pool and index for the given capacities, moving the
 * current entries over. On -ENOMEM c is untouched. */
static int arpc_alloc(struct arpc *c, uint32_t cap_snooped, uint32_t cap_static)
{
	uint64_t cap = (uint64_t)cap_snooped + cap_static;
	struct arpc_entry *pool;
	struct arpc_bucket *buckets;
	uint32_t nb;

	if (cap > ARPC_CAP_LIMIT)
		return -ENOMEM;
	nb = buckets_for((uint32_t)cap);
	pool = calloc(cap ? cap : 1, sizeof(*pool));
	buckets = calloc(nb, sizeof(*buckets));
	if (!pool || !buckets) {
		free(pool);
		free(buckets);
		return -ENOMEM;
	}
	if (c->n)
		memcpy(pool, c->pool, c->n * sizeof(*pool));
	free(c->pool);
	free(c->buckets);
	c->pool = pool;
	c->buckets = buckets;
	c->mask = nb - 1;
	c->cap_snooped = cap_snooped;
	c->cap_static = cap_static;
	for (uint32_t idx = 0; idx < c->n; idx++) {
		uint32_t h = key_hash(c, pool[idx].vni, &pool[idx].ip);
		uint32_t i = h & c->mask;

		while (buckets[i].idx1)
			i = (i + 1) & c->mask;
		buckets[i].hash = h;
		buckets[i].idx1 = idx + 1;
	}
	return 0;
}

struct arpc *arpc_new(uint32_t max_snooped, uint32_t max_static)
{
	struct arpc *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->lock = malloc(sizeof(*c->lock));
	if (!c->lock || pthread_mutex_init(c->lock, NULL) != 0) {
		free(c->lock);
		free(c);
		return NULL;
	}
	if (arpc_alloc(c, max_snooped, max_static) < 0) {
		pthread_mutex_destroy(c->lock);
		free(c->lock);
		free(c);
		return NULL;
	}
	c->max_snooped = max_snooped;
	c->max_static = max_static;
	return c;
}

void arpc_free(struct arpc *arpc)
{
	if (!arpc)
		return;
	free(arpc->pool);
	free(arpc->buckets);
	vcaps_free(&arpc->vcaps);
	pthread_mutex_destroy(arpc->lock);
	free(arpc->lock);
	free(arpc);
}

int arpc_set_seed(struct arpc *arpc, uint64_t seed)
{
	if (arpc->n)
		return -EBUSY;
	arpc->seed = seed;
	return 0;
}

int arpc_set_max_snooped(struct arpc *arpc, uint32_t max_snooped)
{
	if (max_snooped > arpc->cap_snooped) {
		int r = arpc_alloc(arpc, max_snooped, arpc->cap_static);

		if (r < 0)
			return r;
	}
	arpc->max_snooped = max_snooped;
	return 0;
}

/* The snooped entries of vni, counted (vcaps_count_fn). */
static uint32_t count_vni(const void *owner, uint32_t vni)
{
	const struct arpc *c = owner;
	uint32_t n = 0;

	for (uint32_t idx = 0; idx < c->n; idx++)
		n += c->pool[idx].vni == vni && c->pool[idx].type == ARPC_SNOOPED;
	return n;
}

int arpc_set_vni_max(struct arpc *arpc, uint32_t vni, uint32_t max_snooped)
{
	if (vni > VTEP_VNI_MAX)
		return -EINVAL;
	return vcaps_set_max(&arpc->vcaps, vni, max_snooped, count_vni, arpc);
}

int arpc_reserve_vni_caps(struct arpc *arpc)
{
	return vcaps_reserve(&arpc->vcaps);
}

size_t arpc_vni_snooped(const struct arpc *arpc, uint32_t vni)
{
	const struct vcap *vc = vcaps_find(&arpc->vcaps, vni);

	return vc ? vc->n : count_vni(arpc, vni);
}

int arpc_set_max_static(struct arpc *arpc, uint32_t max_static)
{
	if (max_static > arpc->cap_static) {
		int r = arpc_alloc(arpc, arpc->cap_snooped, max_static);

		if (r < 0)
			return r;
	}
	arpc->max_static = max_static;
	return 0;
}

int arpc_fit(struct arpc *arpc)
{
	uint32_t snooped = (uint32_t)arpc->count[ARPC_SNOOPED];
	uint32_t statics = arpc->n - snooped;       /* static and router entries */

	if (snooped < arpc->max_snooped)
		snooped = arpc->max_snooped;
	if (statics < arpc->max_static)
		statics = arpc->max_static;
	if ((uint64_t)snooped + statics >= (uint64_t)arpc->cap_snooped + arpc->cap_static)
		return 0;
	return arpc_alloc(arpc, snooped, statics);
}

/* ------------------------------------------------------------------ */
/* Lookup and snooping.                                                */

static struct arpc_entry *find(const struct arpc *c, uint32_t vni, const struct vtep_addr *ip)
{
	uint32_t i;
	bool found;

	if (ip->family != AF_INET && ip->family != AF_INET6)
		return NULL;
	i = find_bucket(c, key_hash(c, vni, ip), vni, ip, &found);
	return found ? &c->pool[c->buckets[i].idx1 - 1] : NULL;
}

const struct arpc_entry *arpc_lookup(const struct arpc *arpc, uint32_t vni,
				     const struct vtep_addr *ip)
{
	return find(arpc, vni, ip);
}

void arpc_lock(const struct arpc *arpc)
{
	pthread_mutex_lock(arpc->lock);
}

void arpc_unlock(const struct arpc *arpc)
{
	pthread_mutex_unlock(arpc->lock);
}

/* What may be cached: the same rule for snooped and static entries. */
static bool valid_key(uint32_t vni, const struct vtep_addr *ip, const struct vtep_mac *mac)
{
	return vni <= VTEP_VNI_MAX && vtep_addr_is_unicast(ip) && vtep_mac_is_valid_unicast(mac);
}

static enum arpc_snoop refresh(struct arpc_entry *e, const struct vtep_mac *mac, uint64_t now,
			       struct vtep_mac *ret_old_mac)
{
	if (e->type == ARPC_STATIC) {
		if (ret_old_mac)
			*ret_old_mac = e->mac;
		return ARPC_SNOOP_STATIC;
	}
	e->seen_ms = now;
	if (vtep_mac_eq(&e->mac, mac))
		return ARPC_SNOOP_REFRESHED;
	if (ret_old_mac)
		*ret_old_mac = e->mac;
	e->mac = *mac;
	e->flags = 0;
	return ARPC_SNOOP_MOVED;
}

enum arpc_snoop arpc_snoop(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
			   const struct vtep_mac *mac, uint64_t now,
			   struct vtep_mac *ret_old_mac)
{
	struct arpc_entry *e;
	uint32_t hash;
	uint32_t i;
	bool found;

	if (!valid_key(vni, ip, mac))
		return ARPC_SNOOP_INVALID;
	hash = key_hash(arpc, vni, ip);
	i = find_bucket(arpc, hash, vni, ip, &found);
	if (found)
		return refresh(&arpc->pool[arpc->buckets[i].idx1 - 1], mac, now, ret_old_mac);
	if (arpc->count[ARPC_SNOOPED] >= arpc->max_snooped ||
	    arpc->n >= arpc->cap_snooped + arpc->cap_static || vcaps_full(&arpc->vcaps, vni))
		return ARPC_SNOOP_FULL;
	e = insert(arpc, i, hash, vni, ip, ARPC_SNOOPED);
	e->mac = *mac;
	e->seen_ms = now;
	return ARPC_SNOOP_NEW;
}

int arpc_set_router(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
		    const struct vtep_mac *mac, bool router)
{
	struct arpc_entry *e = find(arpc, vni, ip);

	if (!e || !vtep_mac_eq(&e->mac, mac))
		return -ENOENT;
	e->flags = ARPC_F_ROUTER_KNOWN | (router ? ARPC_F_ROUTER : 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Configuration, removal, iteration.                                  */

int arpc_add_static(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip,
		    const struct vtep_mac *mac, uint64_t now)
{
	struct arpc_entry *e;
	uint32_t hash;
	uint32_t i;
	bool found;

	if (!valid_key(vni, ip, mac))
		return -EINVAL;
	hash = key_hash(arpc, vni, ip);
	i = find_bucket(arpc, hash, vni, ip, &found);
	e = found ? &arpc->pool[arpc->buckets[i].idx1 - 1] : NULL;
	if (e && e->type == ARPC_STATIC)
		return -EEXIST;
	if (arpc->count[ARPC_STATIC] >= arpc->max_static)
		return -ENOSPC;
	if (e) {
		arpc->count[e->type]--;
		if (e->type == ARPC_SNOOPED)
			vcaps_note(&arpc->vcaps, vni, false);
		e->type = ARPC_STATIC;
		arpc->count[ARPC_STATIC]++;
		if (!vtep_mac_eq(&e->mac, mac))
			e->flags = 0;
	} else {
		if (arpc->n >= arpc->cap_snooped + arpc->cap_static)
			return -ENOSPC;
		e = insert(arpc, i, hash, vni, ip, ARPC_STATIC);
	}
	e->mac = *mac;
	e->seen_ms = now;
	return 0;
}

int arpc_del(struct arpc *arpc, uint32_t vni, const struct vtep_addr *ip)
{
	struct arpc_entry *e = find(arpc, vni, ip);

	if (!e)
		return -ENOENT;
	remove_index(arpc, (uint32_t)(e - arpc->pool));
	return 0;
}

/* Walk the pool removing what pred selects; cb sees each one first. A
 * removal moves the last entry into slot idx, so idx is looked at again. */
static size_t remove_where(struct arpc *c, arpc_pred_cb pred, void *pred_arg,
			   arpc_foreach_cb cb, void *cb_arg)
{
	size_t removed = 0;
	uint32_t idx = 0;

	while (idx < c->n) {
		if (!pred(&c->pool[idx], pred_arg)) {
			idx++;
			continue;
		}
		if (cb)
			cb(&c->pool[idx], cb_arg);
		remove_index(c, idx);
		removed++;
	}
	return removed;
}

struct expire_arg {
	uint64_t now;
	uint64_t max_age_ms;
};

static bool is_expired(const struct arpc_entry *e, void *arg)
{
	const struct expire_arg *a = arg;

	if (e->type == ARPC_STATIC)
		return false;
	return a->now >= e->seen_ms && a->now - e->seen_ms >= a->max_age_ms;
}

size_t arpc_expire(struct arpc *arpc, uint64_t now, uint64_t max_age_ms, arpc_foreach_cb cb,
		   void *arg)
{
	struct expire_arg a = { .now = now, .max_age_ms = max_age_ms };

	return remove_where(arpc, is_expired, &a, cb, arg);
}

static bool in_vni(const struct arpc_entry *e, void *arg)
{
	return e->vni == *(const uint32_t *)arg;
}

size_t arpc_flush_vni(struct arpc *arpc, uint32_t vni)
{
	return remove_where(arpc, in_vni, &vni, NULL, NULL);
}

size_t arpc_flush_if(struct arpc *arpc, arpc_pred_cb pred, void *arg)
{
	return remove_where(arpc, pred, arg, NULL, NULL);
}

size_t arpc_count(const struct arpc *arpc, enum arpc_type type)
{
	if ((unsigned int)type < ARPC_TYPE_MAX)
		return arpc->count[type];
	return arpc->n;
}

void arpc_foreach(const struct arpc *arpc, arpc_foreach_cb cb, void *arg)
{
	for (uint32_t idx = 0; idx < arpc->n; idx++)
		cb(&arpc->pool[idx], arg);
}
