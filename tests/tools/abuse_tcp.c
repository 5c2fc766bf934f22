/*
 * abuse_tcp.c - TCP abuse: churn, mid-stream resets, idle connections
 * (see abuse.h), plus the helpers every phase shares.
 *   churn:     --conns connections, at most --window at once; even ones send
 *              a few bytes, half-close and wait for the echo and the server's
 *              FIN (graceful); odd ones are reset with SO_LINGER 0, half of
 *              them after sending bytes, half at once.
 *   mid-reset: --resets connections, 16 at a time, that send up to
 *              --reset-bytes while reading some of the echo, then reset
 *              while the server still has echoes to send and bytes to read.
 *   idle:      --idle connections opened and held silent for --idle-ms, then
 *              closed (half with FIN, half reset).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "abuse.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GRACE_MS 5000 /* a graceful connection waits this long for the FIN */
#define PAYLOAD 64    /* bytes sent on a churn connection that sends */
#define RESET_BATCH 16
#define RESET_PUMP_MS 1000 /* a mid-stream reset comes at the latest this late */

struct sockaddr_in g_abuse_tcp, g_abuse_udp;
int64_t g_abuse_deadline;
struct abuse_stats g_abuse;

int64_t abuse_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool abuse_past_deadline(void) { return abuse_now_ms() >= g_abuse_deadline; }

int abuse_tcp_start(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&g_abuse_tcp, sizeof g_abuse_tcp) != 0 &&
        errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

