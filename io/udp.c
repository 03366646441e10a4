/* SPDX-License-Identifier: MIT */
/*
 * io/udp.c - the underlay: a receive socket bound to local:dstport, a pool
 * of send sockets bound to ports in the srcport range (a UDP socket cannot
 * pick its source port per packet, so entropy, RFC 7348 section 5, comes from
 * choosing the socket), and one receive socket per multicast group bound to
 * group:dstport and joined on dev. DF is set everywhere: a VTEP never
 * fragments (RFC 7348 section 4.3). The underlay is IPv4 or IPv6, as local
 * is: every socket is of that family (IPv6 ones with IPV6_V6ONLY). The DS
 * field is chosen per send (a control message) and read on receipt.
 */
#include "io.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* UDP GRO on a receive socket: GSO trains (and, on real NICs, runs of
 * datagrams) arrive as one buffer with a UDP_GRO cmsg giving the segment
 * size. Needs 64 KiB receive buffers. VTEP_UDP_GRO=0 leaves it off. */
static void set_gro(int fd)
{
	const char *e = getenv("VTEP_UDP_GRO");

	if (e && strcmp(e, "0") == 0)
		return;
	(void)set_int(fd, SOL_UDP, UDP_GRO, 1);
}

socklen_t io_sockaddr(const struct vtep_addr *a, uint16_t port, int ifindex,
		      struct sockaddr_in6 *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (a->family == AF_INET) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htobe16(port);
		sin.sin_addr = a->v4;
		memcpy(ret, &sin, sizeof(sin));
		return sizeof(sin);
	}
	ret->sin6_family = AF_INET6;
	ret->sin6_port = htobe16(port);
	ret->sin6_addr = a->v6;
	/* A link-local scope group means nothing without its interface. */
	if (IN6_IS_ADDR_MC_LINKLOCAL(&a->v6) || IN6_IS_ADDR_MC_NODELOCAL(&a->v6))
		ret->sin6_scope_id = (uint32_t)ifindex;
	return sizeof(*ret);
}

void io_sockaddr_addr(const struct sockaddr *sa, struct vtep_addr *ret, uint16_t *ret_port)
{
	memset(ret, 0, sizeof(*ret));
	*ret_port = 0;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		ret->family = AF_INET;
		ret->v4 = sin.sin_addr;
		*ret_port = be16toh(sin.sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		ret->family = AF_INET6;
		ret->v6 = sin6.sin6_addr;
		*ret_port = be16toh(sin6.sin6_port);
	}
}

static bool v6(const struct vtep_addr *a)
{
	return a->family == AF_INET6;
}

int io_addr_dev(const struct vtep_addr *local, char name[VTEP_IFNAMSIZ], unsigned int *ret_mtu)
{
	struct ifaddrs *ifa, *i;
	struct ifreq ifr;
	int r = -EADDRNOTAVAIL, s;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct vtep_addr a;
		uint16_t port;

		if (!i->ifa_addr || i->ifa_addr->sa_family != local->family)
			continue;
		io_sockaddr_addr(i->ifa_addr, &a, &port);
		if (vtep_addr_eq(&a, local)) {
			snprintf(name, VTEP_IFNAMSIZ, "%s", i->ifa_name);
			r = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	if (r < 0 || !ret_mtu)
		return r;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	r = ioctl(s, SIOCGIFMTU, &ifr) < 0 ? -errno : 0;
	if (r == 0)
		*ret_mtu = (unsigned int)ifr.ifr_mtu;
	close(s);
	return r;
}

/* Send datagrams to groups out of dev (from local, for IPv4). */
static int set_mcast_if(int fd, const struct vtep_addr *local, int ifindex)
{
	struct ip_mreqn mreq;

	if (v6(local))
		return set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
	memset(&mreq, 0, sizeof(mreq));
	mreq.imr_address = local->v4;
	mreq.imr_ifindex = ifindex;
	return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) < 0 ? -errno : 0;
}

static int sock_of(const struct vtep_addr *a)
{
	int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	r = v6(a) ? set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) : 0;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int dev_mtu(const char *dev, unsigned int *ret_mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	r = ioctl(s, SIOCGIFMTU, &ifr) < 0 ? -errno : 0;
	if (r == 0)
		*ret_mtu = (unsigned int)ifr.ifr_mtu;
	close(s);
	return r;
}

