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

struct vtep_tap_rt {
	bool used;
	struct io_tap io;
	int port;                       /* io port id, -1 while down (lost: retried every tick) */
	unsigned int lost_count;        /* times it went away (dump: "lost") */
	size_t vni_idx;                 /* index into daemon.vnis */
	uint32_t vni;
	struct vtep_tap_counters c;
	struct rate_bucket bum;         /* bum_rate (proto/rate; zeroed = full) */
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
	struct vtep_counters c;
};

/* One multicast membership, shared by every VNI flooding to the group. */
struct vtep_group {
	struct vtep_addr addr;
	int fd;                         /* bound to group:dstport, joined on dev */
	int port;                       /* io port id */
};

struct vtep_daemon {
	struct vtep_conf *conf;
	const char *conf_path;
	struct io_ctx *io;
	struct io_underlay ul;
	int ul_port;
	int sig_fd;
	int sig_port;
	struct fdb *fdb;
	struct arpc *arpc;              /* ARP/ND cache */
	struct vtep_vni_rt *vnis;       /* sorted by vni */
	size_t n_vnis;
	struct vtep_group *groups;
	size_t n_groups;
	struct io_capture *capture;     /* NULL: not capturing */
	uint64_t ticks;
	struct vtep_tap_rt *taps;       /* VTEP_MAX_TAPS slots; index = FDB tap id */
	size_t n_taps;                  /* highest used index + 1 */
	unsigned int mtu;               /* tap MTU */
	struct vtep_counters global;    /* drops before a VNI is known */
	uint64_t start_ms;
	uint64_t dump_generation;
	uint64_t reload_generation;
	uint64_t last_move_log_ms;
	uint64_t moves_unlogged;
	uint64_t last_arp_log_ms;
	uint64_t arp_unlogged;
	uint64_t last_freeze_log_ms;    /* move damping: one line per frozen MAC, */
	uint64_t freezes_unlogged;      /* at most one a second */
	bool stop;
	bool pidfile_written;
};

/* Monotonic milliseconds (CLOCK_MONOTONIC_COARSE: a vDSO read). */
uint64_t vtep_now_ms(void);

/* setup.c */
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
/* Bring back taps that went away under us (datapath_port_error). Every
 * tick attaches to a device of the same name that has reappeared (a
 * hypervisor re-creating it); with create, as after a reload, a missing one
 * is created again. */
void daemon_revive_taps(struct vtep_daemon *d, bool create);
/* Open the configured capture (SIGUSR2 and apply). 0 or a negative errno. */
int daemon_capture_open(struct vtep_daemon *d, const struct vtep_conf *conf,
			struct io_capture **ret_cap, char *why, size_t whylen);

/* datapath.c */
void datapath_tap_rx(struct vtep_daemon *d, const struct io_event *ev);
void datapath_udp_rx(struct vtep_daemon *d, const struct io_event *ev);
void datapath_port_error(struct vtep_daemon *d, const struct io_event *ev);
/* Once a second: ageing. */
void datapath_tick(struct vtep_daemon *d);

/* dump.c */
int dump_write(struct vtep_daemon *d);
int dump_reload_status(struct vtep_daemon *d, bool applied, const char *reason);
/* The Prometheus textfile (config key metrics), written atomically. */
int dump_metrics(struct vtep_daemon *d);
void dump_totals(const struct vtep_daemon *d, struct vtep_counters *ret);

#endif /* VTEP_DAEMON_H */
