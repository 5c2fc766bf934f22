/*
 * abuse.h - the rough traffic a public server meets, aimed at an echo
 * server (riox-echo) on loopback: what abuse_client's phases share.
 *
 * Plain native Linux code (POSIX sockets + poll(2)), sharing nothing with
 * riox. Every phase is bounded in count and time; the whole run stops at
 * --timeout (g_abuse_deadline).
 *   abuse_tcp.c   churn (connections opened and closed, half gracefully,
 *                 half reset), mid-stream resets, idle connections
 *   abuse_slow.c  slow readers: a lot sent, the echo read slowly
 *   abuse_udp.c   ICMP storm, zero-size and maximum-size datagrams
 */
#ifndef ABUSE_H
#define ABUSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define ABUSE_MAX_WINDOW 256
#define ABUSE_CONNECT_MS 5000 /* a connect that takes longer is given up */
#define ABUSE_UDP_MAX 65507   /* largest IPv4 UDP payload */

struct abuse_options {
    const char *host;
    unsigned long tcp_port, udp_port;
    unsigned long conns, window;   /* churn */
    unsigned long resets;          /* mid-stream resets */
    unsigned long reset_bytes;     /* sent by each before its reset */
    unsigned long idle, idle_ms;   /* idle connections */
    unsigned long slow, slow_ms;   /* slow readers */
    unsigned long slow_rate;       /* bytes each reads per second */
    unsigned long icmp, zero, max; /* datagrams */
    unsigned long timeout;         /* seconds, whole run */
};

struct abuse_stats {
    unsigned long connected, failed, graceful, graceful_slow, reset;
    unsigned long mid_reset, idle_open;
    unsigned long slow_open, slow_sent, slow_read, slow_bad;
    unsigned long icmp_sent, zero_sent, zero_back, max_sent, max_back, udp_bad;
};

extern struct sockaddr_in g_abuse_tcp, g_abuse_udp;
extern int64_t g_abuse_deadline;
extern struct abuse_stats g_abuse;

int64_t abuse_now_ms(void);
bool abuse_past_deadline(void);
/* A non-blocking TCP socket with a connect to g_abuse_tcp in progress, or -1. */
int abuse_tcp_start(void);
bool abuse_connect_done(int fd);
/* Close with an RST instead of a FIN (SO_LINGER on, time 0). */
void abuse_tcp_reset(int fd);
/* Byte i of every stream the client sends (so an echo can be checked). */
static inline unsigned char abuse_pattern(uint64_t i) { return (unsigned char)(i * 7u + (i >> 9)); }

/* Each phase returns false when the deadline passed (the run is over). */
bool abuse_churn(const struct abuse_options *o);
bool abuse_mid_reset(const struct abuse_options *o);
bool abuse_idle(const struct abuse_options *o);
bool abuse_slow(const struct abuse_options *o);
bool abuse_udp(const struct abuse_options *o);

#endif
