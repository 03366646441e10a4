/* SPDX-License-Identifier: MIT */
/*
 * datapath.c - the per-packet glue between io/ and proto/: a completion
 * comes in, proto/fwd decides, and the decision is carried out as queued
 * tap writes and UDP sends that share the receive buffer (no copy, no
 * allocation, no system call: io/ submits the whole batch at once).
 *
 * Offloads (proto/gso): a TSO/USO super-frame from a tap is split into
 * segments whose headers are built in an io job while the payloads stay in
 * the tap buffer, and sent as UDP GSO trains (io-design.md 2.3); a UDP GRO
 * train from the underlay is split into datagrams, each forwarded on its
 * own, and TCP segments of one flow going to one vnet tap are merged into
 * one GSO tap write (2.4).
 */
#include "daemon.h"
#include "proto/eth.h"
#include "proto/frag.h"
#include "proto/gso.h"
#include "proto/guard.h"
#include "proto/icmp.h"
#include "proto/remotes.h"
#include "proto/tos.h"
#include "proto/vxlan.h"

#include <poll.h>
#include <time.h>

uint64_t vtep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The counters and ports of the worker handling the packet (daemon.h). */
static struct vtep_counters *vc(struct vtep_worker *w, struct vtep_vni_rt *v)
{
	return w->id ? &w->vni_c[v - w->d->vnis] : &v->c;
}

static struct vtep_tap_counters *tc(struct vtep_worker *w, struct vtep_tap_rt *tap)
{
	return w->id ? &w->taps[tap - w->d->taps].c : &tap->c;
}

/* A sub-port's writes go through its device's port. */
static int tport(const struct vtep_worker *w, const struct vtep_tap_rt *tap)
{
	return w->id ? w->taps[tap->dev].port : w->d->taps[tap->dev].port;
}

static struct vtep_counters *gc(struct vtep_worker *w)
{
	return w->id ? &w->global : &w->d->global;
}

/* Datagrams sent to dst, per remote VTEP (proto/remotes): unicast only, a
 * group's are no one VTEP's. */
static void remote_tx(struct vtep_worker *w, const struct vtep_addr *dst, uint64_t n,
		      uint64_t bytes)
{
	if (!vtep_addr_is_multicast(dst))
		remotes_tx(w->remotes, dst, n, bytes);
}

static void count_drop(struct vtep_counters *c, enum vtep_drop reason)
{
	c->drops[reason]++;
}

/* A MAC move is logged, at most once a second, with both locations. */
static void log_move(struct vtep_worker *w, const struct vtep_vni_rt *v,
		     const struct fwd_decision *dec, bool from_tap, uint16_t tap,
		     const struct vtep_addr *remote, uint64_t now)
{
	struct vtep_daemon *d = w->d;
	char mac[VTEP_MAC_STRLEN], a[VTEP_ADDR_STRLEN], b[VTEP_ADDR_STRLEN];
	char was[VTEP_IFNAMSIZ + VTEP_ADDR_STRLEN + 8], now_at[sizeof(was)];

	pthread_mutex_lock(&d->slow_lock);
	if (now - d->last_move_log_ms < 1000) {
		d->moves_unlogged++;
		pthread_mutex_unlock(&d->slow_lock);
		return;
	}
	d->last_move_log_ms = now;
	if (dec->old.type == FDB_LOCAL)
		snprintf(was, sizeof(was), "tap '%s'", d->taps[dec->old.tap].io.name);
	else
		snprintf(was, sizeof(was), "vtep %s", vtep_addr_fmt(&dec->old.remote, a));
	if (from_tap)
		snprintf(now_at, sizeof(now_at), "tap '%s'", d->taps[tap].io.name);
	else
		snprintf(now_at, sizeof(now_at), "vtep %s", vtep_addr_fmt(remote, b));
	log_info("vni %u: mac %s moved from %s to %s (%llu more moves not logged)", v->vni,
		 vtep_mac_fmt(&dec->eth.src, mac), was, now_at,
		 (unsigned long long)d->moves_unlogged);
	d->moves_unlogged = 0;
	pthread_mutex_unlock(&d->slow_lock);
}

/* Move damping froze a MAC (once per freeze; at most a line a second). */
static void log_freeze(struct vtep_worker *w, const struct vtep_vni_rt *v,
		       const struct fwd_decision *dec, bool from_tap, uint16_t tap,
		       const struct vtep_addr *remote, uint64_t now)
{
	struct vtep_daemon *d = w->d;
	char mac[VTEP_MAC_STRLEN], a[VTEP_ADDR_STRLEN];
	char at[VTEP_IFNAMSIZ + VTEP_ADDR_STRLEN + 8];

	pthread_mutex_lock(&d->slow_lock);
	if (d->last_freeze_log_ms && now - d->last_freeze_log_ms < 1000) {
		d->freezes_unlogged++;
		pthread_mutex_unlock(&d->slow_lock);
		return;
	}
	d->last_freeze_log_ms = now;
	if (from_tap)
		snprintf(at, sizeof(at), "tap '%s'", d->taps[tap].io.name);
	else
		snprintf(at, sizeof(at), "vtep %s", vtep_addr_fmt(remote, a));
	log_warning("vni %u: mac %s moved %u times in %u s, frozen at %s for %u s "
		    "(%llu more frozen macs not logged)", v->vni,
		    vtep_mac_fmt(&dec->eth.src, mac), d->conf->move_limit,
		    d->conf->move_window, at, d->conf->move_hold,
		    (unsigned long long)d->freezes_unlogged);
	d->freezes_unlogged = 0;
	pthread_mutex_unlock(&d->slow_lock);
}

static void account_learn(struct vtep_worker *w, struct vtep_vni_rt *v,
			  const struct fwd_decision *dec, bool from_tap, uint16_t tap,
			  const struct vtep_addr *remote, uint64_t now)
{
	switch (dec->learn) {
	case FDB_LEARN_NEW:
		vc(w, v)->learned++;
		break;
	case FDB_LEARN_MOVED:
		vc(w, v)->moved++;
		log_move(w, v, dec, from_tap, tap, remote, now);
		break;
	case FDB_LEARN_FROZE:
		vc(w, v)->moved++;
		log_freeze(w, v, dec, from_tap, tap, remote, now);
		break;
	case FDB_LEARN_FULL:
		count_drop(vc(w, v), VTEP_DROP_FDB_FULL);
		break;
	default:
		break;
	}
}

/* What snooping ARP/ND did: counters, and a rate-limited line per move. */
static void account_snoop(struct vtep_worker *w, struct vtep_vni_rt *v,
			  const struct fwd_decision *dec, uint64_t now)
{
	struct vtep_daemon *d = w->d;
	char ip[VTEP_ADDR_STRLEN], a[VTEP_MAC_STRLEN], b[VTEP_MAC_STRLEN];

	switch (dec->snoop) {
	case ARPC_SNOOP_NEW:
		vc(w, v)->arp_learned++;
		return;
	case ARPC_SNOOP_FULL:
		count_drop(vc(w, v), VTEP_DROP_ARP_FULL);
		return;
	case ARPC_SNOOP_STATIC:
		if (!vtep_mac_eq(&dec->snoop_mac, &dec->snoop_old_mac))
			vc(w, v)->arp_conflicts++;
		return;
	case ARPC_SNOOP_MOVED:
		vc(w, v)->arp_moved++;
		break;
	default:
		return;
	}
	pthread_mutex_lock(&d->slow_lock);
	if (now - d->last_arp_log_ms < 1000) {
		d->arp_unlogged++;
		pthread_mutex_unlock(&d->slow_lock);
		return;
	}
	d->last_arp_log_ms = now;
	log_info("vni %u: %s moved from %s to %s (%llu more moves not logged)", v->vni,
		 vtep_addr_fmt(&dec->snoop_ip, ip), vtep_mac_fmt(&dec->snoop_old_mac, a),
		 vtep_mac_fmt(&dec->snoop_mac, b), (unsigned long long)d->arp_unlogged);
	d->arp_unlogged = 0;
	pthread_mutex_unlock(&d->slow_lock);
}

/* ------------------------------------------------------------------ */
/* Writes to taps: a VLAN sub-port's frames get its 802.1Q tag        */

/*
 * Header room of a tap write: vh bytes of virtio-net header (vnet, or
 * zeroes: no offload asked), then hdr[0..hlen) (hlen >= 12) with, for a
 * sub-port's VID vid (0: none), the 802.1Q tag after the MAC addresses and
 * the virtio-net header's offsets moved past it. False: the job is full.
 */
