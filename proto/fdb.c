/* SPDX-License-Identifier: MIT */
/*
 * proto/fdb - the forwarding database.
 *
 * Layout: a dense pool of struct fdb_entry (48 bytes, move damping state
 * included) holding every entry in slots [0, n), and an open-addressing
 * index of 8-byte buckets (32-bit hash + pool index + 1, 0 = empty) with
 * linear probing. The index has a
 * power-of-two size of at least twice the pool capacity, so the load factor
 * stays at or below 1/2 and every probe ends at an empty bucket. Deletion
 * uses backward shift (no tombstones, so lookups never slow down with
 * churn), and the pool stays dense by moving its last entry into the hole.
 * At 1M learned entries: 48 MB pool + 16 MB index = 64 bytes per entry
 * (at most 80 when the capacity sits just above a power of two).
 *
 * The hash is keyed (fdb_set_seed) so that MACs chosen by a remote party do
 * not land in one probe run.
 *
 * Several packet workers share one table (fdb.h "Threads"): every change
 * happens under a mutex and inside a sequence count (odd while a change is
 * under way, cf. the kernel's seqcount). fdb_get reads without the mutex and
 * retries when the count moved; so does the common case of learning, a
 * refresh of an entry that stays where it is (fast_refresh). Nothing is
 * freed under a reader: the pool and index are reallocated only by
 * fdb_set_max_*, which the caller does with the workers stopped.
 */
#include "fdb.h"
#include "vcap.h"

#include <pthread.h>

/* Keep total capacity well inside uint32_t indexes and a size_t index. */
#define FDB_CAP_LIMIT (1u << 30)
#define FDB_MIN_BUCKETS 16u

struct fdb_bucket {
	uint32_t hash;
	uint32_t idx1;                  /* pool index + 1; 0 = empty */
};

struct fdb {
	struct fdb_entry *pool;
	uint32_t n;                     /* entries in use: pool[0..n) */
	uint32_t cap_learned;           /* allocated for */
	uint32_t cap_static;
	uint32_t max_learned;           /* current caps, <= allocated */
	uint32_t max_static;
	struct fdb_bucket *buckets;
	uint32_t mask;                  /* buckets - 1 */
	uint64_t seed;
	size_t count[FDB_TYPE_MAX];
	struct vcaps vcaps;             /* VNIs with a cap of their own (fdb_set_vni_max) */
	uint32_t damp_limit;            /* move damping, 0 = off */
	uint32_t damp_window_ms;
	uint32_t damp_hold_ms;
	uint32_t seq;                   /* odd while a writer changes the table */
	pthread_mutex_t *lock;          /* writers; a pointer so const readers can lock */
};

_Static_assert(sizeof(struct fdb_entry) <= 48, "fdb entry budget (64 bytes/entry at 1M)");

/* ------------------------------------------------------------------ */
/* Writers and lockless readers.                                       */

/* Readers retry across a change: the sequence is odd while it is made
 * (under the mutex). */
static void seq_begin(struct fdb *f)
{
	__atomic_store_n(&f->seq, f->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void seq_end(struct fdb *f)
{
	__atomic_store_n(&f->seq, f->seq + 1, __ATOMIC_RELEASE);
}

static void write_begin(struct fdb *f)
{
	pthread_mutex_lock(f->lock);
	seq_begin(f);
}

static void write_end(struct fdb *f)
{
	seq_end(f);
	pthread_mutex_unlock(f->lock);
}

/* A sequence number to read under: never odd (waits out a writer). */
static uint32_t read_begin(const struct fdb *f)
{
	uint32_t s;

	while ((s = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE)) & 1) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	return s;
}

/* True when a writer ran since read_begin returned s: what was read is void. */
static bool read_retry(const struct fdb *f, uint32_t s)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&f->seq, __ATOMIC_RELAXED) != s;
}