int io_path_mtu(const struct io_underlay *ul, const struct vtep_addr *dst)
{
	struct sockaddr_in6 sa;
	socklen_t sl = sizeof(int), len;
	int fd, mtu = 0, r;

	if (dst->family != ul->local.family)
		return -EAFNOSUPPORT;
	if (ul->df_unset) {
		unsigned int dev = 0;

		r = dev_mtu(ul->dev, &dev);
		return r < 0 ? r : dev > 0 ? (int)dev : -EINVAL;
	}
	fd = sock_of(dst);
	if (fd < 0)
		return fd;
	/* Routed as the send sockets are: from local, groups out of dev. */
	len = io_sockaddr(&ul->local, 0, ul->ifindex, &sa);
	r = bind(fd, (const struct sockaddr *)&sa, len) < 0 ? -errno : 0;
	if (r == 0)
		r = set_mcast_if(fd, &ul->local, ul->ifindex);
	len = io_sockaddr(dst, ul->dstport, ul->ifindex, &sa);
	if (r == 0 && connect(fd, (const struct sockaddr *)&sa, len) < 0)
		r = -errno;
	if (r == 0 && getsockopt(fd, v6(dst) ? IPPROTO_IPV6 : IPPROTO_IP,
				 v6(dst) ? IPV6_MTU : IP_MTU, &mtu, &sl) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? r : mtu > 0 ? mtu : -EINVAL;
}

bool io_addr_present(const struct vtep_addr *local)
{
	char name[VTEP_IFNAMSIZ];

	return io_addr_dev(local, name, NULL) == 0;
}

/* Options every underlay socket shares. */
static int sock_common(const struct io_underlay_params *p, int ifindex, int fd)
{
	bool six = v6(&p->local);
	/* TTL is the hop limit on IPv6; PMTUDISC_DO keeps the host from
	 * fragmenting (IPv6 routers never do). PMTUDISC_INTERFACE (df_unset)
	 * sends without DF and still never fragments here: a datagram larger
	 * than the interface fails with EMSGSIZE, as with DO at the path MTU. */
	int pmtu = six ? IPV6_PMTUDISC_DO : p->df_unset ? IP_PMTUDISC_INTERFACE : IP_PMTUDISC_DO;
	const struct { int opt, val; } o[] = {
		{ six ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER, pmtu },
		{ six ? IPV6_UNICAST_HOPS : IP_TTL, p->ttl },
		{ six ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, p->mcast_ttl },
		{ six ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, 0 },
		/* The outer DS field of what arrives, for ECN (RFC 6040). */
		{ six ? IPV6_RECVTCLASS : IP_RECVTOS, 1 },
	};
	int r = 0;

	for (size_t i = 0; i < VTEP_ARRAY_SIZE(o) && r == 0; i++)
		r = set_int(fd, six ? IPPROTO_IPV6 : IPPROTO_IP, o[i].opt, o[i].val);
	if (r == 0)
		r = set_mcast_if(fd, &p->local, ifindex);
	/* RFC 7348 5: a zero UDP checksum MUST be accepted; over IPv6 the
	 * kernel drops one unless told (RFC 6935 allows it for tunnels, and
	 * VTEPs send it: the kernel driver with udp6zerocsumtx). */
	if (r == 0 && six)
		r = set_int(fd, IPPROTO_UDP, UDP_NO_CHECK6_RX, 1);
	if (r < 0)
		return r;
	(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
	(void)set_int(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20);
	return 0;
}

static int sock_bound(const struct io_underlay_params *p, int ifindex,
		      const struct vtep_addr *addr, uint16_t port, bool reuse)
{
	struct sockaddr_in6 sa;
	socklen_t len;
	int fd = sock_of(addr);
	int r;

	if (fd < 0)
		return fd;
	r = sock_common(p, ifindex, fd);
	if (r == 0 && reuse)
		r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	/* Only the receive sockets of one daemon's workers share the port:
	 * SO_REUSEPORT groups need the same owner, and anyone else still
	 * gets EADDRINUSE. */
	if (r == 0 && p->reuseport && !reuse && port == p->dstport)
		r = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	len = io_sockaddr(addr, port, ifindex, &sa);
	if (r == 0 && bind(fd, (struct sockaddr *)&sa, len) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Fill the send pool from the srcport range, skipping ports in use. The
 * starting point spreads over the range so two VTEPs on one host differ. */
static int open_tx_pool(const struct io_underlay_params *p, struct io_underlay *ul)
{
	unsigned int range = (unsigned int)p->srcport_max - p->srcport_min + 1;
	unsigned int want = VTEP_MIN(range, (unsigned int)IO_TX_SOCKETS);
	unsigned int step = range / want;
	uint32_t low;
	unsigned int start;

	memcpy(&low, v6(&p->local) ? &p->local.v6.s6_addr[12] : (const uint8_t *)&p->local.v4, 4);
	start = be32toh(low) % range;

	for (unsigned int k = 0; k < range && ul->n_tx < want; k++) {
		unsigned int off = (start + k * (step ? step : 1) + k / want) % range;
		uint16_t port = (uint16_t)(p->srcport_min + off);
		int fd;

		if (port == p->dstport)
			continue;
		fd = sock_bound(p, ul->ifindex, &p->local, port, false);
		if (fd == -EADDRINUSE)
			continue;
		if (fd < 0)
			return fd;
		ul->tx_fd[ul->n_tx] = fd;
		ul->tx_port[ul->n_tx++] = port;
	}
	return ul->n_tx ? 0 : -EADDRINUSE;
}

int io_underlay_open(const struct io_underlay_params *p, struct io_underlay *ret_ul,
		     char *why, size_t whylen)
{
	struct io_underlay ul;
	char a[VTEP_ADDR_STRLEN];
	int r;

	memset(&ul, 0, sizeof(ul));
	ul.rx_fd = -1;
	ul.local = p->local;
	ul.dstport = p->dstport;
	ul.ttl = p->ttl;
	ul.mcast_ttl = p->mcast_ttl;
	ul.reuseport = p->reuseport;
	ul.df_unset = p->df_unset;
	if (p->dev && p->dev[0]) {
		snprintf(ul.dev, sizeof(ul.dev), "%s", p->dev);
		r = dev_mtu(ul.dev, &ul.mtu);
	} else {
		r = io_addr_dev(&p->local, ul.dev, &ul.mtu);
	}
	if (r < 0) {
		snprintf(why, whylen, "no interface %s'%s': %s", p->dev && p->dev[0] ? "" : "owns ",
			 p->dev && p->dev[0] ? p->dev : vtep_addr_fmt(&p->local, a), strerror(-r));
		return r;
	}
	ul.ifindex = (int)if_nametoindex(ul.dev);
	r = sock_bound(p, ul.ifindex, &p->local, p->dstport, false);
	if (r < 0) {
		snprintf(why, whylen, "cannot bind %s:%u: %s%s", vtep_addr_fmt(&p->local, a),
			 p->dstport, strerror(-r),
			 r == -EADDRINUSE ? " (another VTEP, or a kernel vxlan device, owns the port)" :
			 r == -EADDRNOTAVAIL && v6(&p->local) ? " (an IPv6 address is usable once "
			 "duplicate address detection has passed; 'nodad' skips it)" : "");
		return r;
	}
	ul.rx_fd = r;
	set_gro(ul.rx_fd);
	r = open_tx_pool(p, &ul);
	if (r < 0) {
		snprintf(why, whylen, "cannot bind any source port in %u..%u: %s",
			 p->srcport_min, p->srcport_max, strerror(-r));
		io_underlay_close(&ul);
		return r;
	}
	*ret_ul = ul;
	return 0;
}

void io_underlay_close(struct io_underlay *ul)
{
	if (ul->rx_fd >= 0)
		close(ul->rx_fd);
	for (unsigned int i = 0; i < ul->n_tx; i++)
		close(ul->tx_fd[i]);
	ul->rx_fd = -1;
	ul->n_tx = 0;
}

int io_underlay_rx_open(const struct io_underlay *ul)
{
	struct io_underlay_params p = {
		.local = ul->local,
		.dstport = ul->dstport,
		.ttl = ul->ttl,
		.mcast_ttl = ul->mcast_ttl,
		.reuseport = true,
		.df_unset = ul->df_unset,
	};
	int fd;

	if (!ul->reuseport)
		return -EINVAL;
	fd = sock_bound(&p, ul->ifindex, &ul->local, ul->dstport, false);
	if (fd >= 0)
		set_gro(fd);
	return fd;
}

/* Join or leave group on dev: the kernel speaks IGMP or MLD for us. */
static int membership(int fd, const struct io_underlay *ul, const struct vtep_addr *group,
		      bool join)
{
	struct ipv6_mreq m6;
	struct ip_mreqn m4;
	int r;

	if (v6(group)) {
		memset(&m6, 0, sizeof(m6));
		m6.ipv6mr_multiaddr = group->v6;
		m6.ipv6mr_interface = (unsigned int)ul->ifindex;
		r = setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP,
			       &m6, sizeof(m6));
	} else {
		memset(&m4, 0, sizeof(m4));
		m4.imr_multiaddr = group->v4;
		m4.imr_ifindex = ul->ifindex;
		r = setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
			       &m4, sizeof(m4));
	}
	return r < 0 ? -errno : 0;
}

int io_group_join(const struct io_underlay *ul, const struct vtep_addr *group)
{
	struct io_underlay_params p = { .local = ul->local, .ttl = 1, .mcast_ttl = 1 };
	int fd, r;

	if (ul->ifindex <= 0)
		return -ENODEV;
	if (group->family != ul->local.family)
		return -EAFNOSUPPORT;
	fd = sock_bound(&p, ul->ifindex, group, ul->dstport, true);
	if (fd < 0)
		return fd;
	set_gro(fd);
	r = membership(fd, ul, group, true);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

void io_group_leave(const struct io_underlay *ul, int fd, const struct vtep_addr *group)
{
	if (fd < 0)
		return;
	(void)membership(fd, ul, group, false);
	close(fd);
}
