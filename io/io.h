/* SPDX-License-Identifier: MIT */
/*
 * io/ - owns every file descriptor and the io_uring: tap devices, underlay
 * UDP sockets, the signalfd, the ring, its provided-buffer rings and timers.
 * It hands completions to the daemon as small event records and carries out
 * sends and tap writes in batches. It never interprets a header beyond what
 * it needs to route a completion.
 */
#ifndef VTEP_IO_IO_H
#define VTEP_IO_IO_H

#include "../vtep.h"

/* ------------------------------------------------------------------ */
/* Taps (io/tap.c)                                                    */

struct io_tap {
	int fd;
	bool created;                   /* we created it: it goes away with us */
	int ifindex;
	char name[VTEP_IFNAMSIZ];
	char netns[VTEP_NETNS_MAX];     /* "" = our own namespace */
	struct vtep_mac mac;            /* the tap's own address (not forwarded to) */
};

/* Create the tap NAME (or attach to an existing one) in netns NETNS (""
 * = ours: for a named netns the device is created inside /run/netns/NETNS),
 * set its MTU and bring it up. Returns 0 or a negative errno; *ret_tap is
 * written on success only. */
int io_tap_open(const char *name, const char *netns, unsigned int mtu, struct io_tap *ret_tap);
/* Close the fd; a tap we created disappears with it, an attached one stays. */
void io_tap_close(struct io_tap *tap);
/* Is the tap still there (it may be deleted under us)? */
bool io_tap_exists(const struct io_tap *tap);

/* ------------------------------------------------------------------ */
/* Underlay (io/udp.c)                                                */

enum { IO_TX_SOCKETS = 8 };             /* source-port pool, RFC 7348 section 5 entropy */

struct io_underlay_params {
	struct vtep_addr local;
	const char *dev;                /* "" or NULL = interface owning local */
	uint16_t dstport;
	uint16_t srcport_min;
	uint16_t srcport_max;
	uint8_t ttl;
	uint8_t mcast_ttl;
};

struct io_underlay {
	int rx_fd;                      /* bound to local:dstport */
	int tx_fd[IO_TX_SOCKETS];       /* bound to local:srcport_min..max */
	uint16_t tx_port[IO_TX_SOCKETS];
	unsigned int n_tx;
	int ifindex;                    /* dev */
	char dev[VTEP_IFNAMSIZ];
	unsigned int mtu;               /* dev MTU */
	struct vtep_addr local;
	uint16_t dstport;
};

/* Opens and configures every underlay socket. Returns 0 or a negative errno
 * and writes a human-readable reason into why on failure. */
int io_underlay_open(const struct io_underlay_params *p, struct io_underlay *ret_ul,
		     char *why, size_t whylen);
void io_underlay_close(struct io_underlay *ul);
/* A receive socket bound to group:dstport and joined on dev (the kernel then
 * speaks IGMP for us). Returns the fd or a negative errno. */
int io_group_join(const struct io_underlay *ul, const struct vtep_addr *group);
/* Leave the group and close the socket. */
void io_group_leave(const struct io_underlay *ul, int fd, const struct vtep_addr *group);
/* The interface name and MTU owning a local address (for the default dev). */
int io_addr_dev(const struct vtep_addr *local, char name[VTEP_IFNAMSIZ], unsigned int *ret_mtu);
/* Is local still assigned to an interface of ours? */
bool io_addr_present(const struct vtep_addr *local);

/* ------------------------------------------------------------------ */
/* Signals (io/sig.c)                                                 */

/* Block HUP, INT, TERM, USR1, USR2 (and ignore PIPE) and return a signalfd. */
int io_signalfd_open(void);

/* ------------------------------------------------------------------ */
/* The ring (io/ring.c)                                               */

struct io_ctx;

struct io_params {
	unsigned int sq_entries;        /* SQ depth; the CQ is 8 times it */
	unsigned int buf_size;          /* usable bytes per receive buffer */
	unsigned int n_bufs;            /* buffers per group, power of two <= 32768 */
	unsigned int max_ports;         /* taps + sockets that can be added */
};

