/* SPDX-License-Identifier: MIT */
/*
 * workers.c - packet workers 1..N-1 (config key workers; daemon.h).
 *
 * The main thread prepares everything a worker needs (its receive socket
 * on the underlay, a queue of each multi-queue tap, a dup of the fd of
 * each other tap so it can write to it, zeroed counters), then the thread
 * makes its own ring (IORING_SETUP_SINGLE_ISSUER: the ring belongs to the
 * thread that submits) and forwards until it is told to stop. They share
 * the FDB (lockless lookups, proto/fdb.h) and the ARP/ND cache (a mutex,
 * taken for ARP and ND frames only), and read the VNIs, taps and config,
 * which nothing changes while they run: reload, a tap going away or coming
 * back, and SIGUSR2 stop them first (workers_stop) and start them again
 * after. On stop, their counters are added to the daemon's.
 *
 * With cpus set, worker i (0 is the main thread) runs on cpus[i % n] only;
 * without it, they run wherever the daemon could when it started.
 */
#include "daemon.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void worker_event(void *arg, const struct io_event *ev)
{
	struct vtep_worker *w = arg;

	switch (ev->kind) {
	case IO_EV_TAP_RX:
		datapath_tap_rx(w, ev);
		break;
	case IO_EV_UDP_RX:
		datapath_udp_rx(w, ev);
		break;
	case IO_EV_PORT_ERROR:
		datapath_flush(w);
		datapath_port_error(w, ev);
		break;
	case IO_EV_TX_TOO_BIG:
		datapath_tx_too_big(w, ev);
		break;
	case IO_EV_TX_ERROR:
		datapath_tx_error(w, ev);
		break;
	case IO_EV_BATCH_END:
		datapath_flush(w);
		break;
	default:
		break;                  /* the wake eventfd: the loop looks at stop */
	}
}

static int worker_ports(struct vtep_worker *w)
{
	w->wake_port = io_add_port(w->io, IO_PORT_SIGNAL, w->wake_fd, 0);
	w->ul_port = io_add_port(w->io, IO_PORT_UDP, w->ul_fd, 0);
	if (w->wake_port < 0 || w->ul_port < 0)
		return -ENOSPC;
	for (size_t i = 0; i < w->d->n_taps; i++) {
		struct vtep_worker_tap *t = &w->taps[i];

		if (t->fd < 0)
			continue;
		t->port = io_add_port(w->io, t->reads ? IO_PORT_TAP : IO_PORT_TAP_TX, t->fd, i);
		if (t->port < 0)
			return t->port;
	}
	return 0;
}

/*
 * VTEP_FAULT_WORKER=N (vtep(8), for tests): the first io_uring setup of
 * worker N fails, as when the kernel refuses a ring (too many open files,
 * memory), once per run; a reload then starts it for real.
 */
static bool worker_fault(unsigned int id)
{
	static int used;
	const char *e = getenv("VTEP_FAULT_WORKER");
	char *end;
	unsigned long n;

	if (!e || !*e)
		return false;
	n = strtoul(e, &end, 10);
	if (*end || n != id)
		return false;
	return !__atomic_exchange_n(&used, 1, __ATOMIC_ACQ_REL);
}

