/*
 * abuse_slow.c - slow readers (see abuse.h): --slow connections that, for
 * --slow-ms, send as fast as the server takes it and read the echo at only
 * --slow-rate bytes per second each, so the server's echoes back up (its
 * sends wait, its receives must stop, and it must go on serving everyone
 * else). What is read is checked against what was sent (abuse_pattern);
 * then half close with FIN, half reset, all with unread echo left.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "abuse.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICK_MS 100
#define CHUNK 16384

struct slow_conn {
    int fd;
    uint64_t sent, read;
};

static void slow_pump(struct slow_conn *c, short revents, unsigned long budget)
{
    unsigned char buf[CHUNK];
    ssize_t k;
    size_t i;
    if (revents & POLLOUT) {
        for (i = 0; i < sizeof buf; i++)
            buf[i] = abuse_pattern(c->sent + i);
        k = send(c->fd, buf, sizeof buf, MSG_NOSIGNAL);
        if (k > 0) {
            c->sent += (uint64_t)k;
            g_abuse.slow_sent += (unsigned long)k;
        }
    }
    if ((revents & POLLIN) && budget > 0) {
        k = recv(c->fd, buf, budget < sizeof buf ? budget : sizeof buf, 0);
        for (i = 0; k > 0 && i < (size_t)k; i++)
            if (buf[i] != abuse_pattern(c->read + i)) {
                g_abuse.slow_bad++;
                break;
            }
        if (k > 0) {
            c->read += (uint64_t)k;
            g_abuse.slow_read += (unsigned long)k;
        }
    }
}

bool abuse_slow(const struct abuse_options *o)
{
    struct slow_conn *c = calloc(o->slow ? o->slow : 1, sizeof *c);
    struct pollfd *p = calloc(o->slow ? o->slow : 1, sizeof *p);
    unsigned long *left = calloc(o->slow ? o->slow : 1, sizeof *left); /* read budget this tick */
    unsigned long per_tick = o->slow_rate * TICK_MS / 1000, i;
    int64_t start;
    if (c == NULL || p == NULL || left == NULL) {
        free(c);
        free(p);
        free(left);
        return false;
    }
    for (i = 0; i < o->slow; i++) {
        int fd = abuse_tcp_start();
        c[i].fd = fd;
        if (fd < 0)
            g_abuse.failed++;
    }
    /* Wait for the connects (bounded): a pending one shows POLLOUT. */
    start = abuse_now_ms();
    for (i = 0; i < o->slow; i++) {
        struct pollfd q = {c[i].fd, POLLOUT, 0};
        while (c[i].fd >= 0 && poll(&q, 1, 100) == 0 && abuse_now_ms() - start < ABUSE_CONNECT_MS)
            ;
        if (c[i].fd >= 0 && !abuse_connect_done(c[i].fd)) {
            close(c[i].fd);
            c[i].fd = -1;
            g_abuse.failed++;
        } else if (c[i].fd >= 0) {
            g_abuse.slow_open++;
        }
    }
    start = abuse_now_ms();
    while (abuse_now_ms() - start < (int64_t)o->slow_ms && !abuse_past_deadline()) {
        int64_t tick = abuse_now_ms();
        for (i = 0; i < o->slow; i++)
            left[i] = per_tick;
        /* Within one tick: keep sending, read at most per_tick bytes. */
        while (abuse_now_ms() - tick < TICK_MS) {
            for (i = 0; i < o->slow; i++) {
                p[i].fd = c[i].fd;
                p[i].events = (short)(POLLOUT | (left[i] > 0 ? POLLIN : 0));
                p[i].revents = 0;
            }
            if (poll(p, (nfds_t)o->slow, 10) < 0 && errno != EINTR)
                break;
            for (i = 0; i < o->slow; i++) {
                uint64_t before = c[i].read;
                if (c[i].fd < 0 || p[i].revents == 0)
                    continue;
                if (p[i].revents & (POLLERR | POLLHUP)) { /* the server gave up on it */
                    close(c[i].fd);
                    c[i].fd = -1;
                    continue;
                }
                slow_pump(&c[i], p[i].revents, left[i]);
                left[i] -= (unsigned long)(c[i].read - before);
            }
        }
    }
    for (i = 0; i < o->slow; i++) {
        if (c[i].fd < 0)
            continue;
        if (i % 2)
            abuse_tcp_reset(c[i].fd);
        else
            close(c[i].fd); /* unread echo left: the kernel resets it anyway */
    }
    free(c);
    free(p);
    free(left);
    return !abuse_past_deadline();
}
