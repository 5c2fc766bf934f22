/* The fault tests' invariant checker (world.c): every operation the
 * workload posts (workload.c) is recorded with the socket and direction it
 * belongs to, and every event riox_wait returns is checked against them:
 *  - one event per posted operation, none for a post that failed;
 *  - in posting order per socket and direction: receives, and on TCP
 *    sends (what riox.h promises);
 *  - a socket's CLOSE comes once, after every event of its operations, and
 *    nothing of the socket follows it;
 *  - at the end every socket closed got its CLOSE, every operation and
 *    timer its event, every wake its WAKE, within a bounded time (no hang);
 *  - nothing freed early and no leak: ASan natively (use after free, and
 *    the leak check at exit), the heap measure under Wine is the harness's.
 * The first violation is kept in err, with the fault that was armed. */
#ifndef RIOX_FAULTS_WORLD_H
#define RIOX_FAULTS_WORLD_H

#include <stdint.h>

#include "riox.h"

#define W_MAX_SOCKS 32
#define W_MAX_OPS 512

enum w_dir { W_RX = 0, W_TX = 1, W_OTHER = 2 };

typedef struct w_sock {
  riox_sock *s;
  int closing;   /* riox_close/abort returned 0: a CLOSE is owed */
  int closed;    /* its CLOSE arrived */
  int udp;       /* UDP: riox.h orders receives only (a send posted plainly may
                    complete inline after a deferred one the flush sent) */
  uint32_t posted[3], done[3]; /* per direction: ops posted, events seen */
} w_sock;

typedef struct w_op {
  int sock;       /* index into socks, or -1 (a timer) */
  int dir;
  uint32_t type;  /* the event it owes (RIOX_EV_*) */
  uint32_t seq;   /* its place in the socket's direction */
  int state;      /* 0 free, 1 posting, 2 posted, 3 done */
  char *buf;      /* a pool slot it holds */
} w_op;

typedef struct world {
  riox_loop *loop;
  w_sock socks[W_MAX_SOCKS];
  int nsocks;
  w_op ops[W_MAX_OPS];
  int nops;
  uint32_t wakes_owed, wakes_seen;
  int ready_seen, accept_seen, connect_ok;
  riox_sock *accepted; /* the last connection accepted (workload.c) */
  int failed;
  char err[512];
} world;

void w_init(world *w, riox_loop *loop);
/* Add a socket the workload made (or accepted); its index. -1: no room (a
 * violation of the test itself). */
int w_sock_add(world *w, riox_sock *s);
int w_sock_find(const world *w, const riox_sock *s);
/* An operation about to be posted on socket index si (-1: none) owing an
 * event of `type`: its record, the ctx to post with. w_posted(w, op, rc)
 * with the post's result: 0 counts it, a failure frees it again. */
w_op *w_op_begin(world *w, int si, int dir, uint32_t type, char *buf);
int w_posted(world *w, w_op *op, int rc);
/* riox_close/riox_abort of socket index si returned rc. */
void w_closing(world *w, int si, int rc);
/* One event from riox_wait: checked, its buffer given back. */
void w_event(world *w, const riox_event *ev);
/* riox_wait for up to ms (in slices), every event through w_event. */
void w_pump(world *w, int ms);
/* Pump until `pred` holds or ms passed; 1 if it held. */
int w_pump_until(world *w, int (*pred)(world *), int ms);
/* What is still owed (ops, CLOSEs, wakes): 0 when nothing. */
int w_owed(const world *w);
/* Close every socket still open, pump until nothing is owed (at most
 * ms: past that it is a hang), then check what is left. */
void w_finish(world *w, int ms);
void w_violation(world *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
