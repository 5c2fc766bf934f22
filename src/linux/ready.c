/* Readiness on Linux: not built yet (issue 10 brings it: native epoll
 * interest for the epoll backend, POLL_ADD on the ring for uring). Until
 * then every readiness call says so with RIOX_ENOTSUP and a detail, and
 * the core's readiness hooks have nothing to do. */
#include "linux.h"

#define READY__NOT_YET(what) \
  error_detail(RIOX_ENOTSUP, "%s: readiness (RIOX_SOCK_READINESS) is not built on Linux yet", what)

int riox_watch(riox_sock *sock, uint32_t events, void *ctx) {
  (void)sock;
  (void)events;
  (void)ctx;
  return READY__NOT_YET("riox_watch");
}

int riox_watch_modify(riox_sock *sock, uint32_t events, void *ctx) {
  (void)sock;
  (void)events;
  (void)ctx;
  return READY__NOT_YET("riox_watch_modify");
}

int riox_unwatch(riox_sock *sock) {
  (void)sock;
  return READY__NOT_YET("riox_unwatch");
}

int riox_try_recv(riox_sock *sock, void *buf, uint32_t cap, riox_addr *from) {
  (void)sock;
  (void)buf;
  (void)cap;
  (void)from;
  return READY__NOT_YET("riox_try_recv");
}

int riox_try_send(riox_sock *sock, const void *data, uint32_t len, const riox_addr *to) {
  (void)sock;
  (void)data;
  (void)len;
  (void)to;
  return READY__NOT_YET("riox_try_send");
}

int riox_try_accept(riox_sock *listener, riox_sock **out, riox_addr *peer) {
  (void)listener;
  (void)peer;
  if (out != NULL) *out = NULL;
  return READY__NOT_YET("riox_try_accept");
}

int riox_sock_error(riox_sock *sock) {
  (void)sock;
  return READY__NOT_YET("riox_sock_error");
}

void ready_epoll_event(riox_sock *sock, uint32_t events) {
  (void)sock;
  (void)events;
}

void poll_flush_updates(riox_loop *loop) { (void)loop; }
void poll_sock_closing(riox_sock *sock) { (void)sock; }
void poll_sock_free(riox_sock *sock) { (void)sock; }
void poll_loop_fini(riox_loop *loop) { (void)loop; }
int poll_event_live(riox_event *ev) {
  (void)ev;
  return 1;
}
