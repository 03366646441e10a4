/* SPDX-License-Identifier: MIT */
/*
 * test_fdb_mt - the forwarding database shared by packet workers: threads
 * learning (new entries, refreshes, moves), looking up with fdb_get, ageing
 * and flushing at the same time. Every location a thread writes is derived
 * from the MAC (tap = low bits of the MAC, remote = 10.x.y.z of it), so a
 * lookup that returned another entry's data, or a half-written one, shows.
 * Runs a fixed number of operations (no timing); the counts at the end are
 * checked against fdb_count and a full walk. The clock is the learners'
 * progress, not the ager's rounds: a learner the scheduler starves cannot
 * see its entries aged out under it, so the readers always have entries to
 * find, however the threads are scheduled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>

#include "../../proto/fdb.h"

enum {
	N_MACS = 4096,                  /* keys; the table holds fewer (churn) */
	CAP = 3000,
	OPS = 200000,                   /* per thread */
	N_LEARNERS = 2,
	N_READERS = 2,
	PRELEARN = 2000,                /* remote entries learned before the threads start */
	PRELEARN_MS = 1,
};

struct shared {
	struct fdb *fdb;
	uint64_t now;                   /* ms; set by the ager from ops */
	uint64_t ops;                   /* learner operations done (1 ms each) */
	unsigned int stop;
	unsigned long bad;              /* inconsistent lookups seen */
	unsigned long hits;
};

static struct vtep_mac mac_n(uint32_t n)
{
	struct vtep_mac m = { { 0x02, 0x00, 0x00, 0x00, (uint8_t)(n >> 8), (uint8_t)n } };

	return m;
}

static uint32_t mac_num(const struct vtep_mac *m)
{
	return (uint32_t)m->b[4] << 8 | m->b[5];
}

static struct vtep_addr remote_of(uint32_t n)
{
	return vtep_addr_v4(htobe32(0x0a000000u | n));
}

static uint16_t tap_of(uint32_t n)
{
	return (uint16_t)(n & 0x3ff);
}

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

/* What a lookup returned must be an entry some thread could have written
 * for exactly that MAC. */
static bool consistent(const struct fdb_entry *e, uint32_t n)
{
	struct vtep_addr r = remote_of(n);

	if (e->vni != 7 || mac_num(&e->mac) != n)
		return false;
	if (e->type == FDB_LOCAL)
		return e->tap == tap_of(n);
	return e->type == FDB_REMOTE && vtep_addr_eq(&e->remote, &r);
}

