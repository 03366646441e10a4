/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - the running daemon's state, shared by the top-level files that
 * tie conf/, proto/ and io/ together: vtep.c (command line, lifecycle,
 * signals), setup.c (config -> running VNIs and taps, reload), datapath.c
 * (per-packet glue) and dump.c (SIGUSR1 dump). Not used by any module.
 */
#ifndef VTEP_DAEMON_H
#define VTEP_DAEMON_H

#include "vtep.h"
#include "conf/conf.h"
#include "io/capture.h"
#include "io/io.h"
#include "proto/fdb.h"
#include "proto/fwd.h"
#include "proto/gso.h"
#include "proto/remotes.h"

#include <pthread.h>
#include <sched.h>

/*
 * A slot is a tap device, or a VLAN sub-port of one (a trunk: key vlan in a
 * tap entry). A device owns the fd, the port and the offloads; a sub-port
 * only has an identity of its own (FDB entries, counters, VNI, port
 * security) and reads and writes through its device, which takes its
 * 802.1Q tag off frames it reads and puts it on frames written to it.
 */
struct vtep_tap_rt {
	bool used;
	struct io_tap io;               /* a sub-port: name and netns only (fd -1) */
	int port;                       /* io port id, -1 while down (lost: retried every tick);
					 * a sub-port: always -1 (its device's is used) */
	unsigned int lost_count;        /* times it went away (dump: "lost") */
	uint16_t vlan;                  /* 0: a device; else the VID of a sub-port */
	uint16_t dev;                   /* the device's slot (its own for a device) */
	uint16_t *vids;                 /* a trunk device: VID -> its sub-port's slot + 1
					 * (VTEP_VLAN_IDS entries); NULL: no sub-ports */
	size_t vni_idx;                 /* index into daemon.vnis; SIZE_MAX: a trunk device
					 * in no VNI itself (untagged frames are dropped) */
	uint32_t vni;
	struct vtep_tap_counters c;     /* the main thread's; workers keep their own */
	struct rate_bucket bum;         /* bum_rate (proto/rate; zeroed = full) */
	pthread_mutex_t bum_lock;       /* bum, shared by the workers reading the tap */
	struct vtep_mac macs[VTEP_TAP_MACS];    /* key macs: the only source MACs taken */
	size_t n_macs;                  /* 0 = any */
	struct vtep_addr ips[VTEP_TAP_IPS];     /* key ips: the only addresses claimed */
	size_t n_ips;                   /* 0 = any */
	bool owned;                     /* a device we created, in this run or an
					 * earlier one (DUMPDIR/vtep.taps): deleted
					 * when the configuration drops it */
};

/* A tap by name and netns ("" = ours). */
struct vtep_tap_id {
	char name[VTEP_IFNAMSIZ];
	char netns[VTEP_NETNS_MAX];
};

struct vtep_vni_rt {
	uint32_t vni;
	enum vtep_flood mode;           /* effective: multicast, unicast or local */
	bool has_group;
	struct vtep_addr group;
	struct vtep_addr *peers;        /* owned copy */
	size_t n_peers;
	uint16_t *taps;                 /* tap indices, owned */
	size_t n_taps;
	struct fwd_vni fwd;
	int16_t tos;                    /* outer DS field: DSCP << 2 or VTEP_TOS_INHERIT */
	struct vtep_counters c;
};

/* One multicast membership, shared by every VNI flooding to the group. */
struct vtep_group {
	struct vtep_addr addr;
	int fd;                         /* bound to group:dstport, joined on dev */
	int port;                       /* io port id */
};

struct vtep_daemon;

/*
 * What a worker holds back within one batch of completions (datapath.c),
 * sent when the batch ends (IO_EV_BATCH_END), before anything else it
 * sends to the underlay or writes to that tap, and before the main thread
 * handles a signal, a tick or a port error:
 * - a train: frames from taps for one VTEP, of one VNI, through one
 *   source-port socket, all the same size but the last, as one UDP GSO
 *   send (io-design.md 2.2: "consecutive equal-size frames to the same
 *   peer can still be batched into one GSO train");
 * - a run: TCP segments of one flow from the underlay for one vnet tap,
 *   merged into one GSO tap write (2.4), across the datagrams and GRO
 *   trains of the batch. Each segment's receive buffer is held (io_buf_hold).
 */