static bool job_frame_hdr(struct io_job *job, uint16_t vid, const uint8_t *vnet, size_t vh,
			  const uint8_t *hdr, size_t hlen)
{
	size_t tag = vid ? ETH_VLAN_HLEN : 0;
	uint8_t *p = io_job_hdr(job, vh + hlen + tag);

	if (!p)
		return false;
	if (vnet)
		memcpy(p, vnet, vh);
	else
		memset(p, 0, vh);
	if (vnet && tag)
		gso_vnet_shift(p, (int)tag);
	memcpy(p + vh, hdr, ETH_ADDRS_LEN);
	if (tag) {
		vtep_wr16(p + vh + ETH_ADDRS_LEN, ETH_TYPE_VLAN);
		vtep_wr16(p + vh + ETH_ADDRS_LEN + 2, vid);
	}
	memcpy(p + vh + ETH_ADDRS_LEN + tag, hdr + ETH_ADDRS_LEN, hlen - ETH_ADDRS_LEN);
	return true;
}

/*
 * frame[0..len) to tap as one job: from receive buffer buf (only the MAC
 * addresses are copied, to put a sub-port's tag after them), or, with
 * IO_NO_BUF, copied whole (a frame built here). vnet: the virtio-net header
 * to pass on (NULL: a zeroed one). The frames of an untagged tap take
 * io_write_tap and friends instead, but for built ones (too_big_answer).
 */
static bool tap_write_job(struct vtep_worker *w, const struct vtep_tap_rt *tap,
			  unsigned int buf, const uint8_t *vnet, const uint8_t *frame, size_t len)
{
	int port = tport(w, tap);
	size_t vh = port >= 0 && io_port_vnet(w->io, port) ? IO_VNET_HLEN : 0;
	size_t hlen = buf == IO_NO_BUF ? len : ETH_ADDRS_LEN;
	struct io_job *job;

	if (port < 0 || len < ETH_ADDRS_LEN || !(job = io_job_new(w->io, buf)))
		return false;
	if (!job_frame_hdr(job, tap->vlan, vh ? vnet : NULL, vh, frame, hlen) ||
	    (len > hlen && !io_job_add(job, frame + hlen, len - hlen))) {
		io_job_abort(w->io, job);
		return false;
	}
	return io_job_write_tap(w->io, job, port) == 0;
}

/* A locally built ARP reply or NA goes back out of the asking tap. */
static void reply_out(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t,
		      const struct fwd_decision *dec)
{
	struct vtep_daemon *d = w->d;
	struct vtep_tap_rt *tap = &d->taps[t];

	if (tap->vlan ? !tap_write_job(w, tap, IO_NO_BUF, NULL, dec->reply, dec->reply_len) :
	    io_write_tap_copy(w->io, tport(w, tap), dec->reply, dec->reply_len) < 0) {
		count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
		return;
	}
	if (dec->arp_suppressed)
		vc(w, v)->arp_suppressed++;
	if (dec->nd_suppressed)
		vc(w, v)->nd_suppressed++;
	tc(w, tap)->tx_packets++;
	tc(w, tap)->tx_bytes += dec->reply_len;
}

/*
 * A trunk is written no frame that names a VLAN (proto/eth.h): its guest
 * would take one for that VLAN's on the untagged entry (a frame of this VNI
 * hopping into another), and find a second tag inside a sub-port's (RFC
 * 7348 6.1: SHOULD be discarded). True: it is dropped and counted.
 */
static bool trunk_refuses(struct vtep_worker *w, struct vtep_vni_rt *v, struct vtep_tap_rt *tap,
			  const uint8_t *frame, size_t len)
{
	if (!w->d->taps[tap->dev].vids || !eth_names_vlan(frame, len))
		return false;
	tc(w, tap)->tx_dropped++;
	count_drop(vc(w, v), VTEP_DROP_VLAN);
	return true;
}

/* frame lies in receive buffer buf. */
static void tap_out(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t, unsigned int buf,
		    const uint8_t *frame, size_t len)
{
	struct vtep_daemon *d = w->d;
	struct vtep_tap_rt *tap = &d->taps[t];

	if (trunk_refuses(w, v, tap, frame, len))
		return;
	if (tap->vlan ? !tap_write_job(w, tap, buf, NULL, frame, len) :
	    tport(w, tap) < 0 || io_write_tap(w->io, tport(w, tap), buf, frame, len) < 0) {
		tc(w, tap)->tx_dropped++;
		count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
		return;
	}
	tc(w, tap)->tx_packets++;
	tc(w, tap)->tx_bytes += len;
	vc(w, v)->tx_packets++;
	vc(w, v)->tx_bytes += len;
}

/* What an inner frame decides about the outer headers of its copies. */
struct dp_out {
	uint32_t hash;                  /* inner flow (eth_flow_hash): the send socket */
	uint8_t tos;                    /* outer DS field (proto/tos.h) */
};

/* The outer capture of a datagram about to leave through socket k. */
static void capture_out(struct vtep_worker *w, unsigned int k, const struct vtep_addr *dst,
			uint8_t tos, const uint8_t *hdr, size_t len)
{
	struct vtep_daemon *d = w->d;

	pthread_mutex_lock(&d->slow_lock);
	io_capture_outer(d->capture, &d->ul.local, d->ul.tx_port[k], dst, d->ul.dstport,
			 vtep_addr_is_multicast(dst) ? d->conf->mcast_ttl : d->conf->ttl, tos,
			 hdr, len);
	pthread_mutex_unlock(&d->slow_lock);
}

static void train_flush(struct vtep_worker *w);
static void capture_segment(struct vtep_worker *w, unsigned int k, const struct vtep_addr *dst,
			    uint8_t tos, const uint8_t *hdr, size_t hlen, const uint8_t *pay,
			    size_t n);

/* ------------------------------------------------------------------ */
/* Path MTU: frames the underlay path cannot take                     */

enum {
	PMTU_RECHECK_MS = 1000,         /* ask the kernel again, while in use */
	TOO_BIG_RATE = 1000,            /* answers per second and worker */
};

static void pmtu_log(const struct vtep_addr *dst, unsigned int mtu, const char *what)
{
	char a[VTEP_ADDR_STRLEN];

	log_info("path MTU to %s is %u%s: frames to it over IP MTU %u are dropped and "
		 "answered with ICMP too-big", vtep_addr_fmt(dst, a), mtu, what,
		 mtu - vtep_outer_hlen(dst) - VXLAN_HLEN - ETH_HLEN);
}

static struct dp_pmtu *pmtu_find(struct vtep_worker *w, const struct vtep_addr *dst)
{
	for (unsigned int i = 0; i < w->n_pmtu; i++)
		if (vtep_addr_eq(&w->pmtu[i].dst, dst))
			return &w->pmtu[i];
	return NULL;
}

/* The path MTU to dst, 0 while it is not known to be narrow. The kernel is
 * asked again once a second while the entry is used, and the entry goes
 * when the path has grown (a send that fails again brings it back). */