enum io_port_kind {
	IO_PORT_TAP,
	IO_PORT_UDP,
	IO_PORT_SIGNAL,
};

enum io_ev_kind {
	IO_EV_TAP_RX,                   /* a frame read from a tap */
	IO_EV_UDP_RX,                   /* a datagram on an underlay socket */
	IO_EV_SIGNAL,                   /* a signal from the signalfd */
	IO_EV_TIMER,                    /* the periodic tick */
	IO_EV_PORT_ERROR,               /* a port's receive failed for good (tap gone) */
};

struct io_event {
	enum io_ev_kind kind;
	int port;                       /* port id given by io_add_port */
	uint64_t cookie;                /* the caller's cookie for that port */
	uint8_t *data;                  /* payload; VTEP_HEADROOM writable bytes before it */
	size_t len;
	struct vtep_addr src;           /* IO_EV_UDP_RX: outer source address */
	uint16_t src_port;
	int signo;                      /* IO_EV_SIGNAL */
	int error;                      /* IO_EV_PORT_ERROR: negative errno */
	unsigned int buf;               /* receive buffer handle, for io_send_* */
};

typedef void (*io_event_cb)(void *arg, const struct io_event *ev);

struct io_stats {
	uint64_t enters;                /* io_uring_enter calls (submit + wait) */
	uint64_t cqes;                  /* completions handled */
	uint64_t sqes;                  /* requests submitted */
	uint64_t no_buffers;            /* multishot receive ran out of buffers */
	uint64_t rearms;                /* multishot requests re-armed */
	uint64_t sq_full;               /* a request found the SQ full and flushed it */
	uint64_t tx_errors;             /* sends or tap writes that failed */
	uint64_t tx_short;              /* tap writes that wrote less than asked */
	uint64_t last_tx_error;         /* its negative errno */
};

int io_ctx_new(const struct io_params *params, struct io_ctx **ret_ctx);
/* Cancels everything in flight, waits for it and frees; fds stay open (the
 * caller closes them through io_tap_close and friends). NULL is fine. */
void io_ctx_free(struct io_ctx *ctx);

/* Start receiving on fd (multishot, re-armed as needed). Returns a port id
 * >= 0 or a negative errno. The cookie comes back in every event. */
int io_add_port(struct io_ctx *ctx, enum io_port_kind kind, int fd, uint64_t cookie);
/* Stop receiving on a port; completions still in flight are discarded. */
void io_del_port(struct io_ctx *ctx, int port);
/* A periodic IO_EV_TIMER every interval_ms. */
int io_set_tick(struct io_ctx *ctx, unsigned int interval_ms);

/*
 * Queue a write of data[0..len) to a tap port, or a send to dst:dstport
 * through underlay socket fd. data must lie inside the receive buffer named
 * by buf (it stays referenced until the request completes). Sends go out
 * with the next io_run. Returns 0, or a negative errno when nothing could be
 * queued (counted by the caller).
 */
int io_write_tap(struct io_ctx *ctx, int port, unsigned int buf, const uint8_t *data, size_t len);
int io_send_udp(struct io_ctx *ctx, int fd, const struct vtep_addr *dst, uint16_t dstport,
		unsigned int buf, const uint8_t *data, size_t len);
/* The same for a frame built by the caller (an ARP reply): it is copied. */
int io_write_tap_copy(struct io_ctx *ctx, int port, const uint8_t *data, size_t len);

/* Submit what is queued, wait for at least one completion (or timeout_ms),
 * and hand every completion to cb. Returns the number of events or a
 * negative errno (-EINTR and -ETIME are not errors). */
int io_run(struct io_ctx *ctx, unsigned int timeout_ms, io_event_cb cb, void *arg);

void io_get_stats(const struct io_ctx *ctx, struct io_stats *ret_stats);

#endif /* VTEP_IO_IO_H */
