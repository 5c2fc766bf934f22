/* Fuzz target: riox_addr_parse / riox_addr_parse_endpoint and
 * riox_addr_format / riox_addr_format_ip (src/common/addr.c).
 *
 * Input: byte 0 picks what the rest is --
 *   even: text (cut at the first NUL), parsed as an endpoint and as an IP
 *         literal with the port from byte 1;
 *   odd:  the bytes of a riox_addr (zero-padded), formatted.
 * Checked on every address that parses or formats:
 *   - format at every buffer size 0 .. len+2: a buffer too small gets
 *     RIOX_ENOBUFS and an empty string, nothing written past size (a
 *     guard area around the buffer); a big enough one the same text, len
 *     returned; the text is never longer than RIOX_ADDRSTRLEN - 1;
 *   - round trip: format -> parse gives the address back (family, port,
 *     the IP's bytes, an IPv6 zone), and formatting that gives the same
 *     text (one canonical form);
 *   - IPv4 and zone-less IPv6 literals parse exactly when inet_pton takes
 *     them, to the same bytes. */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "riox.h"

#define GUARD 32

typedef int (*fmt_fn)(const riox_addr *, char *, size_t);

static int same_addr(const riox_addr *a, const riox_addr *b, int with_port) {
  size_t n = a->family == RIOX_AF_INET ? 4 : 16;
  if (a->family != b->family) return 0;
  if (with_port && a->port != b->port) return 0;
  if (memcmp(a->ip, b->ip, n) != 0) return 0;
  return a->family == RIOX_AF_INET || a->scope_id == b->scope_id;
}

/* Format a at every size; returns the text's length (or the error for a
 * family neither format takes) with the text in out. */
static int format_all_sizes(fmt_fn fn, const char *name, const riox_addr *a, char *out) {
  char area[GUARD + RIOX_ADDRSTRLEN + 8 + GUARD];
  char *buf = area + GUARD;
  size_t size, k;
  int len = fn(a, out, RIOX_ADDRSTRLEN);
  if (len < 0) {
    FZ_CHECK(len == RIOX_EINVAL, "%s of family %u: %d", name, a->family, len);
    FZ_CHECK(a->family != RIOX_AF_INET && a->family != RIOX_AF_INET6, "%s refused family %u", name,
             a->family);
    return len;
  }
  FZ_CHECK(len < RIOX_ADDRSTRLEN && strlen(out) == (size_t)len, "%s: len %d \"%s\"", name, len, out);
  for (size = 0; size <= (size_t)len + 2; size++) {
    int rc;
    memset(area, 0x5a, sizeof area);
    rc = fn(a, buf, size);
    for (k = 0; k < sizeof area; k++)
      if (k < GUARD || k >= GUARD + size)
        FZ_CHECK(area[k] == 0x5a, "%s wrote byte %ld outside a buffer of %zu", name,
                 (long)k - GUARD, size);
    if (size <= (size_t)len) {
      FZ_CHECK(rc == RIOX_ENOBUFS, "%s into %zu bytes (needs %d): %d", name, size, len + 1, rc);
      FZ_CHECK(size == 0 || buf[0] == '\0', "%s left \"%.*s\" in a short buffer", name, (int)size, buf);
    } else {
      FZ_CHECK(rc == len && memcmp(buf, out, (size_t)len + 1) == 0, "%s into %zu bytes: %d", name,
               size, rc);
    }
  }
  return len;
}

static void check_addr(const riox_addr *a) {
  char text[RIOX_ADDRSTRLEN], ip[RIOX_ADDRSTRLEN], again[RIOX_ADDRSTRLEN];
  riox_addr b;
  int len = format_all_sizes(riox_addr_format, "riox_addr_format", a, text);
  int iplen = format_all_sizes(riox_addr_format_ip, "riox_addr_format_ip", a, ip);
  if (len < 0) {
    FZ_CHECK(iplen < 0, "format_ip took what format refused");
    return;
  }
  FZ_CHECK(iplen >= 0 && strstr(text, ip) != NULL, "\"%s\" does not hold \"%s\"", text, ip);
  FZ_CHECK(riox_addr_parse_endpoint(text, &b) == 0, "\"%s\" does not parse back: %s", text,
           riox_last_detail());
  FZ_CHECK(same_addr(a, &b, 1), "\"%s\" parses to another address", text);
  FZ_CHECK(riox_addr_format(&b, again, sizeof again) == len && strcmp(again, text) == 0,
           "\"%s\" formats again as \"%s\"", text, again);
  FZ_CHECK(riox_addr_parse(ip, a->port, &b) == 0 && same_addr(a, &b, 1), "\"%s\" does not parse back",
           ip);
}

/* An IP literal without a zone against inet_pton. */
static void check_pton(const char *s, int rc, const riox_addr *a) {
  unsigned char want[16];
  int v6 = strchr(s, ':') != NULL, ok;
  if (strchr(s, '%') != NULL) return;
  ok = inet_pton(v6 ? AF_INET6 : AF_INET, s, want) == 1;
  FZ_CHECK(ok == (rc == 0), "\"%s\": riox_addr_parse %d (%s), inet_pton %s", s, rc,
           rc == 0 ? "" : riox_last_detail(), ok ? "takes it" : "refuses it");
  if (ok)
    FZ_CHECK(a->family == (v6 ? RIOX_AF_INET6 : RIOX_AF_INET) && memcmp(a->ip, want, v6 ? 16 : 4) == 0,
             "\"%s\": riox_addr_parse and inet_pton give other bytes", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    char s[256];
    riox_addr a;
    size_t n = size - 1 < sizeof s - 1 ? size - 1 : sizeof s - 1;
    uint16_t port = size > 1 ? (uint16_t)(data[1] * 257u) : 0;
    int rc;
    memcpy(s, data + 1, n);
    s[n] = '\0';
    memset(&a, 0x77, sizeof a);
    if (riox_addr_parse_endpoint(s, &a) == 0) check_addr(&a);
    memset(&a, 0x77, sizeof a);
    rc = riox_addr_parse(s, port, &a);
    if (rc == 0) check_addr(&a);
    else FZ_CHECK(riox_last_detail()[0] != '\0', "\"%s\" refused without a reason", s);
    check_pton(s, rc, &a);
  } else {
    riox_addr a;
    memset(&a, 0, sizeof a);
    memcpy(&a, data + 1, size - 1 < sizeof a ? size - 1 : sizeof a);
    /* Mostly the two real families, so the formatting is what runs. */
    if ((data[0] & 2) == 0) a.family = (data[0] & 4) ? RIOX_AF_INET6 : RIOX_AF_INET;
    check_addr(&a);
  }
  return 0;
}
