/*
 * abuse_udp.c - UDP abuse (see abuse.h):
 *   icmp: --icmp datagrams, each from a fresh socket closed before the echo
 *         comes back, so every reply meets a closed port and the server
 *         receives ICMP port-unreachable (a storm of them).
 *   zero: --zero zero-size datagrams, in bursts of 8 from one socket; their
 *         echoes (zero-size too) are counted.
 *   max:  --max datagrams of 65507 bytes (the IPv4 maximum, fragmented on
 *         the way), in bursts of 8; exact echoes are counted, wrong ones
 *         reported (udp_bad); then the socket is closed with echoes unread.
 * Losses are allowed (UDP); the caller checks the counts it needs.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "abuse.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BURST 8
#define DRAIN_MS 200 /* wait for a burst's echoes at most this long */

static unsigned char g_big[ABUSE_UDP_MAX + 1];
static unsigned char g_in[ABUSE_UDP_MAX + 1];

static void udp_storm(const struct abuse_options *o)
{
    static const char small[] = "to a port that is closed when the echo comes back";
    unsigned long i;
    for (i = 0; i < o->icmp && !abuse_past_deadline(); i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd < 0)
            continue;
        if (sendto(fd, small, sizeof small, 0, (const struct sockaddr *)&g_abuse_udp,
                   sizeof g_abuse_udp) >= 0)
            g_abuse.icmp_sent++;
        close(fd); /* before the echo: the server's reply draws ICMP */
    }
}

/* Read the echoes of one burst: until `want` came or DRAIN_MS passed. */
static void udp_drain(int fd, size_t len, unsigned long want, unsigned long *back)
{
    int64_t start = abuse_now_ms();
    unsigned long got = 0;
    while (got < want && abuse_now_ms() - start < DRAIN_MS) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t k;
        if (poll(&p, 1, 20) <= 0)
            continue;
        k = recv(fd, g_in, sizeof g_in, MSG_DONTWAIT);
        if (k < 0)
            continue; /* e.g. ECONNREFUSED from an ICMP error: keep reading */
        got++;
        if ((size_t)k == len && memcmp(g_in, g_big, len) == 0)
            (*back)++;
        else
            g_abuse.udp_bad++;
    }
}

static void udp_sizes(unsigned long count, size_t len, unsigned long *sent, unsigned long *back)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0), rcv = 4 << 20;
    unsigned long i = 0;
    if (fd < 0)
        return;
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    if (connect(fd, (const struct sockaddr *)&g_abuse_udp, sizeof g_abuse_udp) != 0) {
        close(fd);
        return;
    }
    while (i < count && !abuse_past_deadline()) {
        unsigned long b = 0;
        for (; b < BURST && i < count; b++, i++)
            if (send(fd, g_big, len, 0) >= 0)
                (*sent)++;
        /* The last burst's echoes stay unread: the socket is closed on them. */
        if (i < count)
            udp_drain(fd, len, b, back);
    }
    close(fd);
}

bool abuse_udp(const struct abuse_options *o)
{
    size_t i;
    for (i = 0; i < sizeof g_big; i++)
        g_big[i] = abuse_pattern(i);
    udp_storm(o);
    udp_sizes(o->zero, 0, &g_abuse.zero_sent, &g_abuse.zero_back);
    udp_sizes(o->max, ABUSE_UDP_MAX, &g_abuse.max_sent, &g_abuse.max_back);
    return !abuse_past_deadline();
}
