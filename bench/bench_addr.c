/* Address parse + format (riox_addr_parse_endpoint / riox_addr_format, one
 * strict hand-written parser for every OS) against the C library's
 * inet_pton/inet_ntop with the port split and joined by hand. The parameter
 * is the family (4 or 6); one operation = parse one endpoint and format it. */
#define _POSIX_C_SOURCE 200809L /* inet_pton under -std=c11 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cbench.h"
#include "riox.h"

static const char bench_addr_v4[] = "192.168.100.200:65535";
static const char bench_addr_v6[] = "[2001:db8::8a2e:370:7334]:443";

typedef struct bench_addr_ctx {
  const char *text;
  char out[RIOX_ADDRSTRLEN];
  size_t total;
} bench_addr_ctx_t;

static void *bench_addr_setup(int64_t family) {
  bench_addr_ctx_t *x = (bench_addr_ctx_t *)calloc(1, sizeof *x);
  if (x != NULL) x->text = family == 6 ? bench_addr_v6 : bench_addr_v4;
  return x;
}

static void bench_addr_riox_run(void *p, uint64_t n) {
  bench_addr_ctx_t *x = (bench_addr_ctx_t *)p;
  riox_addr a;
  uint64_t i;
  for (i = 0; i < n; i++) {
    if (riox_addr_parse_endpoint(x->text, &a) == 0) x->total += (size_t)riox_addr_format(&a, x->out, sizeof x->out);
  }
  cbench_escape(x);
}

/* The usual hand-rolled way: find the port separator, inet_pton the rest. */
static void bench_addr_libc_run(void *p, uint64_t n) {
  bench_addr_ctx_t *x = (bench_addr_ctx_t *)p;
  uint64_t i;
  for (i = 0; i < n; i++) {
    char host[64], ip[INET6_ADDRSTRLEN];
    unsigned char bin[16];
    const char *colon = strrchr(x->text, ':');
    const char *start = x->text;
    size_t len;
    unsigned long port;
    int v6 = x->text[0] == '[';
    if (colon == NULL) continue;
    if (v6) start++;
    len = (size_t)(colon - start) - (v6 ? 1u : 0u);
    if (len >= sizeof host) continue;
    memcpy(host, start, len);
    host[len] = '\0';
    port = strtoul(colon + 1, NULL, 10);
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1) continue;
    if (inet_ntop(v6 ? AF_INET6 : AF_INET, bin, ip, sizeof ip) == NULL) continue;
    x->total += (size_t)snprintf(x->out, sizeof x->out, v6 ? "[%s]:%lu" : "%s:%lu", ip, port);
  }
  cbench_escape(x);
}

static const cbench_def bench_addr_defs[] = {
    {"addr.parse_format/riox/4", bench_addr_setup, bench_addr_riox_run, free, 4, 64},
    {"addr.parse_format/naive/4", bench_addr_setup, bench_addr_libc_run, free, 4, 64},
    {"addr.parse_format/riox/6", bench_addr_setup, bench_addr_riox_run, free, 6, 64},
    {"addr.parse_format/naive/6", bench_addr_setup, bench_addr_libc_run, free, 6, 64},
};

void bench_addr_register(void) {
  size_t i;
  for (i = 0; i < sizeof bench_addr_defs / sizeof bench_addr_defs[0]; i++) cbench_register(&bench_addr_defs[i]);
}