static unsigned int pmtu_of(struct vtep_worker *w, const struct vtep_addr *dst, uint64_t now)
{
	struct dp_pmtu *p = pmtu_find(w, dst);
	int mtu;

	if (!p)
		return 0;
	if (now - p->checked_ms < PMTU_RECHECK_MS)
		return p->mtu;
	p->checked_ms = now;
	mtu = io_path_mtu(&w->d->ul, dst);
	if (mtu > 0 && (unsigned int)mtu <= p->mtu) {
		if ((unsigned int)mtu < p->mtu)
			pmtu_log(dst, (unsigned int)mtu, " now");
		p->mtu = (unsigned int)mtu;
		return p->mtu;
	}
	if (mtu > 0) {
		char a[VTEP_ADDR_STRLEN];

		log_info("path MTU to %s grew to %d", vtep_addr_fmt(dst, a), mtu);
	}
	*p = w->pmtu[--w->n_pmtu];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sends and tap writes that failed                                   */

enum { TX_ERROR_LOG_MS = 10000 };

/* A failed write to tap (NULL: a failed send to dst) is logged; sends and
 * tap writes each at most once every TX_ERROR_LOG_MS. */
static void log_tx_error(struct vtep_worker *w, const struct vtep_tap_rt *tap,
			 const struct vtep_addr *dst, int error, uint64_t now)
{
	struct vtep_daemon *d = w->d;
	uint64_t *last = &d->last_tx_error_log_ms[tap != NULL];
	uint64_t *unlogged = &d->tx_errors_unlogged[tap != NULL];
	uint64_t seen = __atomic_load_n(last, __ATOMIC_RELAXED);
	char a[VTEP_ADDR_STRLEN];
	unsigned long long more;

	/* A failing underlay fails every send: most return here, unlocked. */
	if (seen && now < seen + TX_ERROR_LOG_MS) {
		__atomic_fetch_add(unlogged, 1, __ATOMIC_RELAXED);
		return;
	}
	pthread_mutex_lock(&d->slow_lock);
	if (*last && now < *last + TX_ERROR_LOG_MS) {
		__atomic_fetch_add(unlogged, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&d->slow_lock);
		return;
	}
	__atomic_store_n(last, now, __ATOMIC_RELAXED);
	more = __atomic_exchange_n(unlogged, 0, __ATOMIC_RELAXED);
	if (tap && tap->vlan)
		log_warning_errno(error, "writes to tap '%s' vlan %u fail (drop reason tx_error; "
				  "%llu more failures not logged)", tap->io.name, tap->vlan, more);
	else if (tap)
		log_warning_errno(error, "writes to tap '%s' fail (drop reason tx_error; "
				  "%llu more failures not logged)", tap->io.name, more);
	else
		log_warning_errno(error, "sends to %s fail (drop reason tx_error; "
				  "%llu more failures not logged)", vtep_addr_fmt(dst, a), more);
	pthread_mutex_unlock(&d->slow_lock);
}

/* The frames of a failed tap write: a GSO write's segments, told by its
 * virtio_net_hdr (the start of its first piece on a vnet port). */
static unsigned int tap_write_frames(struct vtep_worker *w, const struct io_event *ev)
{
	struct gso_vnet vh;
	size_t pay;

	if (!io_port_vnet(w->io, ev->port) || ev->len < GSO_VNET_HLEN)
		return 1;
	gso_vnet_parse(ev->data, &vh);
	if ((vh.gso_type & ~GSO_TYPE_ECN) == GSO_TYPE_NONE || !vh.gso_size ||
	    ev->seg_len <= (size_t)GSO_VNET_HLEN + vh.hdr_len)
		return 1;
	pay = ev->seg_len - GSO_VNET_HLEN - vh.hdr_len;
	return (unsigned int)((pay + vh.gso_size - 1) / vh.gso_size);
}

/* The entry a failed write to tap was for: on a trunk, the sub-port whose
 * tag the write carried after its MAC addresses (the port's cookie is the
 * device); else tap itself. */
static struct vtep_tap_rt *written_entry(struct vtep_worker *w, struct vtep_tap_rt *tap,
					 const struct io_event *ev)
{
	size_t off = (io_port_vnet(w->io, ev->port) ? GSO_VNET_HLEN : 0) + ETH_ADDRS_LEN;
	unsigned int slot;

	if (!tap->vids || ev->len < off + ETH_VLAN_HLEN ||
	    vtep_rd16(ev->data + off) != ETH_TYPE_VLAN)
		return tap;
	slot = tap->vids[vtep_rd16(ev->data + off + 2) & 0x0fff];
	return slot ? &w->d->taps[slot - 1] : tap;
}

/* The VNI of a failed send (IO_EV_TX_*): every send starts with a VXLAN
 * header of ours. NULL when the VNI is gone since. */
static struct vtep_vni_rt *send_vni(struct vtep_worker *w, const struct io_event *ev)
{
	uint32_t vni;

	if (vxlan_parse(ev->data, ev->len, true, &vni) != VTEP_DROP_NONE)
		return NULL;
	return daemon_find_vni(w->d, vni);
}

void datapath_tx_error(struct vtep_worker *w, const struct io_event *ev)
{
	struct vtep_daemon *d = w->d;
	struct vtep_tap_rt *tap = NULL;
	struct vtep_vni_rt *v = NULL;
	unsigned int n = ev->count;

	if (ev->port >= 0) {
		if (ev->cookie >= VTEP_MAX_TAPS || !d->taps[ev->cookie].used)
			return;
		tap = written_entry(w, &d->taps[ev->cookie], ev);
		v = tap->vni_idx != SIZE_MAX ? &d->vnis[tap->vni_idx] : NULL;
		n = tap_write_frames(w, ev);
		tc(w, tap)->tx_dropped += n;
	} else {
		v = send_vni(w, ev);
	}
	if (v)
		vc(w, v)->drops[VTEP_DROP_TX_ERROR] += n;
	else
		gc(w)->drops[VTEP_DROP_TX_ERROR] += n;
	log_tx_error(w, tap, &ev->src, ev->error, vtep_now_ms());
}

_Static_assert(VXLAN_HLEN + FRAG_HDR_MAX + VTEP_MTU_MAX <= IO_JOB_ARENA,
	       "a fragment of a jumbo frame fits a job's arena");

/*
 * A whole frame (IPv4 without DF) to dst as fragments of at most max_frame
 * bytes each, in the order of their offsets, through send socket o->hash %
 * n_tx with DS field o->tos; false when it is not one to fragment
 * (proto/frag.h). The frame lies in receive buffer buf, or, with
 * IO_NO_BUF, anywhere (its bytes are copied).
 */
static bool frag_out(struct vtep_worker *w, struct vtep_vni_rt *v, const struct vtep_addr *dst,
		     const uint8_t *frame, size_t len, unsigned int buf, size_t max_frame,
		     const struct dp_out *o)
{
	struct vtep_daemon *d = w->d;
	struct frag_piece p[FRAG_MAX];
	size_t n = frag_ipv4(frame, len, max_frame, p, FRAG_MAX);
	unsigned int k = o->hash % d->ul.n_tx;

	if (!n)
		return false;
	train_flush(w);                 /* what came first goes first */
	for (size_t i = 0; i < n; i++) {
		const uint8_t *pay = frame + p[i].off;
		size_t hlen = VXLAN_HLEN + p[i].hlen;
		struct io_job *job = io_job_new(w->io, buf);
		uint8_t *h = job ? io_job_hdr(job, hlen + (buf == IO_NO_BUF ? p[i].len : 0)) : NULL;

		if (!h || (buf != IO_NO_BUF && !io_job_add(job, pay, p[i].len))) {
			if (job)
				io_job_abort(w->io, job);
			count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
			continue;
		}
		vxlan_build(h, v->vni);
		memcpy(h + VXLAN_HLEN, p[i].hdr, p[i].hlen);
		if (buf == IO_NO_BUF)
			memcpy(h + hlen, pay, p[i].len);
		if (d->capture) {
			pthread_mutex_lock(&d->slow_lock);
			capture_segment(w, k, dst, o->tos, h, hlen, pay, p[i].len);
			pthread_mutex_unlock(&d->slow_lock);
		}
		if (io_job_send_udp(w->io, job, d->ul.tx_fd[k], dst, d->ul.dstport, 0, o->tos) < 0) {
			count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
			continue;
		}
		vc(w, v)->tx_packets++;
		vc(w, v)->tx_bytes += hlen + p[i].len;
		remote_tx(w, dst, 1, hlen + p[i].len);
	}
	vc(w, v)->fragmented++;
	return true;
}

/* The answer to a frame the path could not take, on the tap it came from. */
static void too_big_answer(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t,
			   const uint8_t *frame, size_t len, size_t max_frame)
{
	struct vtep_tap_rt *tap = &w->d->taps[t];
	uint8_t ans[ICMP_TOO_BIG_MAX];
	size_t n;

	if (tport(w, tap) < 0 || !rate_take(&w->too_big_rate, TOO_BIG_RATE, vtep_now_ms()))
		return;
	n = icmp_too_big(frame, len, max_frame, ans);
	if (!n || !tap_write_job(w, tap, IO_NO_BUF, NULL, ans, n))
		return;
	vc(w, v)->icmp_too_big++;
	tc(w, tap)->tx_packets++;
	tc(w, tap)->tx_bytes += n;
}

/*
 * The frame of a datagram lost to a path of mtu bytes: sent again as
 * fragments when it is IPv4 without DF (true: it is not lost after all), or
 * answered on the tap its sender is behind, when it went to the VTEP its
 * destination is known behind or was flooded (its destination unknown; a
 * group destination gets no answer, proto/icmp.h), as pmtu_blocks does.
 */
static bool too_big_lost(struct vtep_worker *w, struct vtep_vni_rt *v, const struct io_event *ev,
			 unsigned int mtu)
{
	const uint8_t *frame = ev->data + VXLAN_HLEN;
	size_t len = ev->len - VXLAN_HLEN;
	struct fdb_entry to, from;
	struct vtep_mac mac;
	struct dp_out o;

	if (ev->len < VXLAN_HLEN + ETH_HLEN)
		return false;
	o.hash = eth_flow_hash(frame, len);
	o.tos = tos_encap(v->tos, frame, len);
	if (frag_out(w, v, &ev->src, frame, len, IO_NO_BUF, mtu - vtep_outer_hlen(&ev->src) -
		     VXLAN_HLEN, &o))
		return true;
	memcpy(mac.b, frame, sizeof(mac.b));
	if (fdb_get(w->d->fdb, v->vni, &mac, &to) &&
	    (to.type == FDB_LOCAL || !vtep_addr_eq(&to.remote, &ev->src)))
		return false;
	memcpy(mac.b, frame + 6, sizeof(mac.b));
	if (!fdb_get(w->d->fdb, v->vni, &mac, &from) || from.type != FDB_LOCAL ||
	    from.tap >= VTEP_MAX_TAPS)
		return false;
	too_big_answer(w, v, from.tap, frame, len, mtu - vtep_outer_hlen(&ev->src) - VXLAN_HLEN);
	return false;
}

void datapath_tx_too_big(struct vtep_worker *w, const struct io_event *ev)
{
	int mtu = io_path_mtu(&w->d->ul, &ev->src);
	struct vtep_vni_rt *v = send_vni(w, ev);
	unsigned int i, hlen = vtep_outer_hlen(&ev->src);
	/* Not narrower than what failed: a route that changed back since. */
	bool narrower = mtu > (int)(hlen + VXLAN_HLEN + ETH_HLEN) &&
			(size_t)mtu < ev->seg_len + hlen;
	bool resent = v && narrower && too_big_lost(w, v, ev, (unsigned int)mtu);
	struct dp_pmtu *p;

	if (v)
		vc(w, v)->drops[VTEP_DROP_TOO_BIG] += ev->count - resent;
	if (!narrower)
		return;
	p = pmtu_find(w, &ev->src);
	if (p && p->mtu == (unsigned int)mtu)
		return;
	if (!p && w->n_pmtu < DP_PMTU_MAX) {
		p = &w->pmtu[w->n_pmtu++];
	} else if (!p) {
		/* Full: the one asked about longest ago makes room. */
		p = &w->pmtu[0];
		for (i = 1; i < w->n_pmtu; i++)
			if (w->pmtu[i].checked_ms < p->checked_ms)
				p = &w->pmtu[i];
	}
	p->dst = ev->src;
	p->mtu = (unsigned int)mtu;
	p->checked_ms = vtep_now_ms();
	pmtu_log(&ev->src, p->mtu, "");
}

/* What pmtu_blocks may do with a frame too big for the path. */
enum {
	PMTU_ANSWER = 1,                /* ICMP too-big when due */
	PMTU_SPLIT = 2,                 /* a whole frame, not a super-frame: it may
					 * be fragmented (IPv4 without DF) */
	PMTU_FLOOD = 4,                 /* one copy of a flood: the frame may reach
					 * other VTEPs, so its tap did not drop it */
};

/*
 * Would a frame of flen bytes (a super-frame's: its first segment's) from
 * tap t be too big for the path to dst? Then it is fragmented (PMTU_SPLIT,
 * IPv4 without DF), or counted (too_big) and, with PMTU_ANSWER, answered
 * and, but for a copy of a flood, counted as dropped by the tap; either way
 * the caller sends nothing. A flood is answered once, for the first VTEP
 * whose path it does not fit (the kernel driver answers for each).
 */
static bool pmtu_blocks(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t,
			const struct vtep_addr *dst, const struct io_event *ev, size_t flen,
			unsigned int how, const struct dp_out *o)
{
	size_t hlen = vtep_outer_hlen(dst) + VXLAN_HLEN, max_frame;
	unsigned int mtu;

	if (!w->n_pmtu)
		return false;
	mtu = pmtu_of(w, dst, vtep_now_ms());
	if (!mtu || hlen + flen <= mtu)
		return false;
	max_frame = mtu - hlen;
	if ((how & PMTU_SPLIT) && frag_out(w, v, dst, ev->data, ev->len, ev->buf, max_frame, o))
		return true;
	count_drop(vc(w, v), VTEP_DROP_TOO_BIG);
	if (how & PMTU_ANSWER)
		too_big_answer(w, v, t, ev->data, ev->len, max_frame);
	if ((how & (PMTU_ANSWER | PMTU_FLOOD)) == PMTU_ANSWER)
		tc(w, &w->d->taps[t])->rx_dropped++;
	return true;
}

/* Encapsulated copy to one VTEP, alone; hdr is the VXLAN header already
 * written in front of the frame, the send socket is picked by the inner
 * flow hash. */
static void udp_out(struct vtep_worker *w, struct vtep_vni_rt *v, const struct vtep_addr *dst,
		    const struct io_event *ev, const uint8_t *hdr, size_t len,
		    const struct dp_out *o)
{
	struct vtep_daemon *d = w->d;
	unsigned int k = o->hash % d->ul.n_tx;
	int fd = d->ul.tx_fd[k];

	train_flush(w);                 /* what came first goes first */
	if (d->capture)
		capture_out(w, k, dst, o->tos, hdr, len);
	if (io_send_udp(w->io, fd, dst, d->ul.dstport, o->tos, ev->buf, hdr, len) < 0) {
		count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
		return;
	}
	vc(w, v)->tx_packets++;
	vc(w, v)->tx_bytes += len;
	remote_tx(w, dst, 1, len);
}

static void flood_taps(struct vtep_worker *w, struct vtep_vni_rt *v, int exclude,
		       const struct io_event *ev, const uint8_t *frame, size_t len)
{
	for (size_t i = 0; i < v->n_taps; i++)
		if ((int)v->taps[i] != exclude)
			tap_out(w, v, v->taps[i], ev->buf, frame, len);
}

/* ------------------------------------------------------------------ */
/* Trains: frames for one VTEP in one UDP GSO send                    */

static void train_flush(struct vtep_worker *w)
{
	struct dp_train *t = &w->train;
	struct vtep_daemon *d = w->d;
	struct io_job *job = t->job;

	if (!job)
		return;
	t->job = NULL;
	if (!t->n) {
		io_job_abort(w->io, job);
		return;
	}
	/* One frame alone goes as a plain datagram (io_job_send_udp). */
	if (io_job_send_udp(w->io, job, d->ul.tx_fd[t->k], &t->dst, d->ul.dstport,
			    (uint16_t)t->seg, t->tos) < 0) {
		vc(w, t->v)->drops[VTEP_DROP_NO_BUFFER] += t->n;
		return;
	}
	vc(w, t->v)->tx_packets += t->n;
	vc(w, t->v)->tx_bytes += t->bytes;
	remote_tx(w, &t->dst, t->n, t->bytes);
}

/*
 * The train that takes the next datagram for (v, dst, socket k, DS field
 * tos): len bytes in pieces pieces, hdr of them header room in the job. The
 * open one when the datagram may follow (its size, at most the train's;
 * room left), else a new one, after the old one is sent. NULL without a job.
 */
static struct io_job *train_open(struct vtep_worker *w, struct vtep_vni_rt *v,
				 const struct vtep_addr *dst, unsigned int k, uint8_t tos,
				 size_t len, unsigned int pieces, size_t hdr)
{
	struct dp_train *t = &w->train;

	if (t->job && (t->v != v || t->k != k || t->tos != tos || t->closed || len > t->seg ||
		       t->n >= IO_UDP_MAX_SEGS || t->bytes + len > IO_UDP_MAX_PAYLOAD ||
		       !io_job_fits(t->job, pieces, hdr) || !vtep_addr_eq(&t->dst, dst)))
		train_flush(w);
	if (!t->job) {
		t->job = io_job_new(w->io, IO_NO_BUF);
		if (!t->job)
			return NULL;
		t->v = v;
		t->dst = *dst;
		t->k = k;
		t->tos = tos;
		t->seg = len;
		t->bytes = 0;
		t->n = 0;
		t->closed = false;
	}
	return t->job;
}

/* A datagram of len bytes went into the open train. */
static void train_took(struct vtep_worker *w, size_t len)
{
	struct dp_train *t = &w->train;

	t->n++;
	t->bytes += len;
	t->closed = len < t->seg;
}

/* A frame for one VTEP (hdr: its VXLAN header, in front of it in the
 * event's buffer) joins a train. Without UDP GSO, or without a job, it
 * goes at once. */
static void train_add(struct vtep_worker *w, struct vtep_vni_rt *v, const struct vtep_addr *dst,
		      const struct io_event *ev, const uint8_t *hdr, size_t len,
		      const struct dp_out *o)
{
	struct vtep_daemon *d = w->d;
	unsigned int k = o->hash % d->ul.n_tx;
	struct io_job *job;

	if (!io_udp_gso(w->io) || len > IO_UDP_MAX_PAYLOAD) {
		udp_out(w, v, dst, ev, hdr, len, o);
		return;
	}
	job = train_open(w, v, dst, k, o->tos, len, 1, 0);
	if (!job || !io_job_add_buf(w->io, job, ev->buf, hdr, len)) {
		udp_out(w, v, dst, ev, hdr, len, o);
		return;
	}
	if (d->capture)
		capture_out(w, k, dst, o->tos, hdr, len);
	train_took(w, len);
}

/* Where BUM goes on the underlay: the group, every peer, or nowhere. */
static const struct vtep_addr *flood_dests(const struct vtep_vni_rt *v, size_t *ret_n)
{
	switch (v->mode) {
	case VTEP_FLOOD_MULTICAST:
		*ret_n = 1;
		return &v->group;
	case VTEP_FLOOD_UNICAST:
		*ret_n = v->n_peers;
		return v->peers;
	default:
		*ret_n = 0;
		return NULL;
	}
}

static void flood_underlay(struct vtep_worker *w, struct vtep_vni_rt *v,
			   const struct io_event *ev, uint8_t *hdr, size_t len,
			   const struct dp_out *o)
{
	unsigned int how = PMTU_SPLIT | PMTU_ANSWER | PMTU_FLOOD;
	size_t n;
	const struct vtep_addr *dst = flood_dests(v, &n);

	for (size_t i = 0; i < n; i++) {
		if (pmtu_blocks(w, v, (uint16_t)ev->cookie, &dst[i], ev, ev->len, how, o))
			how &= ~PMTU_ANSWER;    /* answered once (or fragmented: none due) */
		else
			udp_out(w, v, &dst[i], ev, hdr, len, o);
	}
}

/* ------------------------------------------------------------------ */
/* Segmentation offload, tap to underlay                              */

/* Outer capture of one built segment: the file wants it contiguous. */
static void capture_segment(struct vtep_worker *w, unsigned int k, const struct vtep_addr *dst,
			    uint8_t tos, const uint8_t *hdr, size_t hlen, const uint8_t *pay,
			    size_t n)
{
	struct vtep_daemon *d = w->d;
	static uint8_t seg[VXLAN_HLEN + GSO_HLEN_MAX + 65536];

	if (hlen + n > sizeof(seg))
		return;
	memcpy(seg, hdr, hlen);
	memcpy(seg + hlen, pay, n);
	io_capture_outer(d->capture, &d->ul.local, d->ul.tx_port[k], dst, d->ul.dstport,
			 vtep_addr_is_multicast(dst) ? d->conf->mcast_ttl : d->conf->ttl, tos, seg,
			 hlen + n);
}

_Static_assert(VXLAN_HLEN + GSO_HLEN_MAX <= IO_HDR_MAX, "a segment's headers fit io_send_udp_hdr");

/* The VXLAN and inner headers of segment i of super-frame g (in the
 * event's buffer) into h (VXLAN_HLEN + g->hlen bytes); returns the length
 * of its payload, which is ev->data + g->hlen + i * g->mss. */
static size_t segment_hdr(struct vtep_worker *w, struct vtep_vni_rt *v, const struct io_event *ev,
			  const struct gso_frame *g, unsigned int i, unsigned int k,
			  const struct vtep_addr *dst, uint8_t tos, uint8_t *h)
{
	struct vtep_daemon *d = w->d;
	size_t n;

	vxlan_build(h, v->vni);
	n = gso_segment(ev->data, g, i, h + VXLAN_HLEN);
	if (d->capture) {
		pthread_mutex_lock(&d->slow_lock);
		capture_segment(w, k, dst, tos, h, VXLAN_HLEN + g->hlen,
				ev->data + g->hlen + (size_t)i * g->mss, n);
		pthread_mutex_unlock(&d->slow_lock);
	}
	return n;
}

/*
 * A super-frame to one VTEP, segment by segment into trains: one train
 * takes at most IO_UDP_MAX_PAYLOAD bytes (a 64 KiB TSO frame needs two:
 * io-design.md 3.1), and a train left open by one super-frame is filled up
 * by the next of the batch. Once GSO has failed, one datagram per send.
 */
static void udp_out_gso(struct vtep_worker *w, struct vtep_vni_rt *v,
			const struct vtep_addr *dst, const struct io_event *ev,
			const struct gso_frame *g, const struct dp_out *o)
{
	struct vtep_daemon *d = w->d;
	unsigned int k = o->hash % d->ul.n_tx;
	size_t hdr = VXLAN_HLEN + g->hlen;
	bool gso = io_udp_gso(w->io);

	if (!gso)
		train_flush(w);
	for (unsigned int i = 0; i < g->nseg; i++) {
		const uint8_t *pay = ev->data + g->hlen + (size_t)i * g->mss;
		size_t len = hdr + VTEP_MIN((size_t)g->mss, g->payload - (size_t)i * g->mss);
		uint8_t h[VXLAN_HLEN + GSO_HLEN_MAX];
		struct io_job *job;
		size_t n;

		if (gso) {
			/* Headers in the job, payloads from the buffer. */
			job = train_open(w, v, dst, k, o->tos, len, 2, hdr);
			if (job && io_job_fits(job, 2, hdr)) {
				uint8_t *jh = io_job_hdr(job, hdr);

				n = segment_hdr(w, v, ev, g, i, k, dst, o->tos, jh);
				(void)io_job_add_buf(w->io, job, ev->buf, pay, n);
				train_took(w, hdr + n);
				continue;
			}
		} else {
			/* One datagram per send: a light request each (a
			 * super-frame is some 45 of them). */
			n = segment_hdr(w, v, ev, g, i, k, dst, o->tos, h);
			if (io_send_udp_hdr(w->io, d->ul.tx_fd[k], dst, d->ul.dstport, o->tos, h,
					    hdr, ev->buf, pay, n) == 0) {
				vc(w, v)->tx_packets++;
				vc(w, v)->tx_bytes += hdr + n;
				remote_tx(w, dst, 1, hdr + n);
				continue;
			}
		}
		vc(w, v)->drops[VTEP_DROP_NO_BUFFER] += g->nseg - i;
		return;
	}
}

/* A super-frame to a local tap: passed through with its virtio-net header
 * to a vnet tap (the kernel segments it, or not, as it likes), else
 * written segment by segment. */
static void tap_out_gso(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t,
			const struct io_event *ev, const struct gso_frame *g)
{
	struct vtep_daemon *d = w->d;
	struct vtep_tap_rt *tap = &d->taps[t];
	unsigned int i;

	if (trunk_refuses(w, v, tap, ev->data, ev->len))
		return;
	if (io_port_vnet(w->io, tport(w, tap))) {
		if (tap->vlan ? !tap_write_job(w, tap, ev->buf, ev->vnet, ev->data, ev->len) :
		    io_write_tap_vnet(w->io, tport(w, tap), ev->buf, ev->vnet, ev->data, ev->len) < 0)
			goto drop;
		tc(w, tap)->tx_packets += g->nseg;
		tc(w, tap)->tx_bytes += ev->len;
		vc(w, v)->tx_packets += g->nseg;
		vc(w, v)->tx_bytes += ev->len;
		return;
	}
	for (i = 0; i < g->nseg; i++) {
		struct io_job *job = tport(w, tap) >= 0 ? io_job_new(w->io, ev->buf) : NULL;
		uint8_t hb[GSO_HLEN_MAX];
		/* Straight into the job, or built aside and copied in with the tag. */
		uint8_t *h = !job ? NULL : tap->vlan ? hb : io_job_hdr(job, g->hlen);
		size_t n;

		if (!h) {
			if (job)
				io_job_abort(w->io, job);
			goto drop;
		}
		n = gso_segment(ev->data, g, i, h);
		if ((h == hb && !job_frame_hdr(job, tap->vlan, NULL, 0, hb, g->hlen)) ||
		    !io_job_add(job, ev->data + g->hlen + (size_t)i * g->mss, n)) {
			io_job_abort(w->io, job);
			goto drop;
		}
		if (io_job_write_tap(w->io, job, tport(w, tap)) < 0)
			goto drop;
		tc(w, tap)->tx_packets++;
		tc(w, tap)->tx_bytes += g->hlen + n;
		vc(w, v)->tx_packets++;
		vc(w, v)->tx_bytes += g->hlen + n;
	}
	return;
drop:
	tc(w, tap)->tx_dropped++;
	count_drop(vc(w, v), VTEP_DROP_NO_BUFFER);
}

/* The decision for a super-frame, taken on its first segment's worth. */
static void tap_rx_gso(struct vtep_worker *w, struct vtep_vni_rt *v,
		       const struct fwd_decision *dec, const struct io_event *ev,
		       const struct gso_frame *g, const struct dp_out *o)
{
	if (dec->out_tap >= 0) {
		tap_out_gso(w, v, (uint16_t)dec->out_tap, ev, g);
		return;
	}
	if (dec->to_remote) {
		if (!pmtu_blocks(w, v, (uint16_t)ev->cookie, &dec->remote, ev, g->hlen + g->mss,
				 PMTU_ANSWER, o))
			udp_out_gso(w, v, &dec->remote, ev, g, o);
		return;
	}
	if (dec->is_bum)
		vc(w, v)->flooded++;
	if (dec->flood_taps)
		for (size_t i = 0; i < v->n_taps; i++)
			if ((int)v->taps[i] != dec->exclude_tap)
				tap_out_gso(w, v, v->taps[i], ev, g);
	if (dec->flood_underlay) {
		unsigned int how = PMTU_ANSWER | PMTU_FLOOD;
		size_t n;
		const struct vtep_addr *dst = flood_dests(v, &n);

		for (size_t i = 0; i < n; i++) {
			if (pmtu_blocks(w, v, (uint16_t)ev->cookie, &dst[i], ev,
					g->hlen + g->mss, how, o))
				how &= ~PMTU_ANSWER;
			else
				udp_out_gso(w, v, &dst[i], ev, g, o);
		}
	}
}

/* The virtio-net header of a tap frame: finish a partial checksum, or
 * check a super-frame (*ret_gso set). False: malformed. */
static bool tap_rx_vnet(const struct io_event *ev, struct gso_frame *g, bool *ret_gso)
{
	struct gso_vnet vh;

	gso_vnet_parse(ev->vnet, &vh);
	if (vh.gso_type != GSO_TYPE_NONE) {
		*ret_gso = true;
		return gso_parse(ev->data, ev->len, &vh, g) == VTEP_DROP_NONE;
	}
	*ret_gso = false;
	if (vh.flags & GSO_VNET_F_NEEDS_CSUM)
		return gso_finish_csum(ev->data, ev->len, &vh) == VTEP_DROP_NONE;
	return true;
}

/* A frame from tap slot ev->cookie (a device, or a sub-port with its tag
 * taken off). */
static void tap_rx(struct vtep_worker *w, const struct io_event *ev)
{
	struct vtep_daemon *d = w->d;
	uint16_t t = (uint16_t)ev->cookie;
	struct vtep_tap_rt *tap = &d->taps[t];
	struct vtep_vni_rt *v = &d->vnis[tap->vni_idx];
	struct fwd_decision dec;
	uint64_t now = vtep_now_ms();
	uint8_t *hdr = ev->data - VXLAN_HLEN;  /* headroom: encapsulate in place */
	struct gso_frame g;
	bool gso = false;
	size_t flen = ev->len;
	struct dp_out o = { 0, 0 };

	tc(w, tap)->rx_packets++;
	tc(w, tap)->rx_bytes += ev->len;
	vc(w, v)->rx_packets++;
	vc(w, v)->rx_bytes += ev->len;
	if (ev->vnet && !tap_rx_vnet(ev, &g, &gso)) {
		tc(w, tap)->rx_dropped++;
		count_drop(vc(w, v), VTEP_DROP_MALFORMED);
		return;
	}
	if ((tap->n_macs && !guard_mac_ok(ev->data, ev->len, tap->macs, tap->n_macs)) ||
	    (tap->n_ips && !guard_ip_ok(ev->data, ev->len, tap->ips, tap->n_ips))) {
		tc(w, tap)->rx_dropped++;
		count_drop(vc(w, v), VTEP_DROP_SPOOFED);
		return;
	}
	if (gso)
		flen = g.hlen + g.mss;  /* the first segment decides for all */
	fwd_from_tap(d->fdb, d->arpc, &v->fwd, t, ev->data, flen, now, &dec);
	if (dec.is_bum && v->fwd.bum_rate) {
		/* The tap's queues may be read by several workers. */
		pthread_mutex_lock(&tap->bum_lock);
		fwd_limit_bum(&v->fwd, &tap->bum, now, &dec);
		pthread_mutex_unlock(&tap->bum_lock);
	}
	account_learn(w, v, &dec, true, t, NULL, now);
	account_snoop(w, v, &dec, now);
	if (dec.drop != VTEP_DROP_NONE) {
		tc(w, tap)->rx_dropped++;
		count_drop(vc(w, v), dec.drop);
		/* Longer than the tap MTU: a guest whose own MTU is larger
		 * learns the segment's, as from a narrower underlay path. */
		if (dec.drop == VTEP_DROP_TOO_BIG)
			too_big_answer(w, v, t, ev->data, ev->len, ETH_HLEN +
				       (size_t)ETH_VLAN_HLEN * dec.eth.n_vlan + v->fwd.mtu);
		return;
	}
	if (dec.reply_len) {
		reply_out(w, v, t, &dec);
		return;
	}
	if (dec.out_tap < 0) {
		o.hash = eth_flow_hash(ev->data, ev->len);
		o.tos = tos_encap(v->tos, ev->data, flen);
	}
	if (gso) {
		tap_rx_gso(w, v, &dec, ev, &g, &o);
		return;
	}
	if (dec.out_tap >= 0) {
		tap_out(w, v, (uint16_t)dec.out_tap, ev->buf, ev->data, ev->len);
		return;
	}
	vxlan_build(hdr, v->vni);
	if (dec.to_remote) {
		if (!pmtu_blocks(w, v, t, &dec.remote, ev, ev->len, PMTU_ANSWER | PMTU_SPLIT, &o))
			train_add(w, v, &dec.remote, ev, hdr, ev->len + VXLAN_HLEN, &o);
		return;
	}
	if (dec.is_bum)
		vc(w, v)->flooded++;
	if (dec.flood_taps)
		flood_taps(w, v, dec.exclude_tap, ev, ev->data, ev->len);
	if (dec.flood_underlay)
		flood_underlay(w, v, ev, hdr, ev->len + VXLAN_HLEN, &o);
}

/*
 * A frame read from a trunk device (one with VLAN sub-ports): a tagged one
 * becomes its VID's sub-port's, the tag taken off in place (the address
 * bytes move up over it, a virtio-net header's offsets with them, into
 * vnet); an untagged or priority-tagged (VID 0) one stays the device's when
 * the device is in a VNI itself. Anything else is dropped (vlan): false.
 */
static bool trunk_rx(struct vtep_worker *w, const struct io_event *ev, struct io_event *e,
		     uint8_t vnet[IO_VNET_HLEN])
{
	struct vtep_tap_rt *tap = &w->d->taps[ev->cookie];
	unsigned int vid = 0, slot = 0;

	*e = *ev;
	if (ev->len >= ETH_HLEN + ETH_VLAN_HLEN &&
	    vtep_rd16(ev->data + ETH_ADDRS_LEN) == ETH_TYPE_VLAN) {
		vid = vtep_rd16(ev->data + ETH_ADDRS_LEN + 2) & 0x0fff;
		slot = tap->vids[vid];
	}
	if (slot) {
		struct vtep_tap_rt *sub = &w->d->taps[slot - 1];

		/* Another tag inside: a frame for a VLAN of some other trunk. */
		if (eth_names_vlan(ev->data + ETH_VLAN_HLEN, ev->len - ETH_VLAN_HLEN)) {
			tc(w, sub)->rx_packets++;
			tc(w, sub)->rx_bytes += ev->len;
			tc(w, sub)->rx_dropped++;
			count_drop(vc(w, &w->d->vnis[sub->vni_idx]), VTEP_DROP_VLAN);
			return false;
		}
		memmove(ev->data + ETH_VLAN_HLEN, ev->data, ETH_ADDRS_LEN);
		e->data = ev->data + ETH_VLAN_HLEN;
		e->len = ev->len - ETH_VLAN_HLEN;
		e->cookie = slot - 1;
		if (ev->vnet) {
			memcpy(vnet, ev->vnet, IO_VNET_HLEN);
			gso_vnet_shift(vnet, -ETH_VLAN_HLEN);
			e->vnet = vnet;
		}
		return true;
	}
	/* Untagged or priority-tagged, with nothing behind the priority tags
	 * that names a VLAN, and no 802.1ad tag. */
	if (!vid && tap->vni_idx != SIZE_MAX && !eth_names_vlan(ev->data, ev->len))
		return true;
	tc(w, tap)->rx_packets++;
	tc(w, tap)->rx_bytes += ev->len;
	tc(w, tap)->rx_dropped++;
	count_drop(gc(w), VTEP_DROP_VLAN);
	return false;
}

void datapath_tap_rx(struct vtep_worker *w, const struct io_event *ev)
{
	struct vtep_daemon *d = w->d;
	struct io_event e;
	uint8_t vnet[IO_VNET_HLEN];

	/* What the tap saw, tags and all. */
	if (d->capture) {
		pthread_mutex_lock(&d->slow_lock);
		io_capture_inner(d->capture, ev->data, ev->len);
		pthread_mutex_unlock(&d->slow_lock);
	}
	if (!d->taps[ev->cookie].vids) {
		tap_rx(w, ev);
		return;
	}
	if (trunk_rx(w, ev, &e, vnet))
		tap_rx(w, &e);
}

/* ------------------------------------------------------------------ */
/* Underlay to tap, with coalescing                                   */

/* The open run (struct dp_run) as one GSO tap write, or, for a lone
 * segment or without a job, each segment as it came. */
static void run_flush(struct vtep_worker *w)
{
	struct vtep_daemon *d = w->d;
	struct dp_run *run = &w->run;
	struct vtep_tap_rt *tap = &d->taps[run->tap];
	unsigned int n = run->c.n;
	uint8_t hb[GSO_VNET_HLEN + GSO_HLEN_MAX];
	struct io_job *job = NULL;
	bool ok = false;
	size_t bytes = 0;
	unsigned int i;
	uint8_t *h;

	if (!n)
		return;
	run->c.n = 0;
	if (n > 1 && tport(w, tap) >= 0)
		job = io_job_new(w->io, IO_NO_BUF);
	if (job && !tap->vlan && (h = io_job_hdr(job, GSO_VNET_HLEN + run->c.h.hlen))) {
		gso_coalesce_build(&run->c, h);
		ok = true;
	} else if (job && tap->vlan) {
		/* Built aside, then copied in with the tag. */
		gso_coalesce_build(&run->c, hb);
		ok = job_frame_hdr(job, tap->vlan, hb, GSO_VNET_HLEN, hb + GSO_VNET_HLEN,
				   run->c.h.hlen);
	}
	if (!ok) {
		if (job)
			io_job_abort(w->io, job);
		for (i = 0; i < n; i++)
			tap_out(w, run->v, run->tap, run->buf[i], run->frame[i], run->len[i]);
		goto release;
	}
	for (i = 0; i < n; i++) {
		/* Cannot fail: a job takes 2 * IO_UDP_MAX_SEGS + 2 pieces. */
		(void)io_job_add_buf(w->io, job, run->buf[i], run->frame[i] + run->c.h.hlen,
				     run->len[i] - run->c.h.hlen);
		bytes += run->len[i];
	}
	if (io_job_write_tap(w->io, job, tport(w, tap)) < 0) {
		tc(w, tap)->tx_dropped += n;
		count_drop(vc(w, run->v), VTEP_DROP_NO_BUFFER);
		goto release;
	}
	tc(w, tap)->tx_packets += n;
	tc(w, tap)->tx_bytes += bytes;
	vc(w, run->v)->tx_packets += n;
	vc(w, run->v)->tx_bytes += bytes;
release:
	for (i = 0; i < n; i++)
		io_buf_release(w->io, run->buf[i]);
}

/* Known local unicast from the underlay: merge into the open run when the
 * rules allow, else the run goes first (order within a flow is kept).
 * vouched: the bytes are known good, so the segment may be merged (a
 * datagram of a GRO train was covered by the outer UDP checksum; one that
 * came alone, only when its TCP checksum checked out). */
static void deliver(struct vtep_worker *w, struct vtep_vni_rt *v, uint16_t t,
		    const struct io_event *ev, const uint8_t *frame, size_t len, bool vouched)
{
	struct vtep_daemon *d = w->d;
	struct vtep_tap_rt *tap = &d->taps[t];
	struct dp_run *run = &w->run;
	struct gso_tcp_view tv;

	if (!vouched || tport(w, tap) < 0 || !io_port_vnet(w->io, tport(w, tap)) ||
	    gso_tcp_parse(frame, len, false, &tv) != VTEP_DROP_NONE) {
		run_flush(w);
		tap_out(w, v, t, ev->buf, frame, len);
		return;
	}
	if (trunk_refuses(w, v, tap, frame, len))
		return;
	if (!run->c.n || run->tap != t || !gso_coalesce_add(&run->c, frame, &tv)) {
		run_flush(w);
		gso_coalesce_start(&run->c, frame, &tv);
		run->v = v;
		run->tap = t;
	}
	/* The segment just taken is the run's last; its buffer stays. */
	run->frame[run->c.n - 1] = frame;
	run->len[run->c.n - 1] = (uint16_t)len;
	run->buf[run->c.n - 1] = ev->buf;
	io_buf_hold(w->io, ev->buf);
}

/*
 * What the previous datagram of a GRO train was decided to be. The next one
 * with the same VXLAN header and the same inner Ethernet header, no longer
 * than it and nothing ARP/ND snooping would look at, gets the same decision
 * without the three FDB lookups: same VNI, same outer source (one train),
 * same MACs, and the source was refreshed a moment ago. Only a decision
 * that changed nothing is kept: a new or moved MAC, a snooped ARP or ND
 * packet, a flood or a drop always takes the whole path, and so does every
 * datagram while capturing.
 */
struct rx_memo {
	bool ok;
	size_t len;
	struct vtep_vni_rt *v;
	uint16_t tap;
	uint8_t key[VXLAN_HLEN + ETH_HLEN];
};

/* An untagged IPv4 frame, or IPv6 carrying TCP or UDP: never ARP or ND. */
static bool inner_plain_ip(const uint8_t *f, size_t len)
{
	enum { IP6_NEXT = ETH_HLEN + 6 };

	if (len <= ETH_HLEN)
		return false;
	switch (vtep_rd16(f + 12)) {
	case ETH_TYPE_IPV4:
		return true;
	case ETH_TYPE_IPV6:
		return len > IP6_NEXT &&
		       (f[IP6_NEXT] == IP_PROTO_TCP || f[IP6_NEXT] == IP_PROTO_UDP);
	default:
		return false;
	}
}

static bool memo_hit(const struct rx_memo *m, const uint8_t *data, size_t len)
{
	return m->ok && len <= m->len && len >= sizeof(m->key) &&
	       memcmp(data, m->key, sizeof(m->key)) == 0 &&
	       inner_plain_ip(data + VXLAN_HLEN, len - VXLAN_HLEN);
}

static void memo_keep(struct rx_memo *m, struct vtep_vni_rt *v, const struct fwd_decision *dec,
		      const uint8_t *data, size_t len)
{
	m->ok = dec->drop == VTEP_DROP_NONE && dec->out_tap >= 0 && !dec->is_bum &&
		(dec->learn == FDB_LEARN_NONE || dec->learn == FDB_LEARN_REFRESHED ||
		 dec->learn == FDB_LEARN_STATIC) &&
		dec->snoop == ARPC_SNOOP_NONE && len >= sizeof(m->key) &&
		inner_plain_ip(data + VXLAN_HLEN, len - VXLAN_HLEN);
	if (!m->ok)
		return;
	m->len = len;
	m->v = v;
	m->tap = (uint16_t)dec->out_tap;
	memcpy(m->key, data, sizeof(m->key));
}

/* One VXLAN datagram (of a GRO train with its memo, or alone: NULL), in
 * the event's buffer (an ECN mark may be written into it). */
static void udp_rx_one(struct vtep_worker *w, const struct io_event *ev, uint8_t *data,
		       size_t len, struct rx_memo *memo, uint64_t now)
{
	struct vtep_daemon *d = w->d;
	bool ignore = d->conf->reserved_bits == CONF_RESERVED_IGNORE;
	bool vouched = true;            /* a datagram of a GRO train */
	struct fwd_decision dec;
	struct vtep_vni_rt *v;
	enum vtep_drop r;
	uint32_t vni = 0;

	if (d->capture) {
		pthread_mutex_lock(&d->slow_lock);
		io_capture_outer(d->capture, &ev->src, ev->src_port, &d->ul.local, d->ul.dstport,
				 d->conf->ttl, ev->tos, data, len);
		pthread_mutex_unlock(&d->slow_lock);
	}
	if (d->capture || (ev->tos & TOS_ECN_MASK) == TOS_CE)
		memo = NULL;            /* capturing, or congestion marked: the whole path */
	if (memo && memo_hit(memo, data, len)) {
		vc(w, memo->v)->rx_packets++;
		vc(w, memo->v)->rx_bytes += len;
		remotes_rx(w->remotes, &ev->src, 1, len, now);
		deliver(w, memo->v, memo->tap, ev, data + VXLAN_HLEN, len - VXLAN_HLEN, true);
		return;
	}
	if (memo)
		memo->ok = false;
	r = len ? vxlan_parse(data, len, ignore, &vni) : VTEP_DROP_MALFORMED;
	if (r != VTEP_DROP_NONE) {
		gc(w)->rx_packets++;
		count_drop(gc(w), r);
		return;
	}
	v = daemon_find_vni(d, vni);
	if (!v) {
		gc(w)->rx_packets++;
		count_drop(gc(w), VTEP_DROP_UNKNOWN_VNI);
		return;
	}
	vc(w, v)->rx_packets++;
	vc(w, v)->rx_bytes += len;
	if (d->capture) {
		pthread_mutex_lock(&d->slow_lock);
		io_capture_inner(d->capture, data + VXLAN_HLEN, len - VXLAN_HLEN);
		pthread_mutex_unlock(&d->slow_lock);
	}
	fwd_from_underlay(d->fdb, d->arpc, &v->fwd, &ev->src, data + VXLAN_HLEN, len - VXLAN_HLEN,
			  now, &dec);
	account_learn(w, v, &dec, false, 0, &ev->src, now);
	account_snoop(w, v, &dec, now);
	if (dec.drop != VTEP_DROP_NOT_ALLOWED)  /* a VTEP of this VNI's */
		remotes_rx(w->remotes, &ev->src, 1, len, now);
	if (dec.drop != VTEP_DROP_NONE) {
		count_drop(vc(w, v), dec.drop);
		return;
	}
	/* RFC 6040 decapsulation, once the source is known to be a VTEP of
	 * the VNI's (a stranger's datagram is not_allowed, whatever its ECN),
	 * after learning, as the Linux vxlan driver does it. */
	switch (tos_decap(ev->tos, data + VXLAN_HLEN, len - VXLAN_HLEN)) {
	case TOS_DECAP_DROP:
		count_drop(vc(w, v), VTEP_DROP_ECN);
		return;
	case TOS_DECAP_MARKED:
		vc(w, v)->ecn_marked++;
		break;
	case TOS_DECAP_KEEP:
		break;
	}
	/* A datagram that came alone had no outer checksum vouch for it (a
	 * zero one is allowed, RFC 7348 5). Forwarded either way, as a
	 * bridge would; a bad one is counted (a peer that leaves the inner
	 * checksum to a NIC it does not have) and never merged. */
	if (!ev->gso_size && (dec.out_tap >= 0 || dec.flood_taps)) {
		enum gso_csum_verdict cv = gso_l4_csum_check(data + VXLAN_HLEN, len - VXLAN_HLEN);

		vouched = cv == GSO_CSUM_OK;
		if (cv == GSO_CSUM_BAD)
			vc(w, v)->inner_csum_bad++;
	}
	if (dec.out_tap >= 0) {
		if (memo)
			memo_keep(memo, v, &dec, data, len);
		deliver(w, v, (uint16_t)dec.out_tap, ev, data + VXLAN_HLEN, len - VXLAN_HLEN,
			vouched);
		return;
	}
	run_flush(w);
	if (dec.is_bum)
		vc(w, v)->flooded++;
	if (dec.flood_taps)
		flood_taps(w, v, -1, ev, data + VXLAN_HLEN, len - VXLAN_HLEN);
}

void datapath_udp_rx(struct vtep_worker *w, const struct io_event *ev)
{
	size_t step = ev->gso_size ? ev->gso_size : ev->len;
	struct rx_memo memo = { .ok = false };
	uint64_t now = vtep_now_ms();

	if (!ev->len || step >= ev->len) {
		udp_rx_one(w, ev, ev->data, ev->len, NULL, now);
		return;
	}
	/* Every datagram of a GRO train is checked and forwarded on its own
	 * (the memo spares the lookups that would decide the same again);
	 * only the writes are merged. */
	for (size_t off = 0; off < ev->len; off += step)
		udp_rx_one(w, ev, ev->data + off, VTEP_MIN(step, ev->len - off), &memo, now);
}

void datapath_flush(struct vtep_worker *w)
{
	train_flush(w);
	run_flush(w);
}

/* Tap i stopped working (its read failed, or its device went away): its
 * port goes until daemon_revive_taps brings it back. Main thread. */
static void tap_lost(struct vtep_daemon *d, size_t i, int err)
{
	struct vtep_tap_rt *tap = &d->taps[i];

	log_warning_errno(err, "tap '%s'%s%s failed, dropping the port until it comes back",
			  tap->io.name, tap->io.netns[0] ? " in netns " : "", tap->io.netns);
	/* The workers hold queues of it: they go first, with their sockets
	 * (the main thread takes all traffic until the tick brings them back
	 * without it). */
	workers_close(d);
	d->workers_dirty = true;
	io_del_port(d->main.io, tap->port);
	io_tap_close(&tap->io);
	tap->port = -1;                 /* daemon_revive_taps brings it back */
	tap->lost_count++;
	for (size_t k = 0; k < d->n_taps; k++)     /* it and its sub-ports */
		if (d->taps[k].used && d->taps[k].dev == i)
			daemon_forget_tap(d, k);
}

void datapath_port_error(struct vtep_worker *w, const struct io_event *ev)
{
	struct vtep_daemon *d = w->d;

	if (w->id) {
		/* A queue of a tap that went away (its port is already off), or
		 * the worker's socket: the main thread sorts the taps out and
		 * restarts the workers at its next tick. */
		if (ev->port != w->ul_port && ev->port != w->wake_port)
			__atomic_store_n(&w->port_failed, 1, __ATOMIC_RELEASE);
		return;
	}
	if (ev->port == d->ul_port || ev->port == d->sig_port) {
		log_warning_errno(ev->error, "receive on %s failed, re-arming",
				  ev->port == d->ul_port ? "underlay socket" : "signalfd");
		return;
	}
	for (size_t i = 0; i < d->n_taps; i++)
		if (d->taps[i].used && d->taps[i].port == ev->port)
			tap_lost(d, i, ev->error);
}

/*
 * A tap deleted under the daemon can go unnoticed: seen once in t23 with
 * busy_poll, the worker's queue reported the loss and the main thread's
 * never did. As tun's source reads, it wakes the reader before it detaches
 * the queue, so a non-blocking read in between finds nothing and re-arms,
 * and no wake-up follows. A detached queue polls as POLLERR (poll takes no
 * lock that a tap's ioctl would): every tick, one poll(2) over the main
 * thread's taps finds those.
 */
void datapath_check_taps(struct vtep_daemon *d)
{
	struct pollfd pfd[VTEP_MAX_TAPS];
	size_t idx[VTEP_MAX_TAPS], n = 0;

	for (size_t i = 0; i < d->n_taps; i++) {
		const struct vtep_tap_rt *tap = &d->taps[i];

		if (!tap->used || tap->vlan || tap->port < 0 || tap->io.fd < 0)
			continue;
		pfd[n].fd = tap->io.fd;
		pfd[n].events = 0;
		pfd[n].revents = 0;
		idx[n++] = i;
	}
	if (!n || poll(pfd, n, 0) <= 0)
		return;
	for (size_t k = 0; k < n; k++)
		if (pfd[k].revents & (POLLERR | POLLHUP | POLLNVAL))
			tap_lost(d, idx[k], -EBADFD);
}

/* Expiries named per tick at most; a flood of them (a MAC spray ageing
 * out) gets one line for the rest. */
enum { AGED_LOG_MAX = 64 };

struct age_ctx {
	struct vtep_daemon *d;
	uint64_t now;
	unsigned int logged;
	unsigned long long unlogged;
};

/* Whether to name one more expiry this tick (-v, and AGED_LOG_MAX not
 * reached; past it the rest are counted for one line). */
static bool name_aged(struct age_ctx *a)
{
	if (!vtep_log_enabled(VTEP_LOG_DEBUG))
		return false;
	if (a->logged >= AGED_LOG_MAX) {
		a->unlogged++;
		return false;
	}
	a->logged++;
	return true;
}

/* Every entry that ages out is counted, and named in the debug log (-v):
 * where it was and how long it went unseen, so that a drop blamed on ageing
 * can be matched to one. */
static void count_aged(const struct fdb_entry *e, void *arg)
{
	struct age_ctx *a = arg;
	struct vtep_vni_rt *v = daemon_find_vni(a->d, e->vni);
	char mac[VTEP_MAC_STRLEN], ip[VTEP_ADDR_STRLEN], where[VTEP_ADDR_STRLEN + 32];

	if (v)
		v->c.aged++;
	if (!name_aged(a))
		return;
	if (e->type == FDB_LOCAL && e->tap < a->d->n_taps)
		snprintf(where, sizeof(where), "on tap '%s'", a->d->taps[e->tap].io.name);
	else
		snprintf(where, sizeof(where), "behind %s", vtep_addr_fmt(&e->remote, ip));
	log_debug("vni %u: %s %s aged out, unseen for %llu s", e->vni, vtep_mac_fmt(&e->mac, mac),
		  where, vtep_age_s(a->now, e->seen_ms));
}

static void count_arp_aged(const struct arpc_entry *e, void *arg)
{
	struct age_ctx *a = arg;
	struct vtep_vni_rt *v = daemon_find_vni(a->d, e->vni);
	char ip[VTEP_ADDR_STRLEN], mac[VTEP_MAC_STRLEN];

	if (v)
		v->c.arp_aged++;
	if (!name_aged(a))
		return;
	log_debug("vni %u: neighbour %s at %s aged out, unseen for %llu s", e->vni,
		  vtep_addr_fmt(&e->ip, ip), vtep_mac_fmt(&e->mac, mac),
		  vtep_age_s(a->now, e->seen_ms));
}

void datapath_tick(struct vtep_daemon *d)
{
	struct age_ctx a = { .d = d, .now = vtep_now_ms() };
	uint64_t now = a.now;

	(void)fdb_expire(d->fdb, now, (uint64_t)d->conf->ageing * 1000, count_aged, &a);
	arpc_lock(d->arpc);
	(void)arpc_expire(d->arpc, now, (uint64_t)d->conf->arp_ageing * 1000, count_arp_aged,
			  &a);
	arpc_unlock(d->arpc);
	if (a.unlogged)
		log_debug("%llu more FDB and ARP/ND entries aged out (not named)", a.unlogged);
}
