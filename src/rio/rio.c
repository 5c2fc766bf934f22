/* The RIO backend's vtable and loop setup: register every pool region once
 * (RIORegisterBuffer), register an array of address slots for
 * RIOReceiveEx/RIOSendEx, create the loop's completion queue. */
#include <stdlib.h>
#include <string.h>

#include "rio_internal.h"

static int rio__register(riox_loop *loop, char *base, size_t size, RIO_BUFFERID *id) {
  rio_loop_t *rl = rio_loop_of(loop);
  if (size > 0xffffffffu) return error_detail(RIOX_EINVAL, "RIO: region of %llu bytes is too large",
                                                   (unsigned long long)size);
  LOOP_OSCALL(loop);
  *id = RIO_FAULT("RIORegisterBuffer", RIOX_TEST_FAULT_NOMEM, RIO_INVALID_BUFFERID,
                  rl->fn.RIORegisterBuffer(base, (DWORD)size));
  if (*id == RIO_INVALID_BUFFERID) {
    int err = WSAGetLastError();
    return error_detail(error_from_win32((uint32_t)err), "RIORegisterBuffer(%llu bytes) failed: WSA error %d",
                        (unsigned long long)size, err);
  }
  return 0;
}

static int rio__loop_fini(riox_loop *loop);

static int rio__loop_init(riox_loop *loop) {
  rio_loop_t *rl = (rio_loop_t *)calloc(1, sizeof *rl);
  uint32_t i;
  int rc;
  if (rl == NULL) return error_detail(RIOX_ENOMEM, "no memory for the RIO backend");
  loop->be_data = rl;
  rl->fn = loop->ext.rio;
  rl->cq = RIO_INVALID_CQ;
  rl->addr_id = RIO_INVALID_BUFFERID;
  rl->ctrl_id = RIO_INVALID_BUFFERID;
  list_init(&rl->dirty);
  list_init(&rl->posted);
  for (i = 0; i < loop->pool.nregions; i++)
    loop->pool.regions[i].user = (void *)RIO_INVALID_BUFFERID;
  /* One address slot per request is enough: only requests use them. */
  rl->naddrs = loop->cfg.max_requests;
  rl->addrs = (SOCKADDR_INET *)OSCALL_VALLOC((SIZE_T)rl->naddrs * sizeof(SOCKADDR_INET));
  rl->addr_free = (uint32_t *)malloc((size_t)rl->naddrs * sizeof(uint32_t));
  if (rl->addrs == NULL || rl->addr_free == NULL) {
    rc = error_detail(RIOX_ENOMEM, "no memory for %u RIO address slots", rl->naddrs);
    goto fail;
  }
  for (i = 0; i < rl->naddrs; i++) rl->addr_free[i] = rl->naddrs - 1 - i;
  rl->addr_nfree = rl->naddrs;
  rc = rio__register(loop, (char *)rl->addrs, (size_t)rl->naddrs * sizeof(SOCKADDR_INET), &rl->addr_id);
  for (i = 0; rc == 0 && i < loop->pool.nregions; i++) {
    RIO_BUFFERID id;
    rc = rio__register(loop, loop->pool.regions[i].base, loop->pool.regions[i].size, &id);
    if (rc == 0) loop->pool.regions[i].user = (void *)id;
  }
  if (rc == 0) rc = rio_cq_create(loop);
  if (rc == 0) return 0;
fail:
  (void)rio__loop_fini(loop);
  return rc;
}

/* Returns 1 when RIO may still write into the loop's buffers (see
 * backend_ops_t.loop_fini): the pool must then outlive the loop. */
static int rio__loop_fini(riox_loop *loop) {
  rio_loop_t *rl = rio_loop_of(loop);
  uint32_t i;
  if (rl == NULL) return 0;
  if (!list_empty(&rl->posted)) {
    /* riox_loop_close gave up draining: RIO still holds requests. Their
     * buffers and address slots may still be written, their results would
     * land in the CQ, and "deregistering a buffer still in use is a serious
     * error" (RIODeregisterBuffer): leak the registrations, the address
     * slots, the CQ and this state (its notify_ov is the CQ's notification
     * OVERLAPPED). Only the thread-pool wait goes, as its callback names the
     * loop, which is freed. riox_loop_close leaks the pool and the slab. */
    rio_cq_abandon(loop);
    loop->be_data = NULL;
    return 1;
  }
  rio_cq_destroy(loop);
  if (rl->abandoned > 0) {
    /* Requests were given up to a corrupt CQ (rio_rq_abandon_all): the CQ
     * is closed, which RIO documents as safe with requests outstanding
     * (later completions are dropped), but deregistering a buffer still in
     * use is "a serious error" (RIODeregisterBuffer) and the kernel may
     * still write into the address slots. Leak both; riox_loop_close leaks
     * the pool. */
    free(rl->addr_free);
    free(rl);
    loop->be_data = NULL;
    return 1;
  }
  for (i = 0; i < loop->pool.nregions; i++) {
    RIO_BUFFERID id = (RIO_BUFFERID)loop->pool.regions[i].user;
    if (id != RIO_INVALID_BUFFERID) rl->fn.RIODeregisterBuffer(id);
    loop->pool.regions[i].user = NULL;
  }
  if (rl->addr_id != RIO_INVALID_BUFFERID) rl->fn.RIODeregisterBuffer(rl->addr_id);
  if (rl->addrs != NULL) VirtualFree(rl->addrs, 0, MEM_RELEASE);
  if (rl->ctrl_id != RIO_INVALID_BUFFERID) rl->fn.RIODeregisterBuffer(rl->ctrl_id);
  if (rl->ctrls != NULL) VirtualFree(rl->ctrls, 0, MEM_RELEASE);
  free(rl->addr_free);
  free(rl);
  loop->be_data = NULL;
  return 0;
}

static int rio__sock_cancel(riox_sock *sock) {
  rio_rq_t *q = (rio_rq_t *)sock->backend;
  if (sock->state == SK_CLOSING) {
    /* closesocket comes next and frees the RIO queue. Nothing documents
     * what becomes of RIO_MSG_DEFER requests never committed by then, so
     * commit them first: every request is then one the kernel knows and will
     * complete (aborted by the close). msquic commits on every path too. */
    if (q != NULL) rio_rq_commit_closing(sock->loop, q);
    return 0;
  }
  /* Nothing posted: nothing to cancel. */
  if (q == NULL || (q->recv_out == 0 && q->send_out == 0)) return 0;
  /* RIO has no per-request cancel; only closing the socket aborts them. */
  return error_detail(RIOX_ENOTSUP,
                      "riox_cancel: RIO requests cannot be cancelled one by one; riox_close aborts them");
}

static int rio__flush(riox_loop *loop) { return rio_rq_commit_all(loop); }

const backend_ops_t rio_backend = {
    "rio",          WSA_FLAG_REGISTERED_IO, rio__loop_init, rio__loop_fini,   rio_rq_attach,
    rio__sock_cancel, rio_rq_detach,        rio_rq_recv,    rio_rq_send,      rio__flush,
    rio_cq_before_wait, rio_cq_on_packet,
};
