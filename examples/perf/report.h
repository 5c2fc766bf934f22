/* riox-perf results: one struct per run, printed as a table or as one JSON
 * object. Portable (tests/native/test_perf_report.c parses the JSON). */
#ifndef RIOX_PERF_REPORT_H
#define RIOX_PERF_REPORT_H

#include <stdint.h>
#include <stdio.h>

enum { PERF_LAT_P50 = 0, PERF_LAT_P90, PERF_LAT_P99, PERF_LAT_P999, PERF_LAT_MAX, PERF_LAT_COUNT };

typedef struct perf_result {
  /* what ran */
  const char *backend;           /* riox_loop_backend(): iocp, rio, rio-emulated */
  const char *backend_requested; /* --backend */
  const char *mode, *role;
  const char *rio_notify;        /* NULL when the backend is not RIO */
  const char *latency_kind;      /* "round-trip" or "send-completion" */
  uint32_t size, conns, depth;
  uint32_t threads;              /* client loops (--threads); conns is per thread */
  uint32_t offload;              /* --offload resolved: 1 segmented sends / coalesced receives */
  double rate;                   /* requested ops/s, 0 = unlimited */
  double duration_s, warmup_s;
  int under_wine;
  /* what was measured, over the window */
  double elapsed_s;
  uint64_t ops;                  /* completed operations */
  uint64_t sent;                 /* client sends completed over the whole run */
  uint64_t errors, drops;
  double ops_per_sec, bits_per_sec;
  double latency_us[PERF_LAT_COUNT];
  double latency_mean_us;
  uint64_t latency_samples;
  double latency_rel_error;      /* the histogram's bound */
  double os_calls_per_op;        /* every loop in this process */
  double os_calls_per_op_client, os_calls_per_op_server; /* server < 0: not in this process */
  /* os_calls split (riox_stats): kernel entries and user-mode ring operations
   * (RIODequeueCompletion, deferred RIO posts, io_uring SQEs written and CQEs
   * reaped); each total = client + server, server < 0 as above. */
  double kernel_calls_per_op, kernel_calls_per_op_client, kernel_calls_per_op_server;
  double ring_ops_per_op, ring_ops_per_op_client, ring_ops_per_op_server;
  double cpu_us_per_op;          /* process user + kernel */
  double cpu_user_s, cpu_kernel_s;
} perf_result_t;

void perf_report_json(FILE *f, const perf_result_t *r);
void perf_report_table(FILE *f, const perf_result_t *r);

#endif