static void *worker_main(void *arg)
{
	struct vtep_worker *w = arg;
	struct io_params p;
	struct io_ctx *io;
	int r;

	daemon_io_params(&p);
	r = worker_fault(w->id) ? -EMFILE : io_ctx_new(&p, &io);
	if (r < 0) {
		log_error_errno(r, "worker %u: io_uring setup failed, running without it", w->id);
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	io_set_busy_poll(io, w->d->conf->busy_poll);
	__atomic_store_n(&w->io, io, __ATOMIC_RELEASE);
	r = worker_ports(w);
	if (r < 0) {
		log_error_errno(r, "worker %u: cannot add its ports, running without it", w->id);
		__atomic_store_n(&w->failed, 1, __ATOMIC_RELEASE);
	}
	while (r >= 0 && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		r = io_run(io, 1000, worker_event, w);
		if (r == -EINTR || r == -ETIME)
			r = 0;
		if (r < 0) {
			log_error_errno(r, "worker %u: io_uring wait failed", w->id);
			r = 0;
			usleep(10000);  /* never spin on a persistent error */
		}
	}
	io_get_stats(io, &w->last);
	/* The main thread may be reading w->io's stats for the dump: it
	 * frees the ring once it has joined us (worker_retire). */
	return NULL;
}

static void worker_release(struct vtep_worker *w)
{
	if (w->taps)
		for (size_t i = 0; i < VTEP_MAX_TAPS; i++)
			if (w->taps[i].fd >= 0)
				close(w->taps[i].fd);
	if (w->ul_fd >= 0)
		close(w->ul_fd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	free(w->taps);
	free(w->vni_c);
	remotes_free(w->remotes);
	w->taps = NULL;
	w->vni_c = NULL;
	w->remotes = NULL;
	w->ul_fd = w->wake_fd = -1;
	w->parked = false;
}

/* Its fds and arrays, made by the main thread. A worker parked by
 * workers_stop takes back its socket and tap queues (what they hold was
 * not lost), and what it learned of path MTUs. */
static int worker_prepare(struct vtep_daemon *d, struct vtep_worker *w, unsigned int id)
{
	struct vtep_worker_tap *taps = w->parked ? w->taps : NULL;
	int ul_fd = w->parked ? w->ul_fd : -1, wake_fd = w->parked ? w->wake_fd : -1;
	struct dp_pmtu pmtu[DP_PMTU_MAX];
	unsigned int n_pmtu = w->parked ? w->n_pmtu : 0;
	uint64_t drain;

	if (n_pmtu)
		memcpy(pmtu, w->pmtu, sizeof(pmtu));
	free(w->vni_c);                 /* counters were folded in when it stopped */
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->id = id;
	w->ul_port = w->wake_port = -1;
	w->ul_fd = ul_fd;
	w->wake_fd = wake_fd;
	w->n_pmtu = n_pmtu;
	if (n_pmtu)
		memcpy(w->pmtu, pmtu, sizeof(pmtu));
	w->taps = taps ? taps : calloc(VTEP_MAX_TAPS, sizeof(*w->taps));
	w->n_vnis = d->n_vnis;
	w->vni_c = calloc(d->n_vnis ? d->n_vnis : 1, sizeof(*w->vni_c));
	w->remotes = remotes_new(d->remotes_seed);
	if (!w->taps || !w->vni_c || !w->remotes)
		return -ENOMEM;
	for (size_t i = 0; i < VTEP_MAX_TAPS; i++) {
		struct vtep_worker_tap *t = &w->taps[i];

		if (!taps)
			t->fd = -1;
		t->port = -1;
		memset(&t->c, 0, sizeof(t->c));
	}
	if (w->wake_fd < 0)
		w->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	else if (read(w->wake_fd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
		return -errno;  /* the stop it was woken for is over */
	if (w->wake_fd < 0)
		return -errno;
	if (w->ul_fd < 0)
		w->ul_fd = io_underlay_rx_open(&d->ul);
	if (w->ul_fd < 0)
		return w->ul_fd;
	for (size_t i = 0; i < VTEP_MAX_TAPS; i++) {
		const struct vtep_tap_rt *tap = &d->taps[i];
		struct vtep_worker_tap *t = &w->taps[i];

		if (i >= d->n_taps || !tap->used || tap->port < 0) {
			if (t->fd >= 0)         /* a tap no longer forwarded */
				close(t->fd);
			t->fd = -1;
			continue;
		}
		if (t->fd < 0) {
			/* A queue of a tap that is still there (opening one of a
			 * deleted tap would create a new device of that name). */
			if (tap->io.multi_queue && io_tap_present(tap->io.name, tap->io.netns))
				t->fd = io_tap_open_queue(&tap->io);
			t->reads = t->fd >= 0;
			if (!t->reads)
				t->fd = fcntl(tap->io.fd, F_DUPFD_CLOEXEC, 0);
			if (t->fd < 0)
				return -errno;
		}
		if (t->reads)
			w->n_queues++;
	}
	return 0;
}

void workers_drop_tap(struct vtep_daemon *d, size_t tap)
{
	for (unsigned int id = 1; d->workers && id < d->conf->workers; id++) {
		struct vtep_worker *w = &d->workers[id];

		if (w->parked && w->taps[tap].fd >= 0) {
			close(w->taps[tap].fd);
			w->taps[tap].fd = -1;
		}
	}
}

/* set as "0-3,8" into buf (cut short on huge machines). */
static void format_cpus(const cpu_set_t *set, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && n + 12 < len; c++) {
		int e = c;

		if (!CPU_ISSET(c, set))
			continue;
		while (e + 1 < CPU_SETSIZE && CPU_ISSET(e + 1, set))
			e++;
		n += (size_t)snprintf(buf + n, len - n, e > c ? "%s%d-%d" : "%s%d", n ? "," : "",
				      c, e);
		c = e;
	}
}

int daemon_check_cpus(const struct vtep_daemon *d, const struct vtep_conf *conf, char *why,
		      size_t whylen)
{
	char may[64];

	for (size_t i = 0; i < conf->n_cpus; i++) {
		if (CPU_ISSET(conf->cpus[i], &d->cpus_all))
			continue;
		format_cpus(&d->cpus_all, may, sizeof(may));
		snprintf(why, whylen, "%s:%d: cpus[%zu]: CPU %u is not one vtep may run on "
			 "(it may use %s)", conf->path, conf->cpus_line, i, conf->cpus[i], may);
		return -EINVAL;
	}
	return 0;
}

/* Pin thread t, worker w, to its CPU; with cpus unset, only undo an
 * earlier pinning of the main thread (new workers inherit its set). */
static void pin(struct vtep_daemon *d, struct vtep_worker *w, pthread_t t)
{
	const struct vtep_conf *c = d->conf;
	int cpu = c->n_cpus ? c->cpus[w->id % c->n_cpus] : -1;
	const cpu_set_t *set = &d->cpus_all;
	cpu_set_t one;
	int r;

	if (cpu < 0 && (w->id || d->main.cpu < 0)) {
		w->cpu = -1;
		return;
	}
	if (cpu >= 0) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		set = &one;
	}
	r = pthread_setaffinity_np(t, sizeof(*set), set);
	if (r && cpu < 0) {
		log_error_errno(-r, "worker %u: cannot let it run on every CPU again", w->id);
		return;         /* still pinned where it was */
	}
	if (r) {
		log_error_errno(-r, "worker %u: cannot pin it to CPU %d", w->id, cpu);
		cpu = -1;
	} else if (cpu >= 0) {
		log_debug("worker %u runs on CPU %d", w->id, cpu);
	}
	w->cpu = cpu;
}

void workers_log_pinning(const struct vtep_daemon *d, const struct vtep_conf *old)
{
	const struct vtep_conf *c = d->conf;
	char buf[256];
	size_t n = 0;
	unsigned int id;

	if (old && old->n_cpus == c->n_cpus &&
	    (!c->n_cpus || !memcmp(old->cpus, c->cpus, c->n_cpus * sizeof(*c->cpus))))
		return;
	if (!c->n_cpus) {
		if (old)
			log_info("packet workers no longer pinned");
		return;
	}
	for (id = 0; id < c->workers && n < sizeof(buf) - 32; id++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u on CPU %u", id ? ", " : "",
				      id, c->cpus[id % c->n_cpus]);
	log_info("packet workers pinned: %s%s", buf, id < c->workers ? ", ..." : "");
}

void workers_start(struct vtep_daemon *d)
{
	unsigned int want = d->conf->workers;

	pin(d, &d->main, pthread_self());
	if (want <= 1 || d->n_workers > 1)
		return;
	if (!d->workers) {
		d->workers = calloc(want, sizeof(*d->workers));
		if (!d->workers) {
			log_error("workers: out of memory, running on the main thread only");
			return;
		}
	}
	for (unsigned int id = 1; id < want; id++) {
		struct vtep_worker *w = &d->workers[id];
		int r = worker_prepare(d, w, id);

		if (r == 0)
			r = -pthread_create(&w->thread, NULL, worker_main, w);
		if (r < 0) {
			log_error_errno(r, "worker %u cannot start, running without it", id);
			worker_release(w);
			continue;
		}
		pin(d, w, w->thread);
		w->running = true;
		d->n_workers = id + 1;
		log_debug("worker %u: %u tap queues of its own", id, w->n_queues);
	}
	if (d->n_workers > 1 && !d->workers_logged) {
		log_info("%u packet workers (the main thread and %u more)", d->n_workers,
			 d->n_workers - 1);
		d->workers_logged = true;
	}
}

/* Join a worker that left its loop (asked to, or failed), keep what it
 * counted and free its ring; with park, keep its socket and tap queues
 * for its next start (what arrives meanwhile waits there), else close
 * them. */
static void worker_retire(struct vtep_daemon *d, struct vtep_worker *w, bool park)
{
	pthread_join(w->thread, NULL);
	w->running = false;
	for (size_t i = 0; i < w->n_vnis && i < d->n_vnis; i++)
		ADD_COUNTERS(&d->vnis[i].c, &w->vni_c[i]);
	for (size_t i = 0; i < d->n_taps; i++)
		ADD_COUNTERS(&d->taps[i].c, &w->taps[i].c);
	ADD_COUNTERS(&d->global, &w->global);
	ADD_COUNTERS(&d->io_retired, &w->last);
	remotes_fold(d->main.remotes, w->remotes);
	remotes_free(w->remotes);
	w->remotes = NULL;
	if (w->io) {
		io_ctx_free(w->io);
		__atomic_store_n(&w->io, NULL, __ATOMIC_RELEASE);
	}
	if (park)
		w->parked = true;
	else
		worker_release(w);
}

static void stop_all(struct vtep_daemon *d, bool park)
{
	if (d->n_workers <= 1)
		return;
	for (unsigned int id = 1; id < d->conf->workers; id++) {
		struct vtep_worker *w = &d->workers[id];
		uint64_t one = 1;

		if (!w->running)
			continue;
		__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
		if (write(w->wake_fd, &one, sizeof(one)) < 0)
			log_debug("worker %u: wake: %s", id, strerror(errno));
	}
	for (unsigned int id = 1; id < d->conf->workers; id++)
		if (d->workers[id].running)
			worker_retire(d, &d->workers[id], park);
	d->n_workers = 1;
}

void workers_stop(struct vtep_daemon *d)
{
	stop_all(d, true);
}

void workers_close(struct vtep_daemon *d)
{
	stop_all(d, false);
	for (unsigned int id = 1; d->workers && id < d->conf->workers; id++)
		if (d->workers[id].parked)
			worker_release(&d->workers[id]);
}

void workers_tick(struct vtep_daemon *d)
{
	bool restart = d->workers_dirty, failed = false;

	/* A worker that could not run returned: its socket and tap queues
	 * would hold the share of traffic the kernel steers to them, with
	 * nobody reading. Closed, the others take it over. */
	for (unsigned int id = 1; id < d->n_workers; id++) {
		struct vtep_worker *w = &d->workers[id];

		if (!w->running || !__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE))
			continue;
		worker_retire(d, w, false);
		log_warning("worker %u stopped: its underlay socket and tap queues are closed, "
			    "the other workers take its traffic (a reload or restart tries again)",
			    id);
	}

	for (unsigned int id = 1; id < d->n_workers; id++)
		if (d->workers[id].running &&
		    __atomic_load_n(&d->workers[id].port_failed, __ATOMIC_ACQUIRE))
			failed = true;
	d->workers_dirty = false;
	if (!(restart || failed) || d->conf->workers <= 1)
		return;
	/* A queue that failed is not taken back: all are opened afresh. */
	stop_all(d, !failed);
	workers_start(d);
}

/* The counters below are read while the workers write them: each is a
 * naturally aligned 64-bit word, so a read sees an old or a new value,
 * never a torn one; the sums are a moment's picture, as for any counter. */

void daemon_vni_counters(const struct vtep_daemon *d, size_t vni_idx, struct vtep_counters *ret)
{
	*ret = d->vnis[vni_idx].c;
	for (unsigned int id = 1; id < d->n_workers; id++) {
		const struct vtep_worker *w = &d->workers[id];

		if (w->running && vni_idx < w->n_vnis)
			ADD_COUNTERS(ret, &w->vni_c[vni_idx]);
	}
}

void daemon_tap_counters(const struct vtep_daemon *d, size_t tap_idx,
			 struct vtep_tap_counters *ret)
{
	*ret = d->taps[tap_idx].c;
	for (unsigned int id = 1; id < d->n_workers; id++) {
		const struct vtep_worker *w = &d->workers[id];

		if (w->running)
			ADD_COUNTERS(ret, &w->taps[tap_idx].c);
	}
}

void daemon_global_counters(const struct vtep_daemon *d, struct vtep_counters *ret)
{
	*ret = d->global;
	for (unsigned int id = 1; id < d->n_workers; id++)
		if (d->workers[id].running)
			ADD_COUNTERS(ret, &d->workers[id].global);
}

void daemon_worker_io_stats(const struct vtep_daemon *d, unsigned int id, struct io_stats *ret)
{
	const struct vtep_worker *w = id ? &d->workers[id] : &d->main;
	struct io_ctx *io = __atomic_load_n(&w->io, __ATOMIC_ACQUIRE);

	memset(ret, 0, sizeof(*ret));
	if (io)
		io_get_stats(io, ret);
}

void daemon_io_stats(const struct vtep_daemon *d, struct io_stats *ret)
{
	struct io_stats s;

	io_get_stats(d->io, ret);
	ADD_COUNTERS(ret, &d->io_retired);
	for (unsigned int id = 1; id < d->n_workers; id++) {
		if (!d->workers[id].running)
			continue;
		daemon_worker_io_stats(d, id, &s);
		ADD_COUNTERS(ret, &s);
	}
}
