/* IP literal parsing and formatting, written by hand so that Linux (where the
 * tests run) and Windows accept exactly the same strings: inet_pton differs
 * between C libraries on leading zeros, zones and embedded IPv4.
 *
 * Accepted text:
 *   IPv4  four decimal octets 0..255, no leading zeros ("0" alone is fine),
 *         so "010.0.0.1" is never read as octal by one stack and decimal by
 *         another.
 *   IPv6  RFC 4291 section 2.2: 1..4 hex digits per group, at most one "::"
 *         (standing for one or more zero groups), optionally a dotted IPv4
 *         tail in the last 32 bits, optionally "%<decimal zone>".
 *   Every decimal number (octet, zone, port) is in canonical form, which is
 *   also what makes format(parse(text)) == text for canonical input.
 * Output follows RFC 5952. */
#include <string.h>

#include "error.h"
#include "riox.h"

/* Longest text looked at: any valid literal or endpoint is shorter, so longer
 * input is rejected before it is parsed (and never scanned to its end). */
#define ADDR__TEXT_MAX 128
/* How much of a bad input a detail message quotes. */
#define ADDR__QUOTE_MAX 60

typedef struct addr__text {
  const char *s;
  size_t len;
} addr__text_t;

/* ------------------------------------------------------------- helpers */

static int addr__is_digit(char c) { return c >= '0' && c <= '9'; }

static int addr__hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* strlen that stops looking after `max` characters (strnlen is POSIX, not C). */
static size_t addr__bounded_len(const char *s, size_t max) {
  size_t n = 0;
  while (n <= max && s[n] != '\0') n++;
  return n;
}

static const char *addr__find(addr__text_t t, char c) {
  return t.len == 0 ? NULL : (const char *)memchr(t.s, c, t.len);
}

static size_t addr__count(addr__text_t t, char c) {
  size_t i, n = 0;
  for (i = 0; i < t.len; i++) n += t.s[i] == c;
  return n;
}

/* The failure path of every parser: the detail quotes the whole input
 * (bounded) and says what is wrong with it. */
static int addr__fail(const char *what, const char *input, const char *why) {
  size_t n = addr__bounded_len(input, ADDR__QUOTE_MAX);
  const char *more = n > ADDR__QUOTE_MAX ? "..." : "";
  if (n > ADDR__QUOTE_MAX) n = ADDR__QUOTE_MAX;
  return error_detail(RIOX_EINVAL, "invalid %s \"%.*s%s\": %s", what, (int)n, input, more, why);
}

/* A canonical decimal number no larger than max. NULL on success, else why. */
static const char *addr__parse_decimal(addr__text_t t, uint32_t max, uint32_t *out,
                                       const char *name_empty, const char *name_bad,
                                       const char *name_zero, const char *name_big) {
  uint64_t v = 0;
  size_t i;
  if (t.len == 0) return name_empty;
  for (i = 0; i < t.len; i++) {
    if (!addr__is_digit(t.s[i])) return name_bad;
    v = v * 10 + (uint64_t)(t.s[i] - '0');
    if (v > max) return name_big;
  }
  if (t.len > 1 && t.s[0] == '0') return name_zero;
  *out = (uint32_t)v;
  return NULL;
}

/* --------------------------------------------------------------- IPv4 */

static const char *addr__parse_v4(addr__text_t t, uint8_t ip[4]) {
  size_t part = 0;
  size_t start = 0, i;
  for (i = 0; i <= t.len; i++) {
    addr__text_t oct;
    uint32_t v;
    const char *why;
    if (i < t.len && t.s[i] != '.') continue;
    if (part == 4) return "more than 4 octets";
    oct.s = t.s + start;
    oct.len = i - start;
    why = addr__parse_decimal(oct, 255, &v, "empty octet", "an octet has a character other than a digit",
                              "an octet has a leading zero", "an octet is greater than 255");
    if (why != NULL) return why;
    ip[part++] = (uint8_t)v;
    start = i + 1;
  }
  return part == 4 ? NULL : "fewer than 4 octets";
}

/* --------------------------------------------------------------- IPv6 */

/* One hex group of 1..4 digits. */
static const char *addr__parse_group(addr__text_t t, uint16_t *out) {
  uint32_t v = 0;
  size_t i;
  if (t.len == 0) return "empty group";
  if (t.len > 4) return "a group has more than 4 hex digits";
  for (i = 0; i < t.len; i++) {
    int h = addr__hex_value(t.s[i]);
    if (h < 0) return "a group has a character other than a hex digit";
    v = v * 16 + (uint32_t)h;
  }
  *out = (uint16_t)v;
  return NULL;
}

/* Parse the groups of one side of "::" (or of the whole address) into
 * groups[], at most `room` of them; a dotted tail counts as two groups and is
 * allowed only when tail_ok (it must end the address). */
