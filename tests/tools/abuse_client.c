/*
 * abuse_client.c - the rough traffic a public server meets, aimed at riox's
 * echo server on loopback, to check that the server gives its sockets back.
 *
 * Plain native Linux code (POSIX sockets + poll(2)), sharing nothing with
 * riox. Every phase is bounded in count and time and the whole run stops by
 * itself at --timeout:
 *   1. churn:  --conns TCP connections, at most --window at once; even ones
 *              send a few bytes, half-close and wait for the echo and the
 *              server's FIN (graceful); odd ones are reset with SO_LINGER 0,
 *              half of them after sending bytes, half at once.
 *   2. idle:   --idle connections opened and held silent for --idle-ms, then
 *              closed (half with FIN, half reset).
 *   3. icmp:   --icmp datagrams, each from a fresh UDP socket closed before
 *              the echo comes back, so the server's reply meets a closed
 *              port and the server receives ICMP port-unreachable.
 *   4. oversize: --oversize datagrams of 65507 bytes (the IPv4 maximum),
 *              from a socket that is closed afterwards without reading.
 *
 *   abuse_client --host ADDR --tcp PORT --udp PORT [--conns N] [--window N]
 *                [--idle N] [--idle-ms MS] [--icmp N] [--oversize N]
 *                [--timeout SECONDS]
 *
 * Prints one summary line. Exit status: 0 the abuse was delivered (the server
 * accepted connections), 1 it could not be (no connection was accepted, or
 * the overall timeout hit), 2 bad command line.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WINDOW 256
#define GRACE_MS 5000    /* a graceful connection waits this long for the FIN */
#define CONNECT_MS 5000  /* a connect that takes longer is given up */
#define PAYLOAD 64       /* bytes sent on a connection that sends */
#define UDP_MAX 65507    /* largest IPv4 UDP payload */

struct options {
    const char *host;
    unsigned long tcp_port, udp_port;
    unsigned long conns, window, idle, idle_ms, icmp, oversize;
    unsigned long timeout;
};

static struct sockaddr_in g_tcp, g_udp;
static int64_t g_deadline;

static struct {
    unsigned long connected, failed, graceful_done, graceful_slow, reset, idle_open;
    unsigned long icmp_sent, oversize_sent;
} g_stats;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool past_deadline(void) { return now_ms() >= g_deadline; }

