/* riox-perf wire header (layout in proto.h), byte by byte so neither the
 * host's endianness nor alignment matters. */
#include "proto.h"

static void proto__put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

static void proto__put32(unsigned char *p, uint32_t v) {
  int i;
  for (i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void proto__put64(unsigned char *p, uint64_t v) {
  int i;
  for (i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t proto__get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t proto__get64(const unsigned char *p) {
  uint64_t v = 0;
  int i;
  for (i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}

void perf_hdr_write(char *buf, const perf_hdr_t *h) {
  unsigned char *p = (unsigned char *)buf;
  proto__put32(p, PERF_MAGIC);
  p[4] = h->type;
  p[5] = h->flags;
  proto__put16(p + 6, h->slot);
  proto__put64(p + 8, h->session);
  proto__put64(p + 16, h->seq);
  proto__put64(p + 24, h->stamp);
}

int perf_hdr_read(const char *buf, size_t len, perf_hdr_t *h) {
  const unsigned char *p = (const unsigned char *)buf;
  if (len < PERF_HDR_LEN || proto__get32(p) != PERF_MAGIC) return -1;
  h->type = p[4];
  h->flags = p[5];
  h->slot = (uint16_t)(p[6] | p[7] << 8);
  h->session = proto__get64(p + 8);
  h->seq = proto__get64(p + 16);
  h->stamp = proto__get64(p + 24);
  if (h->type < PERF_MSG_HELLO || h->type > PERF_MSG_STATS_ACK) return -1;
  return 0;
}
