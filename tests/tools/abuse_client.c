/*
 * abuse_client.c - the rough traffic a public server meets (abuse.h), in
 * phases: churn, mid-stream resets, idle connections, slow readers, UDP
 * (ICMP storm, zero-size, maximum-size datagrams).
 *
 *   abuse_client --host ADDR --tcp PORT --udp PORT [--conns N] [--window N]
 *                [--resets N] [--reset-bytes N] [--idle N] [--idle-ms MS]
 *                [--slow N] [--slow-ms MS] [--slow-rate BYTES/S]
 *                [--icmp N] [--zero N] [--max N] [--timeout SECONDS]
 * (--oversize is another name for --max.) A count of 0 skips that phase.
 *
 * Prints one summary line. Exit status: 0 the abuse was delivered; 1 it
 * could not be (no connection accepted, or --timeout hit) or an echo that
 * came back was wrong (slow readers' bytes, a datagram's size or bytes);
 * 2 bad command line.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "abuse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: abuse_client --host ADDR --tcp PORT --udp PORT [--conns N] [--window N]\n"
               "                    [--resets N] [--reset-bytes N] [--idle N] [--idle-ms MS]\n"
               "                    [--slow N] [--slow-ms MS] [--slow-rate BYTES/S]\n"
               "                    [--icmp N] [--zero N] [--max N] [--timeout SECONDS]\n");
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

static const struct {
    const char *name;
    size_t off;
    unsigned long lo, hi;
} k_nums[] = {
    {"--tcp", offsetof(struct abuse_options, tcp_port), 1, 65535},
    {"--udp", offsetof(struct abuse_options, udp_port), 1, 65535},
    {"--conns", offsetof(struct abuse_options, conns), 0, 1000000},
    {"--window", offsetof(struct abuse_options, window), 1, ABUSE_MAX_WINDOW},
    {"--resets", offsetof(struct abuse_options, resets), 0, 100000},
    {"--reset-bytes", offsetof(struct abuse_options, reset_bytes), 1, 1ul << 30},
    {"--idle", offsetof(struct abuse_options, idle), 0, 10000},
    {"--idle-ms", offsetof(struct abuse_options, idle_ms), 0, 600000},
    {"--slow", offsetof(struct abuse_options, slow), 0, 1000},
    {"--slow-ms", offsetof(struct abuse_options, slow_ms), 0, 600000},
    {"--slow-rate", offsetof(struct abuse_options, slow_rate), 1, 1ul << 30},
    {"--icmp", offsetof(struct abuse_options, icmp), 0, 1000000},
    {"--zero", offsetof(struct abuse_options, zero), 0, 1000000},
    {"--max", offsetof(struct abuse_options, max), 0, 100000},
    {"--oversize", offsetof(struct abuse_options, max), 0, 100000},
    {"--timeout", offsetof(struct abuse_options, timeout), 1, 3600},
};

static int parse_args(int argc, char **argv, struct abuse_options *o)
{
    memset(o, 0, sizeof *o);
    o->conns = 3000;
    o->window = 64;
    o->resets = 64;
    o->reset_bytes = 262144;
    o->idle = 300;
    o->idle_ms = 2000;
    o->slow = 8;
    o->slow_ms = 2000;
    o->slow_rate = 65536;
    o->icmp = 500;
    o->zero = 64;
    o->max = 64;
    o->timeout = 120;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = false, known = false;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--host") == 0) {
            known = true;
            ok = (o->host = v) != NULL;
        }
        for (size_t k = 0; !known && k < sizeof k_nums / sizeof k_nums[0]; k++) {
            if (strcmp(a, k_nums[k].name) != 0)
                continue;
            known = true;
            ok = parse_num(v, k_nums[k].lo, k_nums[k].hi,
                           (unsigned long *)((char *)o + k_nums[k].off));
        }
        if (!known) {
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
    struct abuse_options o;
    const struct abuse_stats *s = &g_abuse;
    bool ok;
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    memset(&g_abuse_tcp, 0, sizeof g_abuse_tcp);
    g_abuse_tcp.sin_family = AF_INET;
    if (inet_pton(AF_INET, o.host, &g_abuse_tcp.sin_addr) != 1) {
        fprintf(stderr, "abuse_client: --host '%s' is not an IPv4 address\n", o.host);
        return 2;
    }
    g_abuse_udp = g_abuse_tcp;
    g_abuse_tcp.sin_port = htons((uint16_t)o.tcp_port);
    g_abuse_udp.sin_port = htons((uint16_t)o.udp_port);
    g_abuse_deadline = abuse_now_ms() + (int64_t)o.timeout * 1000;

    ok = abuse_churn(&o) && abuse_mid_reset(&o) && abuse_idle(&o) && abuse_slow(&o) && abuse_udp(&o);
    printf("abuse: connected %lu (graceful %lu, slow-fin %lu, reset %lu, mid-stream reset %lu, "
           "idle %lu) failed %lu; slow readers %lu sent %lu read %lu bad %lu; icmp %lu "
           "zero %lu/%lu max %lu/%lu udp-bad %lu%s\n",
           s->connected, s->graceful, s->graceful_slow, s->reset, s->mid_reset, s->idle_open,
           s->failed, s->slow_open, s->slow_sent, s->slow_read, s->slow_bad, s->icmp_sent,
           s->zero_back, s->zero_sent, s->max_back, s->max_sent, s->udp_bad,
           ok ? "" : " (TIMED OUT)");
    fflush(stdout);
    if (!ok) {
        fprintf(stderr, "abuse_client: the run did not finish within %lu s\n", o.timeout);
        return 1;
    }
    if (s->connected + s->idle_open + s->slow_open == 0) {
        fprintf(stderr, "abuse_client: the server accepted no connection\n");
        return 1;
    }
    if (s->slow_bad + s->udp_bad > 0) {
        fprintf(stderr, "abuse_client: wrong echoes: %lu slow-reader streams, %lu datagrams\n",
                s->slow_bad, s->udp_bad);
        return 1;
    }
    return 0;
}