/* ------------------------------------------------------------------ */
/* Hashing and the index.                                              */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t key_hash(const struct fdb *f, uint32_t vni, const struct vtep_mac *mac)
{
	uint64_t a = 0;
	uint64_t h;

	for (int i = 0; i < 6; i++)
		a = a << 8 | mac->b[i];
	a |= (uint64_t)(vni & 0xffff) << 48;
	h = mix64(a ^ f->seed);
	h = mix64(h ^ (vni >> 16) ^ (f->seed >> 32 | f->seed << 32));
	return (uint32_t)(h ^ h >> 32);
}

static bool key_eq(const struct fdb_entry *e, uint32_t vni, const struct vtep_mac *mac)
{
	return e->vni == vni && vtep_mac_eq(&e->mac, mac);
}

/* The bucket holding (vni, mac), or the empty bucket where it would go;
 * *found says which. Terminates: at least half the buckets are empty. */
static uint32_t find_bucket(const struct fdb *f, uint32_t hash, uint32_t vni,
			    const struct vtep_mac *mac, bool *found)
{
	uint32_t i = hash & f->mask;
	uint32_t cap = f->cap_learned + f->cap_static;

	/* Bounded, and every index checked, for a lockless reader that may
	 * see the index half-way through a change (it retries afterwards). */
	for (uint32_t probes = 0; probes <= f->mask; probes++) {
		const struct fdb_bucket *b = &f->buckets[i];
		uint32_t idx1 = __atomic_load_n(&b->idx1, __ATOMIC_RELAXED);

		if (idx1 == 0 || idx1 > cap)
			break;
		if (b->hash == hash && key_eq(&f->pool[idx1 - 1], vni, mac)) {
			*found = true;
			return i;
		}
		i = (i + 1) & f->mask;
	}
	*found = false;
	return i;
}

/* Empty bucket i and shift later members of its probe run back, so that no
 * run has a hole (Knuth's algorithm R for linear probing). */