struct dp_train {
	struct io_job *job;             /* NULL: no train open */
	struct vtep_vni_rt *v;
	struct vtep_addr dst;
	unsigned int k;                 /* source-port socket */
	uint8_t tos;                    /* outer DS field */
	size_t seg;                     /* datagram size; only the last may be shorter */
	size_t bytes;
	unsigned int n;
	bool closed;                    /* the last one was shorter */
};

struct dp_run {
	struct gso_coalesce c;          /* c.n segments; 0 = no run open */
	struct vtep_vni_rt *v;
	uint16_t tap;
	const uint8_t *frame[GSO_COALESCE_MAX];
	uint16_t len[GSO_COALESCE_MAX];
	unsigned int buf[GSO_COALESCE_MAX];
};

/*
 * An underlay destination narrower than the frames the taps send: a send
 * to it failed with EMSGSIZE, and the kernel's path MTU (the route's, or
 * what ICMP from the underlay taught it) was asked. Frames that would not
 * fit are dropped and answered with ICMP too-big (proto/icmp.h). Each
 * worker learns its own, from its own sends; the table is empty, and never
 * looked at, while every path takes what the taps send.
 */
enum { DP_PMTU_MAX = 16 };

struct dp_pmtu {
	struct vtep_addr dst;
	unsigned int mtu;               /* path MTU: IP datagram bytes */
	uint64_t checked_ms;            /* when the kernel was last asked */
};

struct vtep_worker_tap {
	int fd;                         /* its own queue, or a dup of the main fd; -1 */
	int port;                       /* port in the worker's io, -1 */
	bool reads;                     /* fd is a queue of its own (else write-only) */
	struct vtep_tap_counters c;
};

/*
 * A packet worker (config key workers): its own ring, its own receive
 * socket on the underlay (SO_REUSEPORT: the kernel spreads flows by their
 * source port), its own queue of every multi-queue tap (IFF_MULTI_QUEUE:
 * the kernel spreads the VMs' flows), and its own counters. Worker 0 is the
 * main thread, which also owns signals, the tick, reload and the dump; its
 * counters and tap ports are the daemon's own (d->vnis[].c, d->taps[].port).
 * Workers 1..N-1 exist only while nothing is being reconfigured: every
 * change of the VNIs, taps or capture stops them first and starts them
 * again after (workers.c), so they only ever read those structures.
 */
struct vtep_worker {
	struct vtep_daemon *d;
	unsigned int id;
	int cpu;                        /* the CPU it is pinned to (cpus), -1: none */
	struct io_ctx *io;
	pthread_t thread;
	bool running;                   /* thread started, not joined */
	int wake_fd;                    /* eventfd: written to stop the worker */
	int ul_fd;                      /* its underlay receive socket */
	int ul_port;                    /* ... and its port in io */
	int wake_port;
	struct vtep_worker_tap *taps;   /* VTEP_MAX_TAPS slots, as d->taps */
	unsigned int n_queues;          /* taps it reads (others it only writes) */
	struct vtep_counters *vni_c;    /* per VNI index */
	size_t n_vnis;
	struct io_stats last;           /* its io stats when it stopped */
	struct vtep_counters global;
	struct dp_train train;          /* held back until the batch ends */
	struct dp_run run;
	struct dp_pmtu pmtu[DP_PMTU_MAX];
	unsigned int n_pmtu;
	struct rate_bucket too_big_rate;        /* ICMP too-big answers */
	struct remotes *remotes;        /* its traffic per remote VTEP */
	unsigned int stop;              /* __atomic: leave the loop */
	unsigned int port_failed;       /* __atomic: a tap queue failed, restart us */
	unsigned int failed;            /* __atomic: it could not run, and returned */
	bool parked;                    /* stopped, its fds kept for its next start */
};