void abuse_tcp_reset(int fd)
{
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

bool abuse_connect_done(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
}

/* Wait (bounded) until each of fds[0..n) is connected; the ones that fail
 * are closed and set to -1. Returns how many are up. */
static unsigned long connect_all(int *fds, unsigned long n)
{
    int64_t start = abuse_now_ms();
    unsigned long i, up = 0, pending = 0;
    bool *done = calloc(n ? n : 1, sizeof *done);
    struct pollfd *p = calloc(n ? n : 1, sizeof *p);
    if (done == NULL || p == NULL) {
        free(done);
        free(p);
        return 0;
    }
    for (i = 0; i < n; i++)
        pending += fds[i] >= 0;
    while (pending > 0 && abuse_now_ms() - start < ABUSE_CONNECT_MS && !abuse_past_deadline()) {
        for (i = 0; i < n; i++) {
            p[i].fd = fds[i] >= 0 && !done[i] ? fds[i] : -1;
            p[i].events = POLLOUT;
            p[i].revents = 0;
        }
        if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
            break;
        for (i = 0; i < n; i++) {
            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            done[i] = true;
            pending--;
            if (abuse_connect_done(fds[i])) {
                up++;
            } else {
                close(fds[i]);
                fds[i] = -1;
                g_abuse.failed++;
            }
        }
    }
    for (i = 0; i < n; i++) {
        if (fds[i] >= 0 && !done[i]) { /* never connected */
            close(fds[i]);
            fds[i] = -1;
            g_abuse.failed++;
        }
    }
    free(done);
    free(p);
    return up;
}

/* ------------------------------------------------------------ churn */

enum { C_FREE, C_CONNECTING, C_DRAINING };

struct slot {
    int fd;
    int state;
    unsigned long id;
    int64_t since;
};

static void churn_connected(struct slot *s, int64_t now)
{
    static const char bytes[PAYLOAD] = "riox abuse: echo these bytes, then close or be reset.";
    g_abuse.connected++;
    if (s->id % 2 == 1) {
        /* Reset: half after some bytes, half before any. */
        if (s->id % 4 == 1)
            (void)send(s->fd, bytes, sizeof bytes, MSG_NOSIGNAL);
        abuse_tcp_reset(s->fd);
        g_abuse.reset++;
        s->state = C_FREE;
        return;
    }
    (void)send(s->fd, bytes, sizeof bytes, MSG_NOSIGNAL);
    (void)shutdown(s->fd, SHUT_WR);
    s->state = C_DRAINING;
    s->since = now;
}

static void churn_read(struct slot *s)
{
    char buf[4096];
    ssize_t n = recv(s->fd, buf, sizeof buf, 0);
    if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
        return;
    /* FIN (or an error): the server is done with it. */
    close(s->fd);
    g_abuse.graceful++;
    s->state = C_FREE;
}

bool abuse_churn(const struct abuse_options *o)
{
    struct slot slots[ABUSE_MAX_WINDOW];
    struct pollfd pfd[ABUSE_MAX_WINDOW];
    unsigned map[ABUSE_MAX_WINDOW];
    unsigned long started = 0;
    unsigned i;
    for (i = 0; i < o->window; i++)
        slots[i].state = C_FREE;
    for (;;) {
        int64_t now = abuse_now_ms();
        unsigned active = 0;
        int nfds = 0;
        for (i = 0; i < o->window; i++) {
            struct slot *s = &slots[i];
            if (s->state == C_FREE && started < o->conns) {
                s->fd = abuse_tcp_start();
                s->id = started++;
                s->since = now;
                if (s->fd < 0) {
                    g_abuse.failed++;
                    continue;
                }
                s->state = C_CONNECTING;
            }
            if (s->state == C_FREE)
                continue;
            if (now - s->since > (s->state == C_CONNECTING ? ABUSE_CONNECT_MS : GRACE_MS)) {
                if (s->state == C_CONNECTING)
                    g_abuse.failed++;
                else
                    g_abuse.graceful_slow++;
                close(s->fd);
                s->state = C_FREE;
                continue;
            }
            active++;
            pfd[nfds].fd = s->fd;
            pfd[nfds].events = s->state == C_CONNECTING ? POLLOUT : POLLIN;
            pfd[nfds].revents = 0;
            map[nfds++] = i;
        }
        if (active == 0 && started >= o->conns)
            return true;
        if (abuse_past_deadline()) {
            for (int k = 0; k < nfds; k++)
                close(slots[map[k]].fd);
            return false;
        }
        if (poll(pfd, (nfds_t)nfds, 100) < 0 && errno != EINTR)
            return false;
        now = abuse_now_ms();
        for (int k = 0; k < nfds; k++) {
            struct slot *s = &slots[map[k]];
            if (pfd[k].revents == 0)
                continue;
            if (s->state == C_CONNECTING) {
                if (abuse_connect_done(s->fd)) {
                    churn_connected(s, now);
                } else {
                    g_abuse.failed++;
                    close(s->fd);
                    s->state = C_FREE;
                }
            } else if (s->state == C_DRAINING) {
                churn_read(s);
            }
        }
    }
}

/* -------------------------------------------------------- mid-reset */

/* Send up to o->reset_bytes on each connection while reading (and dropping)
 * some of the echo, for at most RESET_PUMP_MS, then reset them all. */
static void reset_batch(const struct abuse_options *o, int *fds, unsigned long n)
{
    unsigned long sent[RESET_BATCH] = {0}, got[RESET_BATCH] = {0}, i;
    unsigned char out[16384], in[16384];
    int64_t start = abuse_now_ms();
    for (i = 0; i < sizeof out; i++)
        out[i] = abuse_pattern(i);
    while (abuse_now_ms() - start < RESET_PUMP_MS && !abuse_past_deadline()) {
        struct pollfd p[RESET_BATCH];
        bool busy = false;
        for (i = 0; i < n; i++) {
            p[i].fd = fds[i];
            p[i].events = POLLIN | (sent[i] < o->reset_bytes ? POLLOUT : 0);
            p[i].revents = 0;
            /* Reset once the echo has begun and half is sent. */
            if (fds[i] >= 0 && !(got[i] > 0 && sent[i] >= o->reset_bytes / 2))
                busy = true;
        }
        if (!busy || poll(p, (nfds_t)n, 50) < 0)
            break;
        for (i = 0; i < n; i++) {
            ssize_t k;
            if (fds[i] < 0)
                continue;
            if ((p[i].revents & POLLOUT) && sent[i] < o->reset_bytes) {
                size_t len = o->reset_bytes - sent[i] < sizeof out ? o->reset_bytes - sent[i] : sizeof out;
                k = send(fds[i], out, len, MSG_NOSIGNAL);
                if (k > 0)
                    sent[i] += (unsigned long)k;
            }
            if (p[i].revents & POLLIN) {
                k = recv(fds[i], in, got[i] == 0 ? 1024 : 512, 0); /* read little */
                if (k > 0)
                    got[i] += (unsigned long)k;
            }
        }
    }
    for (i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        abuse_tcp_reset(fds[i]);
        g_abuse.mid_reset++;
    }
}

bool abuse_mid_reset(const struct abuse_options *o)
{
    unsigned long done = 0;
    while (done < o->resets) {
        int fds[RESET_BATCH];
        unsigned long n = o->resets - done < RESET_BATCH ? o->resets - done : RESET_BATCH, i;
        if (abuse_past_deadline())
            return false;
        for (i = 0; i < n; i++) {
            fds[i] = abuse_tcp_start();
            if (fds[i] < 0)
                g_abuse.failed++;
        }
        g_abuse.connected += connect_all(fds, n);
        reset_batch(o, fds, n);
        done += n;
    }
    return !abuse_past_deadline();
}

/* ------------------------------------------------------------- idle */

bool abuse_idle(const struct abuse_options *o)
{
    int *fds = calloc(o->idle ? o->idle : 1, sizeof *fds);
    unsigned long i;
    int64_t start = abuse_now_ms();
    if (fds == NULL)
        return false;
    for (i = 0; i < o->idle; i++) {
        fds[i] = abuse_tcp_start();
        if (fds[i] < 0)
            g_abuse.failed++;
    }
    g_abuse.idle_open += connect_all(fds, o->idle);
    /* Hold them silent. */
    while (abuse_now_ms() - start < (int64_t)o->idle_ms && !abuse_past_deadline())
        usleep(50000);
    for (i = 0; i < o->idle; i++) {
        if (fds[i] < 0)
            continue;
        if (i % 2)
            abuse_tcp_reset(fds[i]);
        else
            close(fds[i]);
    }
    free(fds);
    return !abuse_past_deadline();
}
