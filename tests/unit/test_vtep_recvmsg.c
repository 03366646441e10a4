/* SPDX-License-Identifier: MIT */
/*
 * test_vtep_recvmsg.c - the layout io/ring.c asks of a multishot recvmsg
 * buffer (IO_RECV_NAMELEN, IO_RECV_CMSG_SPACE in io/io.h): a buffer filled
 * the way the kernel fills it (struct io_uring_recvmsg_out, the address in
 * msg_namelen bytes, the control messages, the payload) is read back with
 * liburing's own inline helpers, as udp_event does, and the UDP_GRO cmsg
 * must be properly aligned (UBSan, which every unit test runs under, traps a
 * misaligned struct cmsghdr access) and carry the segment size, and the
 * payload must start on a 64-byte boundary (IO_UDP_LEAD). Links
 * nothing (liburing's helpers are inline).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>

#include "../../io/io.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* A receive buffer as io/ring.c hands it out: a 64-byte aligned slot,
 * the buffer IO_UDP_LEAD bytes into it. */
static _Alignas(64) uint8_t mem[IO_UDP_LEAD + 8192];

/* Fill buf as the kernel does for one datagram from src (namelen bytes
 * of address) carrying payload_len bytes, with a UDP_GRO cmsg of gso. */
static size_t fill(uint8_t *buf, const struct msghdr *msg, const void *src, uint32_t namelen,
		   int gso, size_t payload_len)
{
	struct io_uring_recvmsg_out out = {
		.namelen = namelen,
		.controllen = (unsigned int)CMSG_SPACE(sizeof(int)),
		.payloadlen = (unsigned int)payload_len,
		.flags = 0,
	};
	struct cmsghdr c = {
		.cmsg_len = CMSG_LEN(sizeof(int)),
		.cmsg_level = SOL_UDP,
		.cmsg_type = UDP_GRO,
	};
	uint8_t *ctl = buf + sizeof(out) + msg->msg_namelen;
	uint8_t *pay = ctl + msg->msg_controllen;

	memset(buf, 0, sizeof(out) + msg->msg_namelen + msg->msg_controllen);
	memcpy(buf, &out, sizeof(out));
	memcpy(buf + sizeof(out), src, namelen);
	memcpy(ctl, &c, sizeof(c));
	memcpy(CMSG_DATA((struct cmsghdr *)(void *)ctl), &gso, sizeof(gso));
	memset(pay, 0xab, payload_len);
	return (size_t)(pay - buf) + payload_len;
}

static void check_layout(const void *src, uint32_t namelen)
{
	uint8_t *buf = mem + IO_UDP_LEAD;
	struct msghdr msg;
	struct io_uring_recvmsg_out *out;
	struct cmsghdr *c;
	int gso = 0, n = 0;
	size_t res;

	memset(&msg, 0, sizeof(msg));
	msg.msg_namelen = IO_RECV_NAMELEN;
	msg.msg_controllen = IO_RECV_CMSG_SPACE;
	res = fill(buf, &msg, src, namelen, 1398, 3 * 1398);

	out = io_uring_recvmsg_validate(buf, (int)res, &msg);
	assert_non_null(out);
	assert_int_equal(out->namelen, namelen);
	for (c = io_uring_recvmsg_cmsg_firsthdr(out, &msg); c;
	     c = io_uring_recvmsg_cmsg_nexthdr(out, &msg, c)) {
		assert_int_equal((uintptr_t)c % alignof(struct cmsghdr), 0);
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			memcpy(&gso, CMSG_DATA(c), sizeof(gso));
			n++;
		}
	}
	assert_int_equal(n, 1);
	assert_int_equal(gso, 1398);
	assert_int_equal(io_uring_recvmsg_payload_length(out, (int)res, &msg), 3 * 1398);
	assert_int_equal(((uint8_t *)io_uring_recvmsg_payload(out, &msg))[0], 0xab);
	/* The payload, the bulk of the kernel's copy, on a 64-byte boundary. */
	assert_int_equal((uintptr_t)io_uring_recvmsg_payload(out, &msg) % 64, 0);
}

/* Room for any source and the GRO segment size: checked when this compiles. */
_Static_assert(IO_RECV_NAMELEN >= sizeof(struct sockaddr_in6), "name room");
_Static_assert(IO_RECV_NAMELEN >= sizeof(struct sockaddr_in), "name room");
_Static_assert(IO_RECV_CMSG_SPACE >= CMSG_SPACE(sizeof(int)), "cmsg room");

static void test_gro_cmsg_from_ipv4(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(4789) };

	(void)state;
	check_layout(&sin, sizeof(sin));
}

static void test_gro_cmsg_from_ipv6(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(4789) };

	(void)state;
	check_layout(&sin6, sizeof(sin6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gro_cmsg_from_ipv4),
		cmocka_unit_test(test_gro_cmsg_from_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