struct vtep_daemon {
	struct vtep_conf *conf;
	const char *conf_path;
	struct io_ctx *io;
	struct io_underlay ul;
	int ul_port;
	int sig_fd;
	int sig_port;
	int ctl_fd;                     /* DUMPDIR/vtep.ctl, -1: none (ctl.c) */
	int ctl_port;
	struct fdb *fdb;
	struct arpc *arpc;              /* ARP/ND cache */
	struct vtep_vni_rt *vnis;       /* sorted by vni */
	size_t n_vnis;
	struct vtep_group *groups;
	size_t n_groups;
	struct io_capture *capture;     /* NULL: not capturing */
	bool capture_paused;            /* stopped by SIGUSR2: reloads leave it so */
	uint64_t ticks;
	struct vtep_tap_rt *taps;       /* VTEP_MAX_TAPS slots; index = FDB tap id */
	size_t n_taps;                  /* highest used index + 1 */
	unsigned int mtu;               /* tap MTU */
	struct vtep_counters global;    /* drops before a VNI is known */
	struct vtep_tap_id *inherited;  /* taps an earlier run created (start only) */
	size_t n_inherited;
	bool taps_settled;              /* the start got that far: vtep.taps is ours */
	uint64_t remotes_seed;          /* secret of every worker's remotes table */
	uint64_t start_ms;
	uint64_t dump_generation;
	struct {                        /* the dump being written (dump.c) */
		pid_t child;            /* its writer, 0: none */
		bool killed;            /* it ran too long and was sent SIGKILL */
		bool again;             /* asked for again meanwhile */
		uint64_t started_ms;    /* vtep_now_ms; its generation is dump_generation */
		size_t n_fdb, n_arp;
	} dump;
	uint64_t reload_generation;
	uint64_t last_move_log_ms;
	uint64_t moves_unlogged;
	uint64_t last_arp_log_ms;
	uint64_t arp_unlogged;
	uint64_t last_freeze_log_ms;    /* move damping: one line per frozen MAC, */
	uint64_t freezes_unlogged;      /* at most one a second */
	uint64_t last_tx_error_log_ms[2];       /* failed sends [0] and tap writes */
	uint64_t tx_errors_unlogged[2];         /* [1]: a line each 10 s at most */
	bool stop;
	bool pidfile_written;
	bool conf_refused;              /* the start failed on the configuration
					 * itself (cpus not ours): exit 1, not 2 */
	struct vtep_worker main;        /* worker 0: this thread */
	struct vtep_worker *workers;    /* workers 1..n_workers-1 ([0] unused) */
	unsigned int n_workers;         /* running, the main thread included */
	bool workers_dirty;             /* taps changed: restart the workers at the tick */
	bool workers_logged;
	struct io_stats io_retired;     /* io stats of workers stopped so far */
	cpu_set_t cpus_all;             /* CPUs the daemon could run on at start */
	pthread_mutex_t slow_lock;      /* log rate limits and the capture, across workers */
};

/* The device a slot reads and writes through (itself, but for a sub-port). */
static inline const struct vtep_tap_rt *tap_dev(const struct vtep_daemon *d,
						const struct vtep_tap_rt *t)
{
	return &d->taps[t->dev];
}

/* Monotonic milliseconds (CLOCK_MONOTONIC_COARSE: a vDSO read). */
uint64_t vtep_now_ms(void);

/* Whole seconds from seen_ms to now (0 when now was read first). */
static inline unsigned long long vtep_age_s(uint64_t now, uint64_t seen_ms)
{
	return now > seen_ms ? (unsigned long long)((now - seen_ms) / 1000) : 0;
}

/* setup.c */
/* The ring sizes every packet worker uses. */
void daemon_io_params(struct io_params *ret);
int daemon_setup(struct vtep_daemon *d, struct vtep_conf *conf);
void daemon_teardown(struct vtep_daemon *d);
/* Apply a new, valid configuration whole or not at all. 0 (d->conf is now
 * conf: the caller frees the old one), or a negative errno with the reason
 * in why (nothing changed: the caller frees conf). */
int daemon_reload(struct vtep_daemon *d, struct vtep_conf *conf, char *why, size_t whylen);

/* apply.c */
struct vtep_vni_rt *daemon_find_vni(struct vtep_daemon *d, uint32_t vni);
int daemon_apply(struct vtep_daemon *d, const struct vtep_conf *old, struct vtep_conf *conf,
		 char *why, size_t whylen);
void daemon_leave_groups(struct vtep_daemon *d);
/* What sets a VNI apart, for the log and the text dump: maxaddress and
 * arp_max (its own), learning off, arp_suppress off and bum_rate (in
 * effect), each after sep ("" when none). */
