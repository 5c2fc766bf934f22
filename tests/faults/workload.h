/* The fault tests' workload (workload.c): one run on one loop of the
 * backend the harness chose, touching what riox does -- UDP with deep
 * receives, plain and deferred sends, cancel; TCP connect, accept,
 * receives and sends, shutdown, close with I/O in flight; a readiness
 * watch; timers, one cancelled; a wake -- with every event checked by the
 * world (world.h). Any riox call may fail (a fault was injected): the
 * workload goes on with what it has. `quick` runs a smaller workload (Wine). */
#ifndef RIOX_FAULTS_WORKLOAD_H
#define RIOX_FAULTS_WORKLOAD_H

#include "world.h"

/* 1: the test lifts every fault (riox_test_fault_disarm) before the final
 * drain, which must then end what the faults left. */
extern int wl_lift_before_finish;

/* 0: the run kept every invariant (w->err otherwise, 1 returned). */
int wl_run(int quick, char *err, size_t errlen);

#endif