/* Non-blocking TCP socket with a connect in progress, or -1. */
static int tcp_start(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&g_tcp, sizeof g_tcp) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Close with an RST instead of a FIN (SO_LINGER on, time 0). */
static void tcp_reset(int fd)
{
    struct linger lg = {1, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
}

static bool connect_done(int fd)
{
    int err = 0;
    socklen_t len = sizeof err;
    return getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
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
    g_stats.connected++;
    if (s->id % 2 == 1) {
        /* Reset: half after some bytes, half before any. */
        if (s->id % 4 == 1)
            (void)send(s->fd, bytes, sizeof bytes, MSG_NOSIGNAL);
        tcp_reset(s->fd);
        g_stats.reset++;
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
    g_stats.graceful_done++;
    s->state = C_FREE;
}

static bool run_churn(const struct options *o)
{
    struct slot slots[MAX_WINDOW];
    struct pollfd pfd[MAX_WINDOW];
    unsigned long started = 0;
    unsigned i, active;
    for (i = 0; i < o->window; i++)
        slots[i].state = C_FREE;
    for (;;) {
        int64_t now = now_ms();
        unsigned map[MAX_WINDOW];
        int nfds = 0;
        active = 0;
        for (i = 0; i < o->window; i++) {
            struct slot *s = &slots[i];
            if (s->state == C_FREE && started < o->conns) {
                s->fd = tcp_start();
                s->id = started++;
                s->since = now;
                if (s->fd < 0) {
                    g_stats.failed++;
                    continue;
                }
                s->state = C_CONNECTING;
            }
            if (s->state == C_FREE)
                continue;
            if (now - s->since > (s->state == C_CONNECTING ? CONNECT_MS : GRACE_MS)) {
                if (s->state == C_CONNECTING)
                    g_stats.failed++;
                else
                    g_stats.graceful_slow++;
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
        if (past_deadline())
            return false;
        if (poll(pfd, (nfds_t)nfds, 100) < 0 && errno != EINTR)
            return false;
        now = now_ms();
        for (int k = 0; k < nfds; k++) {
            struct slot *s = &slots[map[k]];
            if (pfd[k].revents == 0)
                continue;
            if (s->state == C_CONNECTING) {
                if (connect_done(s->fd)) {
                    churn_connected(s, now);
                } else {
                    g_stats.failed++;
                    close(s->fd);
                    s->state = C_FREE;
                }
            } else if (s->state == C_DRAINING) {
                churn_read(s);
            }
        }
    }
}

/* ------------------------------------------------------------- idle */

static bool run_idle(const struct options *o)
{
    int *fds = calloc(o->idle ? o->idle : 1, sizeof *fds);
    bool *up = calloc(o->idle ? o->idle : 1, sizeof *up);
    unsigned long i, pending = 0;
    int64_t start = now_ms();
    if (fds == NULL || up == NULL) {
        free(fds);
        free(up);
        return false;
    }
    for (i = 0; i < o->idle; i++) {
        fds[i] = tcp_start();
        if (fds[i] >= 0)
            pending++;
        else
            g_stats.failed++;
    }
    /* Wait for the connects, bounded. */
    while (pending > 0 && now_ms() - start < CONNECT_MS && !past_deadline()) {
        struct pollfd p;
        for (i = 0; i < o->idle; i++) {
            if (fds[i] < 0 || up[i])
                continue;
            p.fd = fds[i];
            p.events = POLLOUT;
            p.revents = 0;
            if (poll(&p, 1, 0) == 1) {
                up[i] = connect_done(fds[i]);
                if (!up[i]) {
                    close(fds[i]);
                    fds[i] = -1;
                    g_stats.failed++;
                } else {
                    g_stats.idle_open++;
                }
                pending--;
            }
        }
        if (pending > 0)
            usleep(20000);
    }
    /* Hold them silent. */
    while (now_ms() - start < (int64_t)o->idle_ms && !past_deadline())
        usleep(50000);
    for (i = 0; i < o->idle; i++) {
        if (fds[i] < 0)
            continue;
        if (i % 2)
            tcp_reset(fds[i]);
        else
            close(fds[i]);
    }
    free(fds);
    free(up);
    return !past_deadline();
}

/* -------------------------------------------------------------- udp */

static void run_udp(const struct options *o)
{
    static char big[UDP_MAX];
    static const char small[] = "to a port that is closed when the echo comes back";
    unsigned long i;
    int fd;
    for (i = 0; i < o->icmp; i++) {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0)
            continue;
        if (sendto(fd, small, sizeof small, 0, (const struct sockaddr *)&g_udp, sizeof g_udp) >= 0)
            g_stats.icmp_sent++;
        close(fd); /* before the echo: the server's reply draws ICMP */
    }
    memset(big, 'x', sizeof big);
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        return;
    for (i = 0; i < o->oversize; i++) {
        if (sendto(fd, big, sizeof big, 0, (const struct sockaddr *)&g_udp, sizeof g_udp) >= 0)
            g_stats.oversize_sent++;
        if (i % 16 == 15)
            usleep(10000); /* do not just overflow the loopback buffers */
    }
    close(fd);
}

/* ------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f, "usage: abuse_client --host ADDR --tcp PORT --udp PORT [--conns N] [--window N]\n"
               "                    [--idle N] [--idle-ms MS] [--icmp N] [--oversize N]\n"
               "                    [--timeout SECONDS]\n");
}

static bool parse_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;
    if (s == NULL)
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof *o);
    o->conns = 1000;
    o->window = 64;
    o->idle = 300;
    o->idle_ms = 2000;
    o->icmp = 200;
    o->oversize = 64;
    o->timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(a, "--host") == 0)
            ok = (o->host = v) != NULL;
        else if (strcmp(a, "--tcp") == 0)
            ok = parse_num(v, 1, 65535, &o->tcp_port);
        else if (strcmp(a, "--udp") == 0)
            ok = parse_num(v, 1, 65535, &o->udp_port);
        else if (strcmp(a, "--conns") == 0)
            ok = parse_num(v, 0, 1000000, &o->conns);
        else if (strcmp(a, "--window") == 0)
            ok = parse_num(v, 1, MAX_WINDOW, &o->window);
        else if (strcmp(a, "--idle") == 0)
            ok = parse_num(v, 0, 10000, &o->idle);
        else if (strcmp(a, "--idle-ms") == 0)
            ok = parse_num(v, 0, 600000, &o->idle_ms);
        else if (strcmp(a, "--icmp") == 0)
            ok = parse_num(v, 0, 100000, &o->icmp);
        else if (strcmp(a, "--oversize") == 0)
            ok = parse_num(v, 0, 100000, &o->oversize);
        else if (strcmp(a, "--timeout") == 0)
            ok = parse_num(v, 1, 3600, &o->timeout);
        else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "abuse_client: unknown option '%s'\n", a);
            return -1;
        }
        if (!ok) {
            fprintf(stderr, "abuse_client: bad value for %s\n", a);
            return -1;
        }
        i++;
    }
    if (o->host == NULL || o->tcp_port == 0 || o->udp_port == 0) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    bool ok;
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    memset(&g_tcp, 0, sizeof g_tcp);
    g_tcp.sin_family = AF_INET;
    if (inet_pton(AF_INET, o.host, &g_tcp.sin_addr) != 1) {
        fprintf(stderr, "abuse_client: --host '%s' is not an IPv4 address\n", o.host);
        return 2;
    }
    g_udp = g_tcp;
    g_tcp.sin_port = htons((uint16_t)o.tcp_port);
    g_udp.sin_port = htons((uint16_t)o.udp_port);
    g_deadline = now_ms() + (int64_t)o.timeout * 1000;

    ok = run_churn(&o);
    if (ok)
        ok = run_idle(&o);
    if (ok)
        run_udp(&o);
    printf("abuse: connected %lu (graceful %lu, slow %lu, reset %lu, idle %lu) failed %lu "
           "icmp %lu oversize %lu%s\n",
           g_stats.connected, g_stats.graceful_done, g_stats.graceful_slow, g_stats.reset,
           g_stats.idle_open, g_stats.failed, g_stats.icmp_sent, g_stats.oversize_sent,
           ok ? "" : " (TIMED OUT)");
    fflush(stdout);
    if (!ok) {
        fprintf(stderr, "abuse_client: the run did not finish within %lu s\n", o.timeout);
        return 1;
    }
    if (g_stats.connected + g_stats.idle_open == 0) {
        fprintf(stderr, "abuse_client: the server accepted no connection\n");
        return 1;
    }
    return 0;
}
