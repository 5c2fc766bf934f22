/* riox-perf internals shared by its roles: loop creation on the chosen
 * backend, the server (a sink/echo for every mode) and the client (the load
 * generator that measures). Only riox.h and plat.h below this line. */
#ifndef RIOX_PERF_PERF_H
#define RIOX_PERF_PERF_H

#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "report.h"
#include "riox.h"

/* Exit statuses (documented in --help). */
enum { PERF_EXIT_OK = 0, PERF_EXIT_FAIL = 1, PERF_EXIT_USAGE = 2, PERF_EXIT_NO_BACKEND = 3 };

/* ------------------------------------------------------------ backend */

/* Once, before any loop exists: stand the RIO emulator in for the OS when
 * --backend rio-emulated (or RIOX_RIO_EMULATION=1) asks for it. Returns
 * PERF_EXIT_OK, or PERF_EXIT_NO_BACKEND with err set when this build has no
 * emulator. */
int perf_backend_prepare(const perf_opts *o, char *err, size_t errlen);
/* A loop on the run's backend. PERF_EXIT_OK, PERF_EXIT_NO_BACKEND (the OS or
 * build lacks it) or PERF_EXIT_FAIL, with err set. */
int perf_loop_open(const perf_opts *o, uint32_t buf_size, uint32_t buf_count, riox_loop **out,
                   char *err, size_t errlen);
/* --offload resolved: 1 when segmented sends / coalesced receives are
 * used (on, or the default where riox_probe finds UDP_SEGMENT or USO), else
 * 0. Only the UDP modes use it. */
int perf_offload_on(const perf_opts *o);
/* The run's rio_notify name when the loop runs RIO, else NULL. */
const char *perf_loop_notify_name(const perf_opts *o, riox_loop *loop);

/* ------------------------------------------------------------- server */

typedef struct perf_server perf_server_t;

/* What the client asks an in-process server to do (thread-safe). */
enum perf_server_cmd { PERF_SRV_SNAP_START = 0, PERF_SRV_SNAP_END, PERF_SRV_STOP };

/* Create the loop and open UDP and/or TCP on o->bind (same port for both
 * when a port is given). Call on the thread that will run it. */
int perf_server_open(const perf_opts *o, int udp, int tcp, uint32_t buf_size, perf_server_t **out,
                     char *err, size_t errlen);
/* The bound addresses (port chosen by the OS when bind had port 0). */
void perf_server_addrs(const perf_server_t *s, riox_addr *udp, riox_addr *tcp);
riox_loop *perf_server_loop(perf_server_t *s);
/* Serve until PERF_SRV_STOP, or for duration_s (> 0). PERF_EXIT_*. */
int perf_server_run(perf_server_t *s, double duration_s);
/* From another thread: riox_wake the server's loop with a command. */
int perf_server_command(perf_server_t *s, int cmd);
/* After perf_server_run returned: the loop statistics at SNAP_START and
 * SNAP_END (zero if they never came). */
void perf_server_snapshots(const perf_server_t *s, riox_stats *start, riox_stats *end);
void perf_server_close(perf_server_t *s);

/* ------------------------------------------------------------- client */

/* Drive the server at `target` for the whole run and fill *res. srv is the
 * in-process server (--role both) or NULL; the client sends it its
 * SNAP_START/SNAP_END commands but not STOP. PERF_EXIT_*, err set on failure. */
int perf_client_run(const perf_opts *o, const riox_addr *target, perf_server_t *srv,
                    perf_result_t *res, char *err, size_t errlen);

/* ------------------------------------------------------------ threads */

/* --threads N > 1 (threads.c): every role on N loops on N threads. Server
 * role: prints the ready line and serves, *res unused. Client and both:
 * fills *res with the summed result. PERF_EXIT_*, err set on failure. */
int perf_threads_run(const perf_opts *o, perf_result_t *res, char *err, size_t errlen);

/* --role both: add the in-process server's share (OS calls, errors, drops)
 * between its SNAP_START and SNAP_END statistics. */
void perf_result_add_server(perf_result_t *r, const riox_stats *s0, const riox_stats *s1);

#endif
