/* Harness of the Windows-only test programs: the portable harness
 * (tests/behave/harness.h, which the behaviour tests on every OS use) plus
 * what only Windows programs need. */
#ifndef RIOX_TEST_WIN_HARNESS_H
#define RIOX_TEST_WIN_HARNESS_H

#include "../behave/harness.h"

/* Run fn for the iocp backend only (behaviour that is backend-independent,
 * e.g. the RIO conformance tests, which drive the RIO table themselves). */
int h_run_once(const char *name, h_test_fn fn);
/* A connected readiness TCP pair on loop: a RIOX_SOCK_READINESS listener
 * (*lis, left open), a readiness connect (*cli) and the connection
 * riox_try_accept took (*srv). Returns 0, or 1 after printing a failure. */
int h_ready_tcp_pair(riox_loop *loop, riox_sock **lis, riox_sock **cli, riox_sock **srv);

#endif