static void *learner(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed | 1;

	for (unsigned int i = 0; i < OPS; i++) {
		uint32_t n = rnd(&seed) % N_MACS;
		struct vtep_mac m = mac_n(n);
		uint64_t now = __atomic_load_n(&sh->now, __ATOMIC_RELAXED);
		struct vtep_addr r = remote_of(n);

		if (rnd(&seed) & 1)
			(void)fdb_learn_local(sh->fdb, 7, &m, tap_of(n), now, NULL);
		else
			(void)fdb_learn_remote(sh->fdb, 7, &m, &r, now, NULL);
		__atomic_add_fetch(&sh->ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct shared *sh = arg;
	uint64_t seed = (uint64_t)(uintptr_t)&seed | 1;
	unsigned long bad = 0, hits = 0;

	for (unsigned int i = 0; i < OPS; i++) {
		uint32_t n = rnd(&seed) % N_MACS;
		struct vtep_mac m = mac_n(n);
		struct fdb_entry e;

		if (fdb_get(sh->fdb, 7, &m, &e)) {
			hits++;
			if (!consistent(&e, n))
				bad++;
		}
	}
	__atomic_add_fetch(&sh->bad, bad, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sh->hits, hits, __ATOMIC_RELAXED);
	return NULL;
}

struct walk {
	size_t n;
	size_t bad;
};

static void walk_cb(const struct fdb_entry *e, void *arg)
{
	struct walk *w = arg;

	w->n++;
	if (!consistent(e, mac_num(&e->mac)))
		w->bad++;
}

/* Ages (entries live 20 s: 20000 learner operations), flushes one tap a
 * round and walks the table, until the readers are done. */
static void *ager(void *arg)
{
	struct shared *sh = arg;
	uint16_t tap = 0;

	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		struct walk w = { 0, 0 };
		uint64_t now = PRELEARN_MS + __atomic_load_n(&sh->ops, __ATOMIC_RELAXED);

		__atomic_store_n(&sh->now, now, __ATOMIC_RELAXED);

		(void)fdb_expire(sh->fdb, now, 20000, NULL, NULL);
		(void)fdb_flush_tap(sh->fdb, tap++ & 0x3ff);
		fdb_foreach(sh->fdb, walk_cb, &w);
		if (w.bad)
			__atomic_add_fetch(&sh->bad, w.bad, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct shared sh = { .now = PRELEARN_MS };
	pthread_t learners[N_LEARNERS], readers[N_READERS], age;
	struct walk w = { 0, 0 };

	(void)state;
	sh.fdb = fdb_new(CAP, 16);
	assert_non_null(sh.fdb);
	/* Entries for the readers even if they run before any learner. */
	for (uint32_t n = 0; n < PRELEARN; n++) {
		struct vtep_mac m = mac_n(n);
		struct vtep_addr r = remote_of(n);

		assert_int_equal(fdb_learn_remote(sh.fdb, 7, &m, &r, PRELEARN_MS, NULL),
				 FDB_LEARN_NEW);
	}
	assert_int_equal(pthread_create(&age, NULL, ager, &sh), 0);
	for (int i = 0; i < N_LEARNERS; i++)
		assert_int_equal(pthread_create(&learners[i], NULL, learner, &sh), 0);
	for (int i = 0; i < N_READERS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader, &sh), 0);
	for (int i = 0; i < N_LEARNERS; i++)
		pthread_join(learners[i], NULL);
	for (int i = 0; i < N_READERS; i++)
		pthread_join(readers[i], NULL);
	__atomic_store_n(&sh.stop, 1, __ATOMIC_RELEASE);
	pthread_join(age, NULL);

	assert_int_equal(sh.bad, 0);
	assert_true(sh.hits > 0);       /* the readers did find entries */
	fdb_foreach(sh.fdb, walk_cb, &w);
	assert_int_equal(w.bad, 0);
	assert_int_equal(w.n, fdb_count(sh.fdb, FDB_TYPE_MAX));
	assert_int_equal(fdb_count(sh.fdb, FDB_LOCAL) + fdb_count(sh.fdb, FDB_REMOTE), w.n);
	assert_true(w.n <= CAP);
	/* Every entry the walk saw is found by key. */
	for (uint32_t n = 0; n < N_MACS; n++) {
		struct vtep_mac m = mac_n(n);
		struct fdb_entry e;

		if (fdb_get(sh.fdb, 7, &m, &e))
			assert_true(consistent(&e, n));
	}
	fdb_free(sh.fdb);
}

/* The lockless refresh really refreshes: an entry learned at t=0 and
 * refreshed (same place) at t=10 s survives ageing at t=25 s with max age 20 s. */
static void test_refresh_lockless(void **state)
{
	struct fdb *f = fdb_new(8, 0);
	struct vtep_mac m = mac_n(1);
	struct fdb_entry e;

	(void)state;
	assert_non_null(f);
	assert_int_equal(fdb_learn_local(f, 7, &m, 3, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn_local(f, 7, &m, 3, 10000, NULL), FDB_LEARN_REFRESHED);
	assert_true(fdb_get(f, 7, &m, &e));
	assert_int_equal(e.seen_ms, 10000);
	assert_int_equal(fdb_expire(f, 25000, 20000, NULL, NULL), 0);
	assert_int_equal(fdb_expire(f, 30000, 20000, NULL, NULL), 1);
	assert_false(fdb_get(f, 7, &m, &e));
	fdb_free(f);
}

/*
 * A walk (ageing, a flush) holds lookups off only while it removes: a
 * lookup on another thread, made from inside the walk's predicate (so the
 * walk is certainly under way), completes. Had the walk kept readers out
 * throughout, the lookup would spin until the walk ends: the predicate
 * waits for it at most a second, then lets the walk go on and the check
 * fails.
 */
struct probe {
	struct fdb *fdb;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t reader;
	bool asked, done, found;
	unsigned int completed;         /* lookups that finished inside the walk */
};

static void *probe_reader(void *arg)
{
	struct probe *p = arg;
	struct vtep_mac m = mac_n(1);
	struct fdb_entry e;
	bool found = fdb_get(p->fdb, 7, &m, &e);

	pthread_mutex_lock(&p->lock);
	p->found = found;
	p->done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static bool probe_pred(const struct fdb_entry *e, void *arg)
{
	struct probe *p = arg;
	struct timespec until;

	(void)e;
	if (p->asked)
		return false;
	p->asked = true;
	assert_int_equal(pthread_create(&p->reader, NULL, probe_reader, p), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&p->lock);
	while (!p->done && pthread_cond_timedwait(&p->cond, &p->lock, &until) == 0)
		;
	if (p->done)
		p->completed++;
	pthread_mutex_unlock(&p->lock);
	return false;
}

static void test_walk_lets_readers_through(void **state)
{
	struct probe p = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct vtep_mac m = mac_n(1);

	(void)state;
	p.fdb = fdb_new(8, 0);
	assert_non_null(p.fdb);
	assert_int_equal(fdb_learn_local(p.fdb, 7, &m, 3, 0, NULL), FDB_LEARN_NEW);
	assert_int_equal(fdb_flush_if(p.fdb, probe_pred, &p), 0);
	assert_true(p.asked);
	(void)pthread_join(p.reader, NULL);     /* a spinning one ends with the walk */
	assert_int_equal(p.completed, 1);
	assert_true(p.found);
	fdb_free(p.fdb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_lets_readers_through),
		cmocka_unit_test(test_refresh_lockless),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