static const char *addr__parse_groups(addr__text_t t, int tail_ok, uint16_t *groups, size_t room,
                                      size_t *count) {
  size_t n = 0, start = 0, i;
  *count = 0;
  if (t.len == 0) return NULL;
  for (i = 0; i <= t.len; i++) {
    addr__text_t g;
    const char *why;
    if (i < t.len && t.s[i] != ':') continue;
    g.s = t.s + start;
    g.len = i - start;
    if (addr__find(g, '.') != NULL) {
      uint8_t v4[4];
      if (!tail_ok || i != t.len) return "an embedded IPv4 address must be the last 32 bits";
      if (n + 2 > room) return "too many groups";
      why = addr__parse_v4(g, v4);
      if (why != NULL) return why;
      groups[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
      groups[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
    } else {
      if (n + 1 > room) return "too many groups";
      why = addr__parse_group(g, &groups[n]);
      if (why != NULL) return why;
      n++;
    }
    start = i + 1;
  }
  *count = n;
  return NULL;
}

static void addr__groups_to_bytes(const uint16_t groups[8], uint8_t ip[16]) {
  size_t i;
  for (i = 0; i < 8; i++) {
    ip[2 * i] = (uint8_t)(groups[i] >> 8);
    ip[2 * i + 1] = (uint8_t)(groups[i] & 0xff);
  }
}

/* The address part, without a zone. */
static const char *addr__parse_v6_ip(addr__text_t t, uint8_t ip[16]) {
  uint16_t head[8], tail[8], all[8];
  size_t nhead, ntail, i;
  const char *gap = NULL;
  const char *why;
  addr__text_t left, right;

  for (i = 0; i + 1 < t.len; i++) {
    if (t.s[i] == ':' && t.s[i + 1] == ':') {
      if (gap != NULL) return "more than one \"::\"";
      gap = t.s + i;
      if (i + 2 < t.len && t.s[i + 2] == ':') return "\":::\" is not allowed";
      i++;
    }
  }
  memset(all, 0, sizeof all);
  if (gap == NULL) {
    why = addr__parse_groups(t, 1, all, 8, &nhead);
    if (why != NULL) return why;
    if (nhead != 8) return "fewer than 8 groups and no \"::\"";
    addr__groups_to_bytes(all, ip);
    return NULL;
  }
  left.s = t.s;
  left.len = (size_t)(gap - t.s);
  right.s = gap + 2;
  right.len = t.len - left.len - 2;
  /* "::" stands for at least one zero group, so 7 explicit groups at most. */
  why = addr__parse_groups(left, 0, head, 7, &nhead);
  if (why != NULL) return why;
  why = addr__parse_groups(right, 1, tail, 7 - nhead, &ntail);
  if (why != NULL) return why;
  memcpy(all, head, nhead * sizeof head[0]);
  memcpy(all + 8 - ntail, tail, ntail * sizeof tail[0]);
  addr__groups_to_bytes(all, ip);
  return NULL;
}

/* Only numeric zones: interface names would need the OS to resolve them. */
static const char *addr__parse_zone(addr__text_t zone, uint32_t *scope) {
  return addr__parse_decimal(zone, UINT32_MAX, scope, "empty zone after \"%\"",
                             "the zone is not a decimal number", "the zone has a leading zero",
                             "the zone is greater than 4294967295");
}

static const char *addr__parse_v6(addr__text_t t, uint8_t ip[16], uint32_t *scope) {
  const char *pct = addr__find(t, '%');
  addr__text_t ipt = t;
  *scope = 0;
  if (t.len > 0 && t.s[0] == ':' && (t.len < 2 || t.s[1] != ':'))
    return "starts with a single \":\"";
  if (pct != NULL) {
    addr__text_t zone;
    const char *why;
    ipt.len = (size_t)(pct - t.s);
    zone.s = pct + 1;
    zone.len = t.len - ipt.len - 1;
    why = addr__parse_zone(zone, scope);
    if (why != NULL) return why;
  }
  if (ipt.len > 0 && ipt.s[ipt.len - 1] == ':' && (ipt.len < 2 || ipt.s[ipt.len - 2] != ':'))
    return "ends with a single \":\"";
  return addr__parse_v6_ip(ipt, ip);
}

/* ------------------------------------------------------------- parsing */

/* An IPv4 or IPv6 literal (the family decided by the presence of ':'). */
static int addr__parse_ip(addr__text_t t, const char *input, riox_addr *a) {
  const char *why;
  if (t.len == 0) return addr__fail("IP address", input, "empty");
  if (addr__find(t, ':') != NULL) {
    a->family = RIOX_AF_INET6;
    why = addr__parse_v6(t, a->ip, &a->scope_id);
    return why == NULL ? 0 : addr__fail("IPv6 address", input, why);
  }
  if (addr__find(t, '%') != NULL) return addr__fail("IPv4 address", input, "IPv4 has no zone");
  a->family = RIOX_AF_INET;
  why = addr__parse_v4(t, a->ip);
  return why == NULL ? 0 : addr__fail("IPv4 address", input, why);
}

int riox_addr_parse(const char *ip, uint16_t port, riox_addr *out) {
  riox_addr a;
  addr__text_t t;
  int rc;
  if (ip == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_addr_parse: %s is NULL", ip == NULL ? "ip" : "out");
  t.s = ip;
  t.len = addr__bounded_len(ip, ADDR__TEXT_MAX);
  if (t.len > ADDR__TEXT_MAX) return addr__fail("IP address", ip, "too long");
  memset(&a, 0, sizeof a);
  rc = addr__parse_ip(t, ip, &a);
  if (rc != 0) return rc;
  a.port = port;
  *out = a;
  return 0;
}

/* Split "[v6]:port" or "v4:port" into the IP and the port text. */
static const char *addr__split_endpoint(addr__text_t t, addr__text_t *ip, addr__text_t *port) {
  const char *colon;
  if (t.len == 0) return "empty";
  if (t.s[0] == '[') {
    const char *close = addr__find(t, ']');
    if (close == NULL) return "\"[\" without \"]\"";
    ip->s = t.s + 1;
    ip->len = (size_t)(close - t.s) - 1;
    if (ip->len == 0) return "empty IP address";
    if (addr__find(*ip, ':') == NULL) return "brackets are only for IPv6 addresses";
    if ((size_t)(close - t.s) + 1 == t.len) return "missing \":port\"";
    if (close[1] != ':') return "expected \":\" after \"]\"";
    port->s = close + 2;
    port->len = t.len - (size_t)(port->s - t.s);
    return NULL;
  }
  if (addr__count(t, ':') > 1) return "an IPv6 address needs brackets: \"[addr]:port\"";
  colon = addr__find(t, ':');
  if (colon == NULL) return "missing \":port\"";
  if (addr__find(t, ']') != NULL) return "\"]\" without \"[\"";
  ip->s = t.s;
  ip->len = (size_t)(colon - t.s);
  port->s = colon + 1;
  port->len = t.len - ip->len - 1;
  return NULL;
}

int riox_addr_parse_endpoint(const char *text, riox_addr *out) {
  riox_addr a;
  addr__text_t t, ip, port;
  const char *why;
  uint32_t portnum = 0;
  int rc;
  if (text == NULL || out == NULL)
    return error_detail(RIOX_EINVAL, "riox_addr_parse_endpoint: %s is NULL", text == NULL ? "text" : "out");
  t.s = text;
  t.len = addr__bounded_len(text, ADDR__TEXT_MAX);
  if (t.len > ADDR__TEXT_MAX) return addr__fail("endpoint", text, "too long");
  why = addr__split_endpoint(t, &ip, &port);
  if (why != NULL) return addr__fail("endpoint", text, why);
  if (ip.len == 0) return addr__fail("endpoint", text, "empty IP address");
  memset(&a, 0, sizeof a);
  rc = addr__parse_ip(ip, text, &a);
  if (rc != 0) return rc;
  why = addr__parse_decimal(port, 65535, &portnum, "empty port", "the port is not a decimal number",
                            "the port has a leading zero", "the port is greater than 65535");
  if (why != NULL) return addr__fail("endpoint", text, why);
  a.port = (uint16_t)portnum;
  *out = a;
  return 0;
}

/* ---------------------------------------------------------- formatting */

/* A small append-only string builder over a buffer known to be big enough
 * (RIOX_ADDRSTRLEN): the public functions copy the result out with one size
 * check, so no partial address is ever left in the caller's buffer. */
typedef struct addr__out {
  char buf[RIOX_ADDRSTRLEN];
  size_t len;
} addr__out_t;

static void addr__put_char(addr__out_t *o, char c) {
  if (o->len + 1 < sizeof o->buf) o->buf[o->len++] = c;
  o->buf[o->len] = '\0';
}

static void addr__put_str(addr__out_t *o, const char *s) {
  while (*s != '\0') addr__put_char(o, *s++);
}

static void addr__put_decimal(addr__out_t *o, uint32_t v) {
  char digits[10];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) addr__put_char(o, digits[--n]);
}

/* Lowercase, no leading zeros (RFC 5952 4.1, 4.3). */
static void addr__put_hex16(addr__out_t *o, uint16_t v) {
  static const char hex[] = "0123456789abcdef";
  int shift = 12;
  while (shift > 0 && ((v >> shift) & 0xf) == 0) shift -= 4;
  for (; shift >= 0; shift -= 4) addr__put_char(o, hex[(v >> shift) & 0xf]);
}

static void addr__put_v4(addr__out_t *o, const uint8_t ip[4]) {
  int i;
  for (i = 0; i < 4; i++) {
    if (i > 0) addr__put_char(o, '.');
    addr__put_decimal(o, ip[i]);
  }
}

/* ::ffff:0:0/96, the only prefix shown with a dotted tail (RFC 5952 5). */
static int addr__is_v4mapped(const uint8_t ip[16]) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(ip, prefix, sizeof prefix) == 0;
}

/* The longest run of two or more zero groups, the first one on ties
 * (RFC 5952 4.2). *start = -1 when there is none. */
static void addr__longest_zero_run(const uint16_t *g, int n, int *start, int *len) {
  int i = 0;
  *start = -1;
  *len = 0;
  while (i < n) {
    int j = i;
    while (j < n && g[j] == 0) j++;
    if (j - i >= 2 && j - i > *len) {
      *start = i;
      *len = j - i;
    }
    i = j > i ? j : i + 1;
  }
}

static void addr__put_v6(addr__out_t *o, const uint8_t ip[16], uint32_t scope) {
  uint16_t g[8];
  int i, ngroups, zstart, zlen;
  int mapped = addr__is_v4mapped(ip);
  for (i = 0; i < 8; i++) g[i] = (uint16_t)(ip[2 * i] << 8 | ip[2 * i + 1]);
  ngroups = mapped ? 6 : 8;
  addr__longest_zero_run(g, ngroups, &zstart, &zlen);
  for (i = 0; i < ngroups; i++) {
    if (i == zstart) {
      addr__put_str(o, "::");
      i += zlen - 1;
      continue;
    }
    if (i > 0 && i != zstart + zlen) addr__put_char(o, ':');
    addr__put_hex16(o, g[i]);
  }
  if (mapped) {
    /* After "::" the separator is already there; after a group it is not. */
    if (zstart + zlen != ngroups) addr__put_char(o, ':');
    addr__put_v4(o, ip + 12);
  }
  if (scope != 0) {
    addr__put_char(o, '%');
    addr__put_decimal(o, scope);
  }
}

static int addr__check(const riox_addr *addr, const char *buf, const char *fn) {
  if (addr == NULL || buf == NULL)
    return error_detail(RIOX_EINVAL, "%s: %s is NULL", fn, addr == NULL ? "addr" : "buf");
  if (addr->family != RIOX_AF_INET && addr->family != RIOX_AF_INET6)
    return error_detail(RIOX_EINVAL, "%s: address family %u is neither RIOX_AF_INET nor RIOX_AF_INET6", fn,
                        (unsigned)addr->family);
  return 0;
}

static int addr__copy_out(const addr__out_t *o, char *buf, size_t size, const char *fn) {
  if (o->len + 1 > size) {
    if (size > 0) buf[0] = '\0';
    return error_detail(RIOX_ENOBUFS, "%s: \"%s\" needs %u bytes, the buffer has %lu", fn, o->buf,
                        (unsigned)(o->len + 1), (unsigned long)size);
  }
  memcpy(buf, o->buf, o->len + 1);
  return (int)o->len;
}

static void addr__put_ip(addr__out_t *o, const riox_addr *addr) {
  if (addr->family == RIOX_AF_INET)
    addr__put_v4(o, addr->ip);
  else
    addr__put_v6(o, addr->ip, addr->scope_id);
}

int riox_addr_format_ip(const riox_addr *addr, char *buf, size_t size) {
  addr__out_t o;
  int rc = addr__check(addr, buf, "riox_addr_format_ip");
  if (rc != 0) {
    if (buf != NULL && size > 0) buf[0] = '\0';
    return rc;
  }
  o.len = 0;
  o.buf[0] = '\0';
  addr__put_ip(&o, addr);
  return addr__copy_out(&o, buf, size, "riox_addr_format_ip");
}

int riox_addr_format(const riox_addr *addr, char *buf, size_t size) {
  addr__out_t o;
  int rc = addr__check(addr, buf, "riox_addr_format");
  if (rc != 0) {
    if (buf != NULL && size > 0) buf[0] = '\0';
    return rc;
  }
  o.len = 0;
  o.buf[0] = '\0';
  if (addr->family == RIOX_AF_INET6) addr__put_char(&o, '[');
  addr__put_ip(&o, addr);
  if (addr->family == RIOX_AF_INET6) addr__put_char(&o, ']');
  addr__put_char(&o, ':');
  addr__put_decimal(&o, addr->port);
  return addr__copy_out(&o, buf, size, "riox_addr_format");
}
