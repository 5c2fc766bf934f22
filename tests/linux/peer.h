/* A plain-socket peer for the tests/linux programs: traffic that does not
 * come through riox, so a test can wake riox's sockets from outside. */
#ifndef RIOX_TESTS_LINUX_PEER_H
#define RIOX_TESTS_LINUX_PEER_H

#include <stddef.h>

#include "riox.h"

/* Send one datagram of len bytes to `to` (IPv4 or IPv6) from a fresh
 * socket closed right after. 0, or -1 when it did not all go. */
int peer_udp_send(const riox_addr *to, const void *data, size_t len);

#endif
