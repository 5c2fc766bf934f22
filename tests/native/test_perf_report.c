/* riox-perf output (examples/perf/report.c) and wire header
 * (examples/perf/proto.c): the JSON object is valid JSON with the fields the
 * comparison reads, non-finite numbers become null, and the header has the
 * documented byte layout. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "report.h"

/* --------------------------------------------- a strict JSON validator */

typedef struct js {
  const char *p;
} js_t;

static void js_ws(js_t *j) {
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t') j->p++;
}

static int js_value(js_t *j);

static int js_string(js_t *j) {
  if (*j->p != '"') return 0;
  for (j->p++; *j->p != '"'; j->p++) {
    if ((unsigned char)*j->p < 0x20) return 0;
    if (*j->p == '\\') {
      j->p++;
      if (*j->p == 'u') {
        int k;
        for (k = 0; k < 4; k++)
          if (strchr("0123456789abcdefABCDEF", *++j->p) == NULL || *j->p == '\0') return 0;
      } else if (strchr("\"\\/bfnrt", *j->p) == NULL || *j->p == '\0') {
        return 0;
      }
    }
  }
  j->p++;
  return 1;
}

static int js_number(js_t *j) {
  const char *s = j->p;
  if (*j->p == '-') j->p++;
  if (*j->p == '0') j->p++;
  else if (*j->p >= '1' && *j->p <= '9') while (*j->p >= '0' && *j->p <= '9') j->p++;
  else return 0;
  if (*j->p == '.') {
    j->p++;
    if (!(*j->p >= '0' && *j->p <= '9')) return 0;
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  if (*j->p == 'e' || *j->p == 'E') {
    j->p++;
    if (*j->p == '+' || *j->p == '-') j->p++;
    if (!(*j->p >= '0' && *j->p <= '9')) return 0;
    while (*j->p >= '0' && *j->p <= '9') j->p++;
  }
  return j->p > s;
}

static int js_container(js_t *j, char close, int object) {
  j->p++;
  js_ws(j);
  if (*j->p == close) {
    j->p++;
    return 1;
  }
  for (;;) {
    js_ws(j);
    if (object) {
      if (!js_string(j)) return 0;
      js_ws(j);
      if (*j->p++ != ':') return 0;
    }
    if (!js_value(j)) return 0;
    js_ws(j);
    if (*j->p == ',') {
      j->p++;
      continue;
    }
    if (*j->p++ != close) return 0;
    return 1;
  }
}

static int js_value(js_t *j) {
  js_ws(j);
  switch (*j->p) {
  case '{': return js_container(j, '}', 1);
  case '[': return js_container(j, ']', 0);
  case '"': return js_string(j);
  case 't': return strncmp(j->p, "true", 4) == 0 ? (j->p += 4, 1) : 0;
  case 'f': return strncmp(j->p, "false", 5) == 0 ? (j->p += 5, 1) : 0;
  case 'n': return strncmp(j->p, "null", 4) == 0 ? (j->p += 4, 1) : 0;
  default: return js_number(j);
  }
}

static int js_valid(const char *text) {
  js_t j = {text};
  if (!js_value(&j)) return 0;
  js_ws(&j);
  return *j.p == '\0';
}

Test(perf_json_validator, knows_good_from_bad) {
  cr_expect(js_valid("{\"a\":[1,2.5,-3e2,true,null,\"x\\\"y\"],\"b\":{}}"));
  cr_expect(!js_valid("{\"a\":nan}"));
  cr_expect(!js_valid("{\"a\":1,}"));
  cr_expect(!js_valid("{\"a\":01}"));
  cr_expect(!js_valid("{\"a\":1}{"));
}

/* ----------------------------------------------------------- the report */

static void sample(perf_result_t *r) {
  memset(r, 0, sizeof *r);
  r->backend = "rio-emulated";
  r->backend_requested = "rio-emulated";
  r->mode = "udp-rr";
  r->role = "both";
  r->rio_notify = "iocp";
  r->latency_kind = "round-trip";
  r->size = 64;
  r->conns = 2;
  r->depth = 4;
  r->duration_s = 1.0;
  r->warmup_s = 0.2;
  r->under_wine = 1;
  r->elapsed_s = 1.0004;
  r->ops = 1234;
  r->ops_per_sec = 1233.5;
  r->bits_per_sec = 631552.0;
  r->latency_us[PERF_LAT_P50] = 500.25;
  r->latency_us[PERF_LAT_P90] = 700.0;
  r->latency_us[PERF_LAT_P99] = 900.0;
  r->latency_us[PERF_LAT_P999] = 1500.0;
  r->latency_us[PERF_LAT_MAX] = 2000.0;
  r->latency_samples = 1234;
  r->latency_rel_error = 1.0 / 256.0;
  r->os_calls_per_op = 16.0;
  r->os_calls_per_op_client = 8.0;
  r->os_calls_per_op_server = 8.0;
  r->kernel_calls_per_op = 10.0;
  r->kernel_calls_per_op_client = r->kernel_calls_per_op_server = 5.0;
  r->ring_ops_per_op = 6.0;
  r->ring_ops_per_op_client = r->ring_ops_per_op_server = 3.0;
  r->cpu_us_per_op = 400.0;
}

static void render(const perf_result_t *r, int json, char *out, size_t size) {
  size_t n;
  FILE *f = tmpfile();
  cr_assert_not_null(f, "tmpfile failed");
  if (json) perf_report_json(f, r);
  else perf_report_table(f, r);
  rewind(f);
  n = fread(out, 1, size - 1, f);
  out[n] = '\0';
  fclose(f);
}

Test(perf_report, json_is_one_valid_line_with_the_required_fields) {
  static const char *keys[] = {"\"backend\":\"rio-emulated\"", "\"mode\":\"udp-rr\"",
                               "\"ops_per_sec\":1233.5", "\"bits_per_sec\":631552",
                               "\"latency_us\":{\"p50\":500.250,", "\"p90\":700.000",
                               "\"p99\":900.000", "\"p999\":1500.000", "\"max\":2000.000",
                               "\"os_calls_per_op\":16.0000", "\"cpu_us_per_op\":400.0000",
                               "\"kernel_calls_per_op\":10.0000", "\"kernel_calls_per_op_client\":5.0000",
                               "\"kernel_calls_per_op_server\":5.0000", "\"ring_ops_per_op\":6.0000",
                               "\"ring_ops_per_op_client\":3.0000", "\"ring_ops_per_op_server\":3.0000",
                               "\"under_wine\":true", "\"errors\":0", "\"drops\":0"};
  perf_result_t r;
  char text[4096];
  size_t i, len;
  sample(&r);
  render(&r, 1, text, sizeof text);
  len = strlen(text);
  cr_assert_gt(len, 1);
  cr_expect_eq(text[len - 1], '\n', "the object does not end its line");
  cr_expect(strchr(text, '\n') == text + len - 1, "more than one line: %s", text);
  cr_expect(js_valid(text), "not valid JSON: %s", text);
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    cr_expect(strstr(text, keys[i]) != NULL, "missing %s in %s", keys[i], text);
}

Test(perf_report, non_finite_numbers_and_absent_parts_are_null) {
  perf_result_t r;
  char text[4096];
  double zero = 0.0;
  sample(&r);
  r.ops_per_sec = 1.0 / zero;  /* inf */
  r.cpu_us_per_op = zero / zero; /* NaN */
  r.rio_notify = NULL;
  r.os_calls_per_op_server = -1.0;
  r.kernel_calls_per_op_server = r.ring_ops_per_op_server = -1.0;
  render(&r, 1, text, sizeof text);
  cr_expect(js_valid(text), "not valid JSON: %s", text);
  cr_expect(strstr(text, "\"ops_per_sec\":null") != NULL, "inf not null: %s", text);
  cr_expect(strstr(text, "\"cpu_us_per_op\":null") != NULL, "NaN not null: %s", text);
  cr_expect(strstr(text, "\"rio_notify\":null") != NULL, "%s", text);
  cr_expect(strstr(text, "\"os_calls_per_op_server\":null") != NULL, "%s", text);
  cr_expect(strstr(text, "\"kernel_calls_per_op_server\":null") != NULL, "%s", text);
  cr_expect(strstr(text, "\"ring_ops_per_op_server\":null") != NULL, "%s", text);
}

Test(perf_report, strings_are_escaped) {
  perf_result_t r;
  char text[4096];
  sample(&r);
  r.backend = "we\"ird\\name\n";
  render(&r, 1, text, sizeof text);
  cr_expect(js_valid(text), "not valid JSON: %s", text);
  cr_expect(strstr(text, "\"backend\":\"we\\\"ird\\\\name\\u000a\"") != NULL, "%s", text);
}

Test(perf_report, table_names_backend_mode_and_every_metric) {
  static const char *needles[] = {"udp-rr", "rio-emulated", "notify iocp", "operations/s",
                                  "p99.9", "OS calls per op", "CPU us per op", "errors / drops",
                                  "numbers measure Wine", "2 sockets"};
  perf_result_t r;
  char text[4096];
  size_t i;
  sample(&r);
  render(&r, 0, text, sizeof text);
  for (i = 0; i < sizeof needles / sizeof needles[0]; i++)
    cr_expect(strstr(text, needles[i]) != NULL, "table lacks '%s':\n%s", needles[i], text);
}

/* ----------------------------------------------------------- wire header */

Test(perf_proto, round_trip) {
  perf_hdr_t a = {PERF_MSG_REQ, PERF_TCP_ECHO, 513, 0x1122334455667788ull, 42, 987654321012345ull}, b;
  char buf[PERF_HDR_LEN];
  perf_hdr_write(buf, &a);
  cr_assert_eq(perf_hdr_read(buf, sizeof buf, &b), 0);
  cr_expect_eq(b.type, a.type);
  cr_expect_eq(b.flags, a.flags);
  cr_expect_eq(b.slot, a.slot, "slot %u", b.slot);
  cr_expect_eq(b.session, a.session);
  cr_expect_eq(b.seq, a.seq);
  cr_expect_eq(b.stamp, a.stamp);
}

Test(perf_proto, byte_layout_is_little_endian) {
  perf_hdr_t a = {PERF_MSG_STATS_ACK, 0, 0x0102, 0, 0x0807060504030201ull, 0};
  unsigned char buf[PERF_HDR_LEN];
  perf_hdr_write((char *)buf, &a);
  cr_expect_eq(memcmp(buf, "RXPF", 4), 0, "magic bytes %02x %02x %02x %02x", buf[0], buf[1], buf[2], buf[3]);
  cr_expect_eq(buf[4], PERF_MSG_STATS_ACK);
  cr_expect_eq(buf[6], 0x02);
  cr_expect_eq(buf[7], 0x01);
  cr_expect_eq(buf[16], 0x01, "seq low byte %02x", buf[16]);
  cr_expect_eq(buf[23], 0x08, "seq high byte %02x", buf[23]);
}

Test(perf_proto, refuses_foreign_bytes) {
  perf_hdr_t a = {PERF_MSG_HELLO, 0, 0, 1, 2, 3}, b;
  char buf[PERF_HDR_LEN + 8];
  perf_hdr_write(buf, &a);
  cr_expect_eq(perf_hdr_read(buf, PERF_HDR_LEN - 1, &b), -1, "short header accepted");
  cr_expect_eq(perf_hdr_read(buf, PERF_HDR_LEN + 8, &b), 0, "payload after the header refused");
  buf[0] = 'X';
  cr_expect_eq(perf_hdr_read(buf, PERF_HDR_LEN, &b), -1, "bad magic accepted");
  perf_hdr_write(buf, &a);
  buf[4] = 0;
  cr_expect_eq(perf_hdr_read(buf, PERF_HDR_LEN, &b), -1, "type 0 accepted");
  buf[4] = 99;
  cr_expect_eq(perf_hdr_read(buf, PERF_HDR_LEN, &b), -1, "type 99 accepted");
}
