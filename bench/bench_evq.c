/* Event dispatch through the loop's event queue (src/common/evq.h, a ring
 * that riox_wait copies batches out of) against a linked list with one
 * malloc'd node per event. The parameter is the batch: events queued before
 * the application takes them (1, or 64 as from one riox_wait). One operation
 * = one event queued and handed out. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cbench.h"
#include "evq.h"

#define BENCH_EVQ_BATCH_MAX 64

typedef struct bench_node {
  struct bench_node *next;
  riox_event ev;
} bench_node_t;

typedef struct bench_evq_ctx {
  evq_t q;
  bench_node_t *head, *tail;
  uint32_t batch;
  uint64_t sum;
  riox_event out[BENCH_EVQ_BATCH_MAX];
} bench_evq_ctx_t;

static void *bench_evq_setup(int64_t batch) {
  bench_evq_ctx_t *x = (bench_evq_ctx_t *)calloc(1, sizeof *x);
  if (x == NULL) return NULL;
  evq_init(&x->q);
  x->batch = (uint32_t)batch;
  if (evq_reserve(&x->q, BENCH_EVQ_BATCH_MAX) != 0) {
    free(x);
    return NULL;
  }
  return x;
}

static void bench_evq_teardown(void *p) {
  bench_evq_ctx_t *x = (bench_evq_ctx_t *)p;
  evq_destroy(&x->q);
  free(x);
}

static void bench_evq_run(void *p, uint64_t n) {
  bench_evq_ctx_t *x = (bench_evq_ctx_t *)p;
  uint64_t done;
  uint32_t i, got;
  for (done = 0; done < n; done += x->batch) {
    for (i = 0; i < x->batch; i++) {
      riox_event *ev = evq_push(&x->q);
      ev->type = RIOX_EV_RECV;
      ev->len = i;
    }
    got = evq_pop(&x->q, x->out, x->batch);
    for (i = 0; i < got; i++) x->sum += x->out[i].len;
  }
  cbench_escape(x);
}

static void bench_list_run(void *p, uint64_t n) {
  bench_evq_ctx_t *x = (bench_evq_ctx_t *)p;
  uint64_t done;
  uint32_t i;
  for (done = 0; done < n; done += x->batch) {
    for (i = 0; i < x->batch; i++) {
      bench_node_t *node = (bench_node_t *)malloc(sizeof *node);
      if (node == NULL) abort();
      memset(node, 0, sizeof *node);
      node->ev.type = RIOX_EV_RECV;
      node->ev.len = i;
      if (x->tail != NULL) x->tail->next = node;
      else x->head = node;
      x->tail = node;
    }
    for (i = 0; i < x->batch && x->head != NULL; i++) {
      bench_node_t *node = x->head;
      x->head = node->next;
      if (x->head == NULL) x->tail = NULL;
      x->out[i] = node->ev;
      free(node);
      x->sum += x->out[i].len;
    }
  }
  cbench_escape(x);
}

static const cbench_def bench_evq_defs[] = {
    {"evq.dispatch/riox/1", bench_evq_setup, bench_evq_run, bench_evq_teardown, 1, 64},
    {"evq.dispatch/naive/1", bench_evq_setup, bench_list_run, bench_evq_teardown, 1, 64},
    {"evq.dispatch/riox/64", bench_evq_setup, bench_evq_run, bench_evq_teardown, 64, 64},
    {"evq.dispatch/naive/64", bench_evq_setup, bench_list_run, bench_evq_teardown, 64, 64},
};

void bench_evq_register(void) {
  size_t i;
  for (i = 0; i < sizeof bench_evq_defs / sizeof bench_evq_defs[0]; i++) cbench_register(&bench_evq_defs[i]);
}
