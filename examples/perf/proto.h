/* riox-perf wire format: a 32-byte header at the start of every UDP datagram
 * and of every TCP connection, little-endian whatever the host.
 *
 *   0  u32 magic "RXPF"      16 u64 seq
 *   4  u8  type              24 u64 stamp
 *   5  u8  flags
 *   6  u16 slot
 *   8  u64 session
 *
 * UDP: the client says HELLO (answered HELLO_ACK) before anything else, so an
 * unreachable or foreign peer is found at once; DATA is counted by the server
 * per session (udp-flood); REQ comes back as RESP with the rest of the bytes
 * unchanged (udp-rr: seq/slot find the request, stamp is its intended send
 * time); STATS is answered STATS_ACK with seq = DATA datagrams the session has
 * delivered and stamp = the server's clock in ns, so the receive rate is
 * measured on the receiver's own clock: the time of the answer, or with
 * flags = PERF_STATS_AT_LAST_DATA the time the last of those DATA came (a
 * window's end must not grow by the time its query spent being retried).
 * TCP: the client sends HELLO with flags = PERF_TCP_ECHO or PERF_TCP_SINK and
 * the server answers HELLO_ACK; after that the connection is a plain byte
 * stream, echoed (tcp-rr) or discarded (tcp-stream). Portable code. */
#ifndef RIOX_PERF_PROTO_H
#define RIOX_PERF_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PERF_MAGIC 0x46505852u /* "RXPF" read as little-endian u32 */
#define PERF_HDR_LEN 32u

enum perf_msg {
  PERF_MSG_HELLO = 1,
  PERF_MSG_HELLO_ACK = 2,
  PERF_MSG_DATA = 3,
  PERF_MSG_REQ = 4,
  PERF_MSG_RESP = 5,
  PERF_MSG_STATS = 6,
  PERF_MSG_STATS_ACK = 7
};

enum perf_tcp_kind { PERF_TCP_ECHO = 1, PERF_TCP_SINK = 2 };

/* STATS flags. */
enum { PERF_STATS_AT_LAST_DATA = 1 };

typedef struct perf_hdr {
  uint8_t type;
  uint8_t flags;
  uint16_t slot;
  uint64_t session;
  uint64_t seq;
  uint64_t stamp;
} perf_hdr_t;

/* Write h into buf[0..PERF_HDR_LEN). */
void perf_hdr_write(char *buf, const perf_hdr_t *h);
/* 0 and *h when buf[0..len) starts with a valid header, -1 otherwise. */
int perf_hdr_read(const char *buf, size_t len, perf_hdr_t *h);

#endif
