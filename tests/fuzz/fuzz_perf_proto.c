/* Fuzz target: the riox-perf wire header (examples/perf/proto.c).
 * perf_hdr_read and perf_hdr_write are inverse bijections between the
 * valid 32-byte headers and the header values with a known type:
 *   - bytes -> read: refused exactly when too short, the magic is wrong or
 *     the type is unknown (and then *h is not needed); accepted -> write
 *     gives the same 32 bytes back, whatever follows them;
 *   - the input taken as values -> write -> read gives the same values
 *     (all of them, at every length from 32 on) and is refused below 32. */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "proto.h"

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  perf_hdr_t h, back;
  char buf[PERF_HDR_LEN + 8];
  int rc = perf_hdr_read((const char *)data, size, &h);
  int want = size >= PERF_HDR_LEN &&
             ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
              (uint32_t)data[3] << 24) == PERF_MAGIC &&
             data[4] >= PERF_MSG_HELLO && data[4] <= PERF_MSG_STATS_ACK;
  FZ_CHECK((rc == 0) == want, "perf_hdr_read of %zu bytes: %d, expected %s", size, rc,
           want ? "accepted" : "refused");
  if (rc == 0) {
    perf_hdr_write(buf, &h);
    FZ_CHECK(memcmp(buf, data, PERF_HDR_LEN) == 0, "write(read(x)) != x");
  }
  /* The input as values. */
  if (size >= 27) {
    size_t len;
    memset(&h, 0, sizeof h);
    h.type = (uint8_t)(PERF_MSG_HELLO + data[0] % PERF_MSG_STATS_ACK);
    h.flags = data[1];
    h.slot = (uint16_t)(data[2] | data[3] << 8);
    h.session = get64(data + 4);
    h.seq = get64(data + 12);
    h.stamp = get64(data + 19);
    memset(buf, 0xa5, sizeof buf);
    perf_hdr_write(buf, &h);
    FZ_CHECK((unsigned char)buf[PERF_HDR_LEN] == 0xa5, "perf_hdr_write wrote past 32 bytes");
    for (len = 0; len <= sizeof buf; len++) {
      memset(&back, 0, sizeof back);
      rc = perf_hdr_read(buf, len, &back);
      if (len < PERF_HDR_LEN) {
        FZ_CHECK(rc == -1, "a header cut to %zu bytes was read", len);
        continue;
      }
      FZ_CHECK(rc == 0 && back.type == h.type && back.flags == h.flags && back.slot == h.slot &&
                   back.session == h.session && back.seq == h.seq && back.stamp == h.stamp,
               "read(write(h)) != h at length %zu", len);
    }
  }
  return 0;
}