static void bucket_delete(struct fdb *f, uint32_t i)
{
	uint32_t j = i;

	for (;;) {
		uint32_t home;

		f->buckets[i].idx1 = 0;
		for (;;) {
			j = (j + 1) & f->mask;
			if (f->buckets[j].idx1 == 0)
				return;
			home = f->buckets[j].hash & f->mask;
			/* j stays if its home lies cyclically in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		f->buckets[i] = f->buckets[j];
		i = j;
	}
}

static uint32_t bucket_of_index(const struct fdb *f, uint32_t idx)
{
	const struct fdb_entry *e = &f->pool[idx];
	uint32_t i = key_hash(f, e->vni, &e->mac) & f->mask;

	while (f->buckets[i].idx1 != idx + 1)
		i = (i + 1) & f->mask;
	return i;
}

/* Entry e comes (true) or goes (false) as its type: the counts follow. */
static void count_entry(struct fdb *f, const struct fdb_entry *e, bool comes)
{
	if (comes)
		f->count[e->type]++;
	else
		f->count[e->type]--;
	if (e->type != FDB_STATIC)
		vcaps_note(&f->vcaps, e->vni, comes);
}

/*
 * seen_ms in the pool carries, above 48 bits of milliseconds (8900 years),
 * a generation of the slot, bumped whenever the slot takes another entry:
 * fast_refresh's compare-and-swap then cannot land on an entry a removal
 * moved into the slot after it looked (were the milliseconds all it
 * compared, two entries seen in the same millisecond would be confused).
 * Entries handed out (fdb_get, the callbacks, fdb_lookup's callers through
 * fdb_seen_ms) show the milliseconds only.
 */
#define SEEN_MS_MASK ((1ull << 48) - 1)
#define SEEN_GEN_ONE (1ull << 48)

static uint64_t seen_of(const struct fdb_entry *e)
{
	return __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED) & SEEN_MS_MASK;
}

/* Under the mutex: the milliseconds, the slot's generation kept. */
static void seen_set(struct fdb_entry *e, uint64_t now)
{
	uint64_t w = __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED);

	__atomic_store_n(&e->seen_ms, (w & ~SEEN_MS_MASK) | (now & SEEN_MS_MASK), __ATOMIC_RELAXED);
}

/* Put src into slot dst (or an empty entry, src NULL), with the next
 * generation: the word goes from the old occupant's to the new one's in a
 * single store. */
static void slot_fill(struct fdb_entry *dst, const struct fdb_entry *src)
{
	uint64_t gen = (__atomic_load_n(&dst->seen_ms, __ATOMIC_RELAXED) & ~SEEN_MS_MASK) +
		       SEEN_GEN_ONE;
	struct fdb_entry e;

	if (src)
		e = *src;
	else
		memset(&e, 0, sizeof(e));
	memcpy(dst, &e, offsetof(struct fdb_entry, seen_ms));
	__atomic_store_n(&dst->seen_ms, gen | (e.seen_ms & SEEN_MS_MASK), __ATOMIC_RELAXED);
}

uint64_t fdb_seen_ms(const struct fdb_entry *e)
{
	return seen_of(e);
}

/* e as handed out: the milliseconds only. */
static void entry_out(struct fdb_entry *out, const struct fdb_entry *e)
{
	memcpy(out, e, sizeof(*out));
	out->seen_ms &= SEEN_MS_MASK;
}

/* Remove pool[idx]: its bucket goes, the last entry fills the hole. */
static void remove_index(struct fdb *f, uint32_t idx)
{
	uint32_t last = f->n - 1;

	count_entry(f, &f->pool[idx], false);
	bucket_delete(f, bucket_of_index(f, idx));
	if (idx != last) {
		uint32_t b = bucket_of_index(f, last);

		slot_fill(&f->pool[idx], &f->pool[last]);
		f->buckets[b].idx1 = idx + 1;
	}
	f->n--;
}

static struct fdb_entry *insert(struct fdb *f, uint32_t bucket, uint32_t hash)
{
	struct fdb_entry *e = &f->pool[f->n];

	slot_fill(e, NULL);
	f->buckets[bucket].hash = hash;
	f->buckets[bucket].idx1 = f->n + 1;
	f->n++;
	return e;
}

/* ------------------------------------------------------------------ */
/* Allocation.                                                         */

static uint32_t buckets_for(uint32_t cap)
{
	uint32_t nb = FDB_MIN_BUCKETS;

	while (nb < 2 * (uint64_t)cap)
		nb <<= 1;
	return nb;
}

/* (Re)build the pool and index for the given capacities, moving the
 * current entries over. On -ENOMEM f is untouched. */
static int fdb_alloc(struct fdb *f, uint32_t cap_learned, uint32_t cap_static)
{
	uint64_t cap = (uint64_t)cap_learned + cap_static;
	struct fdb_entry *pool;
	struct fdb_bucket *buckets;
	uint32_t nb;

	if (cap > FDB_CAP_LIMIT)
		return -ENOMEM;
	nb = buckets_for((uint32_t)cap);
	pool = calloc(cap ? cap : 1, sizeof(*pool));
	buckets = calloc(nb, sizeof(*buckets));
	if (!pool || !buckets) {
		free(pool);
		free(buckets);
		return -ENOMEM;
	}
	if (f->n)
		memcpy(pool, f->pool, f->n * sizeof(*pool));
	free(f->pool);
	free(f->buckets);
	f->pool = pool;
	f->buckets = buckets;
	f->mask = nb - 1;
	f->cap_learned = cap_learned;
	f->cap_static = cap_static;
	for (uint32_t idx = 0; idx < f->n; idx++) {
		const struct fdb_entry *e = &pool[idx];
		uint32_t h = key_hash(f, e->vni, &e->mac);
		uint32_t i = h & f->mask;

		while (buckets[i].idx1)
			i = (i + 1) & f->mask;
		buckets[i].hash = h;
		buckets[i].idx1 = idx + 1;
	}
	return 0;
}

struct fdb *fdb_new(uint32_t max_learned, uint32_t max_static)
{
	struct fdb *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->lock = malloc(sizeof(*f->lock));
	if (!f->lock || pthread_mutex_init(f->lock, NULL) != 0) {
		free(f->lock);
		free(f);
		return NULL;
	}
	if (fdb_alloc(f, max_learned, max_static) < 0) {
		pthread_mutex_destroy(f->lock);
		free(f->lock);
		free(f);
		return NULL;
	}
	f->max_learned = max_learned;
	f->max_static = max_static;
	return f;
}

void fdb_free(struct fdb *fdb)
{
	if (!fdb)
		return;
	free(fdb->pool);
	free(fdb->buckets);
	vcaps_free(&fdb->vcaps);
	pthread_mutex_destroy(fdb->lock);
	free(fdb->lock);
	free(fdb);
}

int fdb_set_seed(struct fdb *fdb, uint64_t seed)
{
	int r = 0;

	write_begin(fdb);
	if (fdb->n)
		r = -EBUSY;
	else
		fdb->seed = seed;
	write_end(fdb);
	return r;
}

int fdb_set_max_learned(struct fdb *fdb, uint32_t max_learned)
{
	int r = 0;

	write_begin(fdb);
	if (max_learned > fdb->cap_learned)
		r = fdb_alloc(fdb, max_learned, fdb->cap_static);
	if (r == 0)
		fdb->max_learned = max_learned;
	write_end(fdb);
	return r;
}

/* The learned entries of vni, counted (vcaps_count_fn). */
static uint32_t count_vni(const void *owner, uint32_t vni)
{
	const struct fdb *f = owner;
	uint32_t n = 0;

	for (uint32_t idx = 0; idx < f->n; idx++)
		n += f->pool[idx].vni == vni && f->pool[idx].type != FDB_STATIC;
	return n;
}

int fdb_set_vni_max(struct fdb *fdb, uint32_t vni, uint32_t max_learned)
{
	int r;

	if (vni > VTEP_VNI_MAX)
		return -EINVAL;
	write_begin(fdb);
	r = vcaps_set_max(&fdb->vcaps, vni, max_learned, count_vni, fdb);
	write_end(fdb);
	return r;
}

int fdb_reserve_vni_caps(struct fdb *fdb)
{
	int r;

	write_begin(fdb);
	r = vcaps_reserve(&fdb->vcaps);
	write_end(fdb);
	return r;
}

size_t fdb_vni_learned(const struct fdb *fdb, uint32_t vni)
{
	const struct vcap *vc;
	size_t n;

	pthread_mutex_lock(fdb->lock);
	vc = vcaps_find(&fdb->vcaps, vni);
	n = vc ? vc->n : count_vni(fdb, vni);
	pthread_mutex_unlock(fdb->lock);
	return n;
}

int fdb_set_max_static(struct fdb *fdb, uint32_t max_static)
{
	int r = 0;

	write_begin(fdb);
	if (max_static > fdb->cap_static)
		r = fdb_alloc(fdb, fdb->cap_learned, max_static);
	if (r == 0)
		fdb->max_static = max_static;
	write_end(fdb);
	return r;
}

int fdb_fit(struct fdb *fdb)
{
	uint32_t learned, statics;
	int r = 0;

	write_begin(fdb);
	statics = (uint32_t)fdb->count[FDB_STATIC];
	learned = fdb->n - statics;
	if (statics < fdb->max_static)
		statics = fdb->max_static;
	if (learned < fdb->max_learned)
		learned = fdb->max_learned;
	if ((uint64_t)learned + statics < (uint64_t)fdb->cap_learned + fdb->cap_static)
		r = fdb_alloc(fdb, learned, statics);
	write_end(fdb);
	return r;
}

/* ------------------------------------------------------------------ */
/* Lookup and learning.                                                */

const struct fdb_entry *fdb_lookup(const struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac)
{
	uint32_t i;
	bool found;

	i = find_bucket(fdb, key_hash(fdb, vni, mac), vni, mac, &found);
	return found ? &fdb->pool[fdb->buckets[i].idx1 - 1] : NULL;
}

/* The pool index in bucket i for a lockless reader: read once, and checked
 * (a writer may have emptied the bucket since find_bucket looked). */
static bool bucket_index(const struct fdb *f, uint32_t i, uint32_t *ret_idx)
{
	uint32_t idx1 = __atomic_load_n(&f->buckets[i].idx1, __ATOMIC_RELAXED);

	if (idx1 == 0 || idx1 > f->cap_learned + f->cap_static)
		return false;
	*ret_idx = idx1 - 1;
	return true;
}

bool fdb_get(const struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
	     struct fdb_entry *ret)
{
	uint32_t s, i, idx;
	bool found;

	do {
		s = read_begin(fdb);
		i = find_bucket(fdb, key_hash(fdb, vni, mac), vni, mac, &found);
		found = found && bucket_index(fdb, i, &idx);
		if (found)
			entry_out(ret, &fdb->pool[idx]);
	} while (read_retry(fdb, s));
	return found;
}

static size_t learned_count(const struct fdb *f)
{
	return f->count[FDB_LOCAL] + f->count[FDB_REMOTE];
}

static bool loc_eq(const struct fdb_entry *e, const struct fdb_loc *loc)
{
	if (e->type != loc->type)
		return false;
	if (e->type == FDB_LOCAL)
		return e->tap == loc->tap;
	return vtep_addr_eq(&e->remote, &loc->remote);
}

static void set_loc(struct fdb *f, struct fdb_entry *e, const struct fdb_loc *loc)
{
	count_entry(f, e, false);
	e->type = loc->type;
	e->tap = loc->type == FDB_LOCAL ? loc->tap : 0;
	memset(&e->remote, 0, sizeof(e->remote));
	if (loc->type != FDB_LOCAL)
		e->remote = loc->remote;
	count_entry(f, e, true);
}

/* ------------------------------------------------------------------ */
/* Move damping.                                                       */

int fdb_set_damping(struct fdb *fdb, uint32_t limit, uint64_t window_ms, uint64_t hold_ms)
{
	if (limit > UINT16_MAX || window_ms > INT32_MAX || hold_ms > INT32_MAX)
		return -EINVAL;
	write_begin(fdb);
	fdb->damp_limit = limit;
	fdb->damp_window_ms = (uint32_t)window_ms;
	fdb->damp_hold_ms = (uint32_t)hold_ms;
	write_end(fdb);
	return 0;
}

/* Milliseconds since e's damping start. 32-bit wrapping arithmetic is
 * exact while the start is under 2^32 ms old; damp_expire runs at every
 * learn and resets state older than the window or hold (both < 2^31), and
 * an entry nobody learns ages out long before 49 days. */
static uint32_t damp_elapsed(const struct fdb_entry *e, uint64_t now)
{
	return (uint32_t)now - e->damp_ms;
}

static bool frozen_at(const struct fdb *f, const struct fdb_entry *e, uint64_t now)
{
	return f->damp_limit && (e->flags & FDB_F_FROZEN) &&
	       damp_elapsed(e, now) < f->damp_hold_ms;
}

bool fdb_frozen(const struct fdb *fdb, const struct fdb_entry *e, uint64_t now)
{
	return e->type != FDB_STATIC && frozen_at(fdb, e, now);
}

/* Forget a freeze whose hold is over, or a move count whose window is. */
static void damp_expire(const struct fdb *f, struct fdb_entry *e, uint64_t now)
{
	if (e->flags & FDB_F_FROZEN) {
		if (!frozen_at(f, e, now)) {
			e->flags &= (uint8_t)~FDB_F_FROZEN;
			e->moves = 0;
		}
	} else if (e->moves && damp_elapsed(e, now) >= f->damp_window_ms) {
		e->moves = 0;
	}
}

/* e is about to move: MOVED (go ahead), FROZE (go ahead, it is frozen
 * there from now on) or FROZEN (refuse). */
static enum fdb_learn damp_move(const struct fdb *f, struct fdb_entry *e, uint64_t now)
{
	if (!f->damp_limit)
		return FDB_LEARN_MOVED;
	if (e->flags & FDB_F_FROZEN)
		return FDB_LEARN_FROZEN;        /* damp_expire thawed it if it was over */
	if (e->moves == 0)
		e->damp_ms = (uint32_t)now;
	e->moves++;
	if (e->moves < f->damp_limit)
		return FDB_LEARN_MOVED;
	e->flags |= FDB_F_FROZEN;
	e->damp_ms = (uint32_t)now;
	return FDB_LEARN_FROZE;
}

static enum fdb_learn learn(struct fdb *f, uint32_t vni, const struct vtep_mac *mac,
			    const struct fdb_loc *loc, uint64_t now, struct fdb_loc *ret_old)
{
	struct fdb_entry *e;
	enum fdb_learn r;
	uint32_t hash;
	uint32_t i;
	bool found;

	if (!vtep_mac_is_valid_unicast(mac) || vni > VTEP_VNI_MAX)
		return FDB_LEARN_INVALID;
	hash = key_hash(f, vni, mac);
	i = find_bucket(f, hash, vni, mac, &found);
	if (found) {
		e = &f->pool[f->buckets[i].idx1 - 1];
		if (e->type == FDB_STATIC)
			return FDB_LEARN_STATIC;
		damp_expire(f, e, now);
		if (loc_eq(e, loc)) {
			seen_set(e, now);
			return FDB_LEARN_REFRESHED;
		}
		r = damp_move(f, e, now);
		if (r == FDB_LEARN_FROZEN)
			return r;
		seen_set(e, now);
		if (ret_old) {
			memset(ret_old, 0, sizeof(*ret_old));
			ret_old->type = e->type;
			ret_old->tap = e->tap;
			ret_old->remote = e->remote;
		}
		set_loc(f, e, loc);
		return r;
	}
	if (learned_count(f) >= f->max_learned || f->n >= f->cap_learned + f->cap_static)
		return FDB_LEARN_FULL;
	if (vcaps_full(&f->vcaps, vni))
		return FDB_LEARN_FULL;
	e = insert(f, i, hash);
	e->vni = vni;
	e->mac = *mac;
	e->type = FDB_LOCAL;            /* counted here, then moved by set_loc */
	count_entry(f, e, true);
	set_loc(f, e, loc);
	seen_set(e, now);
	return FDB_LEARN_NEW;
}

/* Damping state that the next learn would change (damp_expire). */
static bool damp_stale(const struct fdb *f, const struct fdb_entry *e, uint64_t now)
{
	if (e->flags & FDB_F_FROZEN)
		return !frozen_at(f, e, now);
	return e->moves && damp_elapsed(e, now) >= f->damp_window_ms;
}

/*
 * Most learning is a refresh: the MAC is where it was. Found without the
 * mutex, seen_ms stored, and the sequence checked afterwards: unchanged,
 * the store hit the entry it meant to (no writer moved the pool meanwhile).
 * Otherwise, or for anything but a plain refresh, false: take the mutex.
 */
static bool fast_refresh(struct fdb *f, uint32_t vni, const struct vtep_mac *mac,
			 const struct fdb_loc *loc, uint64_t now)
{
	struct fdb_entry copy;
	uint32_t s, i, idx;
	bool found;

	s = read_begin(f);
	i = find_bucket(f, key_hash(f, vni, mac), vni, mac, &found);
	if (!found || !bucket_index(f, i, &idx))
		return false;
	memcpy(&copy, &f->pool[idx], sizeof(copy));
	if (read_retry(f, s) || copy.type == FDB_STATIC || !loc_eq(&copy, loc) ||
	    damp_stale(f, &copy, now))
		return false;
	/* Only if the slot still holds what was read: a removal meanwhile may
	 * have moved another entry into it (its seen_ms differs, but for one
	 * refreshed in the same millisecond); a refresh by another worker
	 * meanwhile makes this one moot. Either way: under the mutex. */
	if (!__atomic_compare_exchange_n(&f->pool[idx].seen_ms, &copy.seen_ms,
					 (copy.seen_ms & ~SEEN_MS_MASK) | (now & SEEN_MS_MASK), false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return false;
	return !read_retry(f, s);
}

static enum fdb_learn learn_shared(struct fdb *f, uint32_t vni, const struct vtep_mac *mac,
				   const struct fdb_loc *loc, uint64_t now,
				   struct fdb_loc *ret_old)
{
	enum fdb_learn r;

	if (!vtep_mac_is_valid_unicast(mac) || vni > VTEP_VNI_MAX)
		return FDB_LEARN_INVALID;
	if (fast_refresh(f, vni, mac, loc, now))
		return FDB_LEARN_REFRESHED;
	write_begin(f);
	r = learn(f, vni, mac, loc, now, ret_old);
	write_end(f);
	return r;
}

enum fdb_learn fdb_learn_local(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
			       uint16_t tap, uint64_t now, struct fdb_loc *ret_old)
{
	struct fdb_loc loc;

	memset(&loc, 0, sizeof(loc));
	loc.type = FDB_LOCAL;
	loc.tap = tap;
	return learn_shared(fdb, vni, mac, &loc, now, ret_old);
}

enum fdb_learn fdb_learn_remote(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
				const struct vtep_addr *remote, uint64_t now,
				struct fdb_loc *ret_old)
{
	struct fdb_loc loc;

	if (!vtep_addr_is_unicast(remote))
		return FDB_LEARN_INVALID;
	memset(&loc, 0, sizeof(loc));
	loc.type = FDB_REMOTE;
	loc.remote = *remote;
	return learn_shared(fdb, vni, mac, &loc, now, ret_old);
}

/* ------------------------------------------------------------------ */
/* Configuration, removal, iteration.                                  */

static int add_static(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
		      const struct vtep_addr *remote, uint64_t now)
{
	struct fdb_entry *e;
	struct fdb_loc loc;
	uint32_t hash;
	uint32_t i;
	bool found;

	if (!vtep_mac_is_valid_unicast(mac) || vni > VTEP_VNI_MAX || !vtep_addr_is_unicast(remote))
		return -EINVAL;
	hash = key_hash(fdb, vni, mac);
	i = find_bucket(fdb, hash, vni, mac, &found);
	if (found && fdb->pool[fdb->buckets[i].idx1 - 1].type == FDB_STATIC)
		return -EEXIST;
	if (fdb->count[FDB_STATIC] >= fdb->max_static)
		return -ENOSPC;
	if (found) {
		e = &fdb->pool[fdb->buckets[i].idx1 - 1];
		e->flags = 0;           /* no damping state on a static entry */
		e->moves = 0;
		e->damp_ms = 0;
	} else {
		if (fdb->n >= fdb->cap_learned + fdb->cap_static)
			return -ENOSPC;
		e = insert(fdb, i, hash);
		e->vni = vni;
		e->mac = *mac;
		e->type = FDB_STATIC;
		count_entry(fdb, e, true);
	}
	memset(&loc, 0, sizeof(loc));
	loc.type = FDB_STATIC;
	loc.remote = *remote;
	set_loc(fdb, e, &loc);
	seen_set(e, now);
	return 0;
}

int fdb_add_static(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac,
		   const struct vtep_addr *remote, uint64_t now)
{
	int r;

	write_begin(fdb);
	r = add_static(fdb, vni, mac, remote, now);
	write_end(fdb);
	return r;
}

int fdb_del(struct fdb *fdb, uint32_t vni, const struct vtep_mac *mac)
{
	uint32_t i;
	bool found;
	int r = -ENOENT;

	write_begin(fdb);
	i = find_bucket(fdb, key_hash(fdb, vni, mac), vni, mac, &found);
	if (found) {
		remove_index(fdb, fdb->buckets[i].idx1 - 1);
		r = 0;
	}
	write_end(fdb);
	return r;
}

enum { REMOVE_CHUNK = 4096 };          /* entries looked at per hold of the mutex */

/*
 * Walk the pool removing what pred selects; cb sees each one first. A
 * removal moves the last entry into slot idx, so idx is looked at again.
 * Readers are held off (the sequence odd) only around each removal, not
 * for the walk: with a million entries the walk takes milliseconds, and
 * every lookup on every worker would spin that long (the ageing walk runs
 * each second). The mutex is let go every REMOVE_CHUNK entries, for a
 * worker that learns a new MAC; meanwhile entries are only added at the
 * end or changed in place (only this thread removes), so none is skipped.
 */
static size_t remove_where(struct fdb *f, fdb_pred_cb pred, void *pred_arg, fdb_foreach_cb cb,
			   void *cb_arg)
{
	size_t removed = 0;
	uint32_t idx = 0, looked = 0;

	pthread_mutex_lock(f->lock);
	while (idx < f->n) {
		if (++looked % REMOVE_CHUNK == 0) {
			pthread_mutex_unlock(f->lock);
			pthread_mutex_lock(f->lock);
			if (idx >= f->n)
				break;
		}
		if (!pred(&f->pool[idx], pred_arg)) {
			idx++;
			continue;
		}
		if (cb) {
			struct fdb_entry out;

			entry_out(&out, &f->pool[idx]);
			cb(&out, cb_arg);
		}
		seq_begin(f);
		remove_index(f, idx);
		seq_end(f);
		removed++;
	}
	pthread_mutex_unlock(f->lock);
	return removed;
}

struct expire_arg {
	uint64_t now;
	uint64_t max_age_ms;
};

static bool is_expired(const struct fdb_entry *e, void *arg)
{
	const struct expire_arg *a = arg;

	uint64_t seen = seen_of(e);     /* fast_refresh may store meanwhile */

	if (e->type == FDB_STATIC)
		return false;
	return a->now >= seen && a->now - seen >= a->max_age_ms;
}

size_t fdb_expire(struct fdb *fdb, uint64_t now, uint64_t max_age_ms, fdb_foreach_cb cb,
		  void *arg)
{
	struct expire_arg a = { .now = now, .max_age_ms = max_age_ms };

	return remove_where(fdb, is_expired, &a, cb, arg);
}

static bool in_vni(const struct fdb_entry *e, void *arg)
{
	return e->vni == *(const uint32_t *)arg;
}

size_t fdb_flush_vni(struct fdb *fdb, uint32_t vni)
{
	return remove_where(fdb, in_vni, &vni, NULL, NULL);
}

static bool on_tap(const struct fdb_entry *e, void *arg)
{
	return e->type == FDB_LOCAL && e->tap == *(const uint16_t *)arg;
}

size_t fdb_flush_tap(struct fdb *fdb, uint16_t tap)
{
	return remove_where(fdb, on_tap, &tap, NULL, NULL);
}

static bool at_remote(const struct fdb_entry *e, void *arg)
{
	return e->type == FDB_REMOTE && vtep_addr_eq(&e->remote, arg);
}

size_t fdb_flush_remote(struct fdb *fdb, const struct vtep_addr *remote)
{
	struct vtep_addr r = *remote;

	return remove_where(fdb, at_remote, &r, NULL, NULL);
}

size_t fdb_flush_if(struct fdb *fdb, fdb_pred_cb pred, void *arg)
{
	return remove_where(fdb, pred, arg, NULL, NULL);
}

size_t fdb_count(const struct fdb *fdb, enum fdb_type type)
{
	size_t n;

	pthread_mutex_lock(fdb->lock);
	n = (unsigned int)type < FDB_TYPE_MAX ? fdb->count[type] : fdb->n;
	pthread_mutex_unlock(fdb->lock);
	return n;
}

void fdb_foreach(const struct fdb *fdb, fdb_foreach_cb cb, void *arg)
{
	pthread_mutex_lock(fdb->lock);
	for (uint32_t idx = 0; idx < fdb->n; idx++) {
		struct fdb_entry out;

		entry_out(&out, &fdb->pool[idx]);
		cb(&out, arg);
	}
	pthread_mutex_unlock(fdb->lock);
}
