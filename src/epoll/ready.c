/* The epoll backend's epoll instance (loop->epfd) and what it holds besides
 * the completion sockets (epoll.c): the wake channel (the layer's eventfd,
 * data.ptr NULL) and readiness sockets, each armed with EPOLLONESHOT
 * (src/linux/ready.c decides when and for what). Only this backend has an
 * epoll instance: a ring polls its readiness sockets and reads the eventfd
 * itself (src/uring). */
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "linux.h"

int epoll_set_open(riox_loop *loop) {
  struct epoll_event ev;
  loop->epfd = sys_epoll_create1(EPOLL_CLOEXEC);
  if (loop->epfd < 0) return sock_errno_error("epoll_create1");
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN;
  ev.data.ptr = NULL; /* NULL: the wake channel; else a riox_sock */
  if (sys_epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wake_fd, &ev) != 0) {
    int rc = sock_errno_error("epoll_ctl(eventfd)");
    close(loop->epfd);
    loop->epfd = -1;
    return rc;
  }
  return 0;
}

void epoll_set_close(riox_loop *loop) {
  if (loop->epfd >= 0) close(loop->epfd);
  loop->epfd = -1;
}

/* A report for `events` (0: none) replaces what was asked before; the
 * socket joins the set when it is first armed. An arm the kernel refuses
 * (ENOMEM, ENOSPC) is reported as an error condition, as on uring and
 * Windows, and asked again once the application has that event (or, with
 * no room for it, at the next wait): never a watch that silently stopped. */
void epoll_watch_poll(poll_watch_t *w, uint32_t events) {
  riox_sock *sock = w->sock;
  riox_loop *loop = sock->loop;
  struct epoll_event ev;
  int rc, e;
  memset(&ev, 0, sizeof ev);
  ev.data.ptr = sock;
  ev.events = events != 0 ? events | EPOLLONESHOT : 0;
  LOOP_OSCALL(loop);
  if (sock->in_epoll) {
    rc = sys_epoll_ctl(loop->epfd, EPOLL_CTL_MOD, sock->s, &ev);
  } else {
    rc = sys_epoll_ctl(loop->epfd, EPOLL_CTL_ADD, sock->s, &ev);
    if (rc == 0) sock->in_epoll = 1;
  }
  if (rc == 0) {
    w->armed = (uint8_t)(events != 0);
    return;
  }
  /* Stopping failed: the armed report, if it fires, finds nothing of
   * interest (ready_event). */
  if (events == 0) return;
  e = errno;
  w->armed = 0;
  if (!watch_push(w, RIOX_ERROR,
                  error_detail(error_from_errno(e), "epoll_ctl: %s (errno %d)", strerror(e), e), 0))
    ready_queue(w);
}

/* close() takes the socket out of the interest list; nothing is pending. */
void epoll_watch_closing(poll_watch_t *w) { (void)w; }

int linux_epoll_event(riox_loop *loop, const struct epoll_event *e) {
  riox_sock *sock = (riox_sock *)e->data.ptr;
  if (sock == NULL) {
    linux_wake_drain(loop);
    return 1;
  }
  if (sock->mode != SK_MODE_READINESS) return 0;
  if (sock->watch != NULL) sock->watch->armed = 0; /* EPOLLONESHOT: the kernel disarmed it */
  ready_event(sock, e->events);
  return 1;
}