enum { VNI_EXTRAS_STRLEN = 128 };
size_t daemon_vni_extras(const struct vtep_vni_rt *v, const struct conf_vni *cv, const char *sep,
			 char *buf, size_t len);
/* Bring back taps that went away under us (datapath_port_error). Every
 * tick attaches to a device of the same name that has reappeared (a
 * hypervisor re-creating it); with create, as after a reload, a missing one
 * is created again. The workers stop while a slot changes, and start again
 * with a queue of it. */
void daemon_revive_taps(struct vtep_daemon *d, bool create);
/* Tap index tap lost its place (gone, removed, moved to another VNI): its
 * learned FDB entries go, and the snooped ARP/ND entries that name their
 * MACs in their VNIs (a stale binding would be answered for a VM that is
 * not there). Workers stopped, or the caller the only one running. */
void daemon_forget_tap(struct vtep_daemon *d, size_t tap);
/*
 * Taps we own: those we create are ours, and with persist_taps they outlive
 * the daemon (a restart, an upgrade, a crash leave the guests' interfaces
 * and their addresses in place), so DUMPDIR/vtep.taps lists them for the
 * next run. daemon_taps_load reads it at start (before the first apply),
 * daemon_taps_settle deletes those of them the configuration no longer
 * has, daemon_taps_save writes the list again (after every change), and
 * daemon_taps_release lets go of every tap at exit: kept, or with
 * persist_taps off deleted.
 */
void daemon_taps_load(struct vtep_daemon *d);
void daemon_taps_settle(struct vtep_daemon *d);
void daemon_taps_save(const struct vtep_daemon *d);
void daemon_taps_release(struct vtep_daemon *d);
/* Open the configured capture (SIGUSR2 and apply), without touching its
 * file yet; keep_file: see io_capture_open. 0 or a negative errno. */
int daemon_capture_open(const struct vtep_conf *conf, bool keep_file,
			struct io_capture **ret_cap, char *why, size_t whylen);
/* Start writing a capture daemon_capture_open() gave (truncating its file),
 * and say so in the log. */
void daemon_capture_start(struct io_capture *cap, const struct vtep_conf *conf,
			  const char *who);

/* datapath.c: w is the worker the event came from (&d->main on the main thread). */
void datapath_tap_rx(struct vtep_worker *w, const struct io_event *ev);
void datapath_udp_rx(struct vtep_worker *w, const struct io_event *ev);
void datapath_port_error(struct vtep_worker *w, const struct io_event *ev);
/* A UDP send failed with EMSGSIZE (IO_EV_TX_TOO_BIG): learn the path MTU
 * to its destination. */
void datapath_tx_too_big(struct vtep_worker *w, const struct io_event *ev);
/* Any other send or tap write failed (IO_EV_TX_ERROR): count and log it. */
void datapath_tx_error(struct vtep_worker *w, const struct io_event *ev);
/* The batch of completions ended: send what was held back (struct dp_train,
 * struct dp_run). Also before anything that may change the VNIs or taps. */
void datapath_flush(struct vtep_worker *w);
/* Once a second: ageing. */
void datapath_tick(struct vtep_daemon *d);
/* Once a second: taps whose device went away unnoticed are dropped as
 * failed (datapath_port_error), for daemon_revive_taps to bring back. */
void datapath_check_taps(struct vtep_daemon *d);

/* Counter structs (vtep_counters, vtep_tap_counters, io_stats) are all
 * uint64_t fields: dst += src, field by field. */
#define ADD_COUNTERS(dst, src)                                                       \
	do {                                                                         \
		uint64_t *d_ = (uint64_t *)(void *)(dst);                            \
		const uint64_t *s_ = (const uint64_t *)(const void *)(src);          \
		for (size_t k_ = 0; k_ < sizeof(*(dst)) / sizeof(uint64_t); k_++)    \
			d_[k_] += s_[k_];                                            \
	} while (0)

_Static_assert(sizeof(struct vtep_counters) % sizeof(uint64_t) == 0, "vtep_counters");
_Static_assert(sizeof(struct vtep_tap_counters) % sizeof(uint64_t) == 0, "tap counters");
_Static_assert(sizeof(struct io_stats) % sizeof(uint64_t) == 0, "io_stats");

/* workers.c */
/* Every CPU in conf's cpus is one the daemon may run on (d->cpus_all): 0,
 * or -EINVAL with "FILE:LINE: cpus[i]: ..." in why. */
int daemon_check_cpus(const struct vtep_daemon *d, const struct vtep_conf *conf, char *why,
		      size_t whylen);
/* Pin the main thread as cpus says (or unpin it), then start workers
 * 1..conf->workers-1, each pinned to its CPU (a worker that cannot start is
 * logged and left out: the daemon runs with fewer). */
void workers_start(struct vtep_daemon *d);
/* Log where the workers run when cpus differs from old's (NULL at start). */
void workers_log_pinning(const struct vtep_daemon *d, const struct vtep_conf *old);
/* Stop and join them and fold their counters into the daemon's, before
 * anything changes what they read; a no-op with none running. Each keeps
 * its underlay socket and tap queues for workers_start, which takes them
 * back (what arrived meanwhile is read then, not lost) and opens what is
 * new. */
void workers_stop(struct vtep_daemon *d);
/* Stop them and close their fds too: until they start again (at the
 * tick, after a tap went away; or never, the daemon exits), the kernel
 * steers everything to the main thread's socket and queues. */
void workers_close(struct vtep_daemon *d);
/* Tap index tap is closed: the stopped workers let go of their fds of it
 * (a device to delete must not be held open by a queue). */
void workers_drop_tap(struct vtep_daemon *d, size_t tap);
/* At the tick: restart them if a tap came or went (or a queue failed). */
void workers_tick(struct vtep_daemon *d);
/* Counters summed over the main thread and the running workers. */
void daemon_vni_counters(const struct vtep_daemon *d, size_t vni_idx, struct vtep_counters *ret);
void daemon_tap_counters(const struct vtep_daemon *d, size_t tap_idx,
			 struct vtep_tap_counters *ret);
void daemon_global_counters(const struct vtep_daemon *d, struct vtep_counters *ret);
void daemon_io_stats(const struct vtep_daemon *d, struct io_stats *ret);
/* One worker's (0: the main thread's); zeroes for one not running. */
void daemon_worker_io_stats(const struct vtep_daemon *d, unsigned int id, struct io_stats *ret);

/* ctl.c: the control socket. Open it in dumpdir (a warning and none on
 * failure) before the set-up, so that a client can tell a daemon still
 * starting from a dumpdir no daemon uses; answer on it once the ring runs
 * (ctl_start); close and remove it; answer what waits on it (IO_EV_CTL). */
void ctl_open(struct vtep_daemon *d, const char *dumpdir);
void ctl_start(struct vtep_daemon *d);
void ctl_close(struct vtep_daemon *d);
void ctl_handle(struct vtep_daemon *d);
/* Client: send words to the daemon of dumpdir and wait for its answer (a
 * string in reply). 0, or a negative errno: -ENOENT or -ECONNREFUSED when
 * no daemon listens, -EACCES, -ETIMEDOUT, -EPROTO when it went away
 * unanswered. */
int ctl_call(const char *dumpdir, const char *const *words, size_t n, char *reply,
	     size_t len, unsigned int timeout_ms);

/* dump.c */
/* Write the dump (SIGUSR1): the tables are copied at once, a child process
 * writes the files; 0, or a negative errno when it could not start. */
int dump_write(struct vtep_daemon *d);
/* Reap the dump's writer once it is done, log how it went, and start the
 * dump asked for meanwhile. A writer running for 60 s is killed; wait (at
 * exit): wait for it, up to 10 s, then kill it. */
void dump_reap(struct vtep_daemon *d, bool wait);
/* Write vtep.reload, one line "pid P generation G applied|rejected[: reason]",
 * in the dumpdir, and in also_dir (NULL: none) when it is another: the
 * dumpdir of a rejected file, where `vtep reload` with it waits. */
int dump_reload_status(struct vtep_daemon *d, bool applied, const char *reason,
		       const char *also_dir);
/* The Prometheus textfile (config key metrics), written atomically. */
int dump_metrics(struct vtep_daemon *d);
void dump_totals(const struct vtep_daemon *d, struct vtep_counters *ret);

#endif /* VTEP_DAEMON_H */
