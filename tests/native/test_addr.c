/* Address parsing and formatting: strict IPv4, RFC 4291 IPv6 text forms,
 * zones, endpoints, RFC 5952 output and bounded buffers. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "riox.h"

static void hex_of(const uint8_t *ip, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", ip[i]);
}

/* Parse and return the canonical text of the IP (or "" on failure). */
static int parse_format(const char *text, char *out, size_t size, riox_addr *a) {
  int rc = riox_addr_parse(text, 0, a);
  if (rc != 0) {
    out[0] = '\0';
    return rc;
  }
  return riox_addr_format_ip(a, out, size);
}

static void expect_rejected(const char *const *inputs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    riox_addr a;
    int rc;
    memset(&a, 0xAA, sizeof a);
    error_clear_detail();
    rc = riox_addr_parse(inputs[i], 80, &a);
    cr_expect_eq(rc, RIOX_EINVAL, "riox_addr_parse(\"%s\") = %d (%s), expected RIOX_EINVAL", inputs[i], rc,
                 riox_err_name(rc));
    cr_expect_neq(riox_last_detail()[0], '\0', "riox_addr_parse(\"%s\") left no detail", inputs[i]);
  }
}

static void expect_endpoint_rejected(const char *const *inputs, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    riox_addr a;
    int rc;
    error_clear_detail();
    rc = riox_addr_parse_endpoint(inputs[i], &a);
    cr_expect_eq(rc, RIOX_EINVAL, "riox_addr_parse_endpoint(\"%s\") = %d (%s), expected RIOX_EINVAL", inputs[i], rc,
                 riox_err_name(rc));
    cr_expect_neq(riox_last_detail()[0], '\0', "riox_addr_parse_endpoint(\"%s\") left no detail", inputs[i]);
  }
}

/* ------------------------------------------------------------- IPv4 */

Test(addr_v4, parses_dotted_quad_into_network_order) {
  riox_addr a;
  int rc = riox_addr_parse("192.168.1.200", 8080, &a);
  cr_assert_eq(rc, 0, "rc = %d (%s)", rc, riox_last_detail());
  cr_assert_eq(a.family, RIOX_AF_INET, "family %u, expected %d", a.family, RIOX_AF_INET);
  cr_assert_eq(a.port, 8080, "port %u, expected 8080", a.port);
  cr_assert_eq(a.scope_id, 0, "scope %u, expected 0", a.scope_id);
  cr_assert(a.ip[0] == 192 && a.ip[1] == 168 && a.ip[2] == 1 && a.ip[3] == 200, "ip %u.%u.%u.%u", a.ip[0], a.ip[1],
            a.ip[2], a.ip[3]);
}

Test(addr_v4, unused_bytes_are_zero) {
  riox_addr a;
  size_t i;
  memset(&a, 0xAA, sizeof a);
  cr_assert_eq(riox_addr_parse("1.2.3.4", 0, &a), 0, "parse failed: %s", riox_last_detail());
  for (i = 4; i < 16; i++) cr_expect_eq(a.ip[i], 0, "ip[%lu] = 0x%02x, expected 0", (unsigned long)i, a.ip[i]);
}

Test(addr_v4, extreme_values_round_trip) {
  static const char *const ok[] = {"0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.255", "100.99.9.0"};
  size_t i;
  for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char buf[RIOX_ADDRSTRLEN];
    riox_addr a;
    int rc = parse_format(ok[i], buf, sizeof buf, &a);
    cr_expect_eq(rc, (int)strlen(ok[i]), "\"%s\": rc %d (%s)", ok[i], rc, riox_last_detail());
    cr_expect_str_eq(buf, ok[i], "\"%s\" formatted as \"%s\"", ok[i], buf);
  }
}

Test(addr_v4, malformed_inputs_are_rejected) {
  static const char *const bad[] = {
      "",          "1",           "1.2",         "1.2.3",      "1.2.3.4.5",   "256.1.1.1",   "1.2.3.256",
      "1.2.3.1000", "1.2.3.99999999999999999999", "01.2.3.4", "1.2.3.04",  "00.0.0.0",    "1.02.3.4",
      "1..2.3",    ".1.2.3",      "1.2.3.",      "1.2.3.4 ",   " 1.2.3.4",    "1.2.3.-4",    "+1.2.3.4",
      "1.2.3.4a",  "a.b.c.d",     "0x1.2.3.4",   "1.2.3.4%1",  "1.2.3.4/24",  "1,2,3,4",     "1.2.3.4\n",
      ".",         "...",         "1.2.3.4.",    "1.2.3.4:80", "[1.2.3.4]",
  };
  expect_rejected(bad, sizeof bad / sizeof bad[0]);
}

Test(addr_v4, detail_quotes_input_and_names_the_problem) {
  int rc = riox_addr_parse("1.2.3.256", 0, &(riox_addr){0});
  cr_assert_eq(rc, RIOX_EINVAL, "rc = %d", rc);
  cr_expect(strstr(riox_last_detail(), "\"1.2.3.256\"") != NULL, "detail \"%s\" does not quote the input",
            riox_last_detail());
  cr_expect(strstr(riox_last_detail(), "255") != NULL, "detail \"%s\" does not name the limit", riox_last_detail());
}

Test(addr_v4, leading_zero_detail_says_so) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse("010.0.0.1", 0, &a), RIOX_EINVAL, "010.0.0.1 accepted");
  cr_expect(strstr(riox_last_detail(), "leading zero") != NULL, "detail is \"%s\"", riox_last_detail());
}

/* ------------------------------------------------------------- IPv6 */

Test(addr_v6, unspecified_and_loopback) {
  riox_addr a;
  char hex[33];
  static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const uint8_t zero[16] = {0};
  cr_assert_eq(riox_addr_parse("::", 0, &a), 0, "\"::\" rejected: %s", riox_last_detail());
  hex_of(a.ip, 16, hex);
  cr_expect(a.family == RIOX_AF_INET6 && memcmp(a.ip, zero, 16) == 0, "\"::\" -> family %u ip %s", a.family, hex);
  cr_assert_eq(riox_addr_parse("::1", 0, &a), 0, "\"::1\" rejected: %s", riox_last_detail());
  hex_of(a.ip, 16, hex);
  cr_expect(memcmp(a.ip, loop, 16) == 0, "\"::1\" -> %s", hex);
}

Test(addr_v6, full_form_bytes_in_network_order) {
  riox_addr a;
  char hex[33];
  cr_assert_eq(riox_addr_parse("2001:0DB8:0a0b:12f0:0000:0000:0000:0001", 0, &a), 0, "rejected: %s",
               riox_last_detail());
  hex_of(a.ip, 16, hex);
  cr_assert_str_eq(hex, "20010db80a0b12f00000000000000001", "bytes %s", hex);
}

Test(addr_v6, accepted_forms_have_canonical_output) {
  static const char *const cases[][2] = {
      {"::", "::"},
      {"::1", "::1"},
      {"1::", "1::"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"1:0:0:0:0:0:0:0", "1::"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"2001:DB8::1", "2001:db8::1"},
      {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
      {"1:0:2:0:0:3:0:0", "1:0:2::3:0:0"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"1::8", "1::8"},
      {"abcd:EF01:2345:6789:ABCD:ef01:2345:6789", "abcd:ef01:2345:6789:abcd:ef01:2345:6789"},
      {"0001:0002::000a", "1:2::a"},
      {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
      {"::FFFF:102:304", "::ffff:1.2.3.4"},
      {"0:0:0:0:0:ffff:255.255.255.255", "::ffff:255.255.255.255"},
      {"::ffff:0.0.0.0", "::ffff:0.0.0.0"},
      {"::1.2.3.4", "::102:304"},
      {"64:ff9b::1.2.3.4", "64:ff9b::102:304"},
      {"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
      {"::ffff:0:1.2.3.4", "::ffff:0:102:304"},
      {"fe80::1%3", "fe80::1%3"},
      {"fe80::1%0", "fe80::1"},
      {"FE80::1%4294967295", "fe80::1%4294967295"},
      {"::%1", "::%1"},
  };
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char buf[RIOX_ADDRSTRLEN];
    riox_addr a;
    int rc = parse_format(cases[i][0], buf, sizeof buf, &a);
    cr_expect_eq(rc, (int)strlen(cases[i][1]), "\"%s\": rc %d, detail \"%s\"", cases[i][0], rc, riox_last_detail());
    cr_expect_str_eq(buf, cases[i][1], "\"%s\" formatted as \"%s\", expected \"%s\"", cases[i][0], buf, cases[i][1]);
  }
}

Test(addr_v6, zone_becomes_scope_id) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse("fe80::1%42", 7, &a), 0, "rejected: %s", riox_last_detail());
  cr_assert_eq(a.scope_id, 42, "scope_id %u, expected 42", a.scope_id);
  cr_assert_eq(a.port, 7, "port %u, expected 7", a.port);
}

Test(addr_v6, malformed_inputs_are_rejected) {
  static const char *const bad[] = {
      ":",          ":::",          "1:::2",        ":1::2",        "1::2:",         ":1",
      "1:",         "::1:",         "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
      "1:2::3:4:5:6:7:8", "1::2::3",  "::1::",        "12345::",      "1:23456::",     "g::",
      "::g",        "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8", "fe80::1%",  "fe80::1%eth0",  "fe80::1%4294967296",
      "fe80::1%99999999999999999999", "fe80::1%-1", "fe80::1%03", "fe80::1%1%2", "fe80::1% 1", "%3",
      "::%",        "::1.2.3",      "::1.2.3.4.5",  "::1.2.3.256",  "::01.2.3.4",    "1.2.3.4::",
      "::1.2.3.4:1", "1:2:3:4:5:6:7:1.2.3.4", "::1.2.3.4%x", "1.2::",    "[::1]",         "::1 ",
      " ::1",       "::1]",         "::-1",         "::+1",         "1:2:3:4:5:6:7:8%", "::ffff:1.2.3.4:80",
      "0x1::",      "::1/128",
  };
  expect_rejected(bad, sizeof bad / sizeof bad[0]);
}

Test(addr_v6, detail_names_the_problem) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse("1::2::3", 0, &a), RIOX_EINVAL, "accepted");
  cr_expect(strstr(riox_last_detail(), "\"1::2::3\"") != NULL, "detail \"%s\" does not quote the input",
            riox_last_detail());
  cr_expect(strstr(riox_last_detail(), "more than one") != NULL, "detail \"%s\"", riox_last_detail());
}

/* ------------------------------------------------------- general input */

Test(addr_parse, null_arguments_are_einval) {
  riox_addr a;
  int rc = riox_addr_parse(NULL, 0, &a);
  cr_expect_eq(rc, RIOX_EINVAL, "parse(NULL ip) = %d", rc);
  rc = riox_addr_parse("1.2.3.4", 0, NULL);
  cr_expect_eq(rc, RIOX_EINVAL, "parse(NULL out) = %d", rc);
  rc = riox_addr_parse_endpoint(NULL, &a);
  cr_expect_eq(rc, RIOX_EINVAL, "parse_endpoint(NULL text) = %d", rc);
  rc = riox_addr_parse_endpoint("1.2.3.4:1", NULL);
  cr_expect_eq(rc, RIOX_EINVAL, "parse_endpoint(NULL out) = %d", rc);
  cr_expect(strstr(riox_last_detail(), "NULL") != NULL, "detail \"%s\"", riox_last_detail());
}

Test(addr_parse, out_is_untouched_on_failure) {
  riox_addr a, before;
  memset(&a, 0x5A, sizeof a);
  before = a;
  cr_assert_eq(riox_addr_parse("fe80::1%x", 1, &a), RIOX_EINVAL, "accepted");
  cr_assert_eq(riox_addr_parse_endpoint("[::1]:99999", &a), RIOX_EINVAL, "accepted");
  cr_assert(memcmp(&a, &before, sizeof a) == 0, "out was modified by a failing parse");
}

Test(addr_parse, very_long_input_is_rejected_with_bounded_quote) {
  char big[4096];
  riox_addr a;
  size_t len;
  memset(big, '1', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  cr_assert_eq(riox_addr_parse(big, 0, &a), RIOX_EINVAL, "accepted a 4095-character address");
  len = strlen(riox_last_detail());
  cr_expect(len < 200, "detail is %lu characters long", (unsigned long)len);
  cr_expect(strstr(riox_last_detail(), "...") != NULL, "detail \"%s\" does not mark the cut", riox_last_detail());
  cr_assert_eq(riox_addr_parse_endpoint(big, &a), RIOX_EINVAL, "accepted a 4095-character endpoint");
}

Test(addr_parse, garbage_bytes_are_rejected) {
  static const char *const bad[] = {"\x01", "1.2.3.4\t", "\xff::", "::\x80", "1.2.3.4\r\n", "\x7f"};
  expect_rejected(bad, sizeof bad / sizeof bad[0]);
}

/* ----------------------------------------------------------- endpoints */

Test(addr_endpoint, ipv4_endpoint) {
  riox_addr a;
  int rc = riox_addr_parse_endpoint("10.1.2.3:65535", &a);
  cr_assert_eq(rc, 0, "rc %d: %s", rc, riox_last_detail());
  cr_assert_eq(a.family, RIOX_AF_INET, "family %u", a.family);
  cr_assert_eq(a.port, 65535, "port %u", a.port);
  cr_assert(a.ip[0] == 10 && a.ip[3] == 3, "ip %u.%u.%u.%u", a.ip[0], a.ip[1], a.ip[2], a.ip[3]);
}

Test(addr_endpoint, ipv6_endpoint_with_zone) {
  riox_addr a;
  int rc = riox_addr_parse_endpoint("[fe80::1%3]:443", &a);
  cr_assert_eq(rc, 0, "rc %d: %s", rc, riox_last_detail());
  cr_assert_eq(a.family, RIOX_AF_INET6, "family %u", a.family);
  cr_assert_eq(a.port, 443, "port %u", a.port);
  cr_assert_eq(a.scope_id, 3, "scope %u", a.scope_id);
  cr_assert(a.ip[0] == 0xfe && a.ip[1] == 0x80 && a.ip[15] == 1, "ip bytes wrong");
}

Test(addr_endpoint, port_zero_and_unspecified_addresses) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse_endpoint("0.0.0.0:0", &a), 0, "rejected: %s", riox_last_detail());
  cr_assert_eq(a.port, 0, "port %u", a.port);
  cr_assert_eq(riox_addr_parse_endpoint("[::]:0", &a), 0, "rejected: %s", riox_last_detail());
  cr_assert_eq(a.family, RIOX_AF_INET6, "family %u", a.family);
}

Test(addr_endpoint, malformed_endpoints_are_rejected) {
  static const char *const bad[] = {
      "",              "1.2.3.4",         "1.2.3.4:",       "1.2.3.4:65536",  "1.2.3.4:99999999999999999999",
      "1.2.3.4:-1",    "1.2.3.4:+1",      "1.2.3.4:080",    "1.2.3.4:00",     "1.2.3.4:80 ",
      "1.2.3.4:80x",   "1.2.3.4::80",     ":80",            ":",              "::1:80",
      "[::1]",         "[::1]:",          "[::1]80",        "[::1:80",        "::1]:80",
      "[1.2.3.4]:80",  "[]:80",           "[::1]:80:",      "[::1]:65536",    "[[::1]]:80",
      "1.2.3.4]:80",   "[fe80::1%]:80",   "[::1%3]:0x50",   "1.2.3.256:80",   "localhost:80",
      " 1.2.3.4:80",   "1.2.3.4 :80",     "1.2.3.4: 80",    "[::1] :80",      "[ ::1]:80",
      "[::1]]:80",     "[:::1]:80",       "[::1]:1:2",      "1.2.3.4:1:2",    "fe80::1%3:80",
      "[",             "]",               "[]",             "[:]:1",          "1.2.3:80",
  };
  expect_endpoint_rejected(bad, sizeof bad / sizeof bad[0]);
}

Test(addr_endpoint, missing_brackets_detail_says_so) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse_endpoint("::1:80", &a), RIOX_EINVAL, "accepted");
  cr_expect(strstr(riox_last_detail(), "brackets") != NULL, "detail \"%s\"", riox_last_detail());
}

Test(addr_endpoint, port_overflow_detail_says_so) {
  riox_addr a;
  cr_assert_eq(riox_addr_parse_endpoint("1.2.3.4:65536", &a), RIOX_EINVAL, "accepted");
  cr_expect(strstr(riox_last_detail(), "65535") != NULL, "detail \"%s\"", riox_last_detail());
  cr_expect(strstr(riox_last_detail(), "\"1.2.3.4:65536\"") != NULL, "detail \"%s\"", riox_last_detail());
}

/* ----------------------------------------------------------- formatting */

Test(addr_format, endpoint_round_trips) {
  static const char *const eps[] = {
      "1.2.3.4:80",       "0.0.0.0:0",         "255.255.255.255:65535",      "[::1]:80",
      "[::]:0",           "[fe80::1%3]:8080",  "[::ffff:10.0.0.1]:53",       "[2001:db8::1:0:0:1]:443",
      "[1:2:3:4:5:6:7:8]:1",
  };
  size_t i;
  for (i = 0; i < sizeof eps / sizeof eps[0]; i++) {
    riox_addr a;
    char buf[RIOX_ADDRSTRLEN];
    int rc = riox_addr_parse_endpoint(eps[i], &a);
    cr_expect_eq(rc, 0, "\"%s\" rejected: %s", eps[i], riox_last_detail());
    rc = riox_addr_format(&a, buf, sizeof buf);
    cr_expect_eq(rc, (int)strlen(eps[i]), "\"%s\": format returned %d", eps[i], rc);
    cr_expect_str_eq(buf, eps[i], "\"%s\" formatted as \"%s\"", eps[i], buf);
  }
}

Test(addr_format, ipv4_ignores_scope_id) {
  riox_addr a;
  char buf[RIOX_ADDRSTRLEN];
  memset(&a, 0, sizeof a);
  a.family = RIOX_AF_INET;
  a.ip[0] = 127;
  a.ip[3] = 1;
  a.port = 9;
  a.scope_id = 5;
  cr_assert_eq(riox_addr_format(&a, buf, sizeof buf), 11, "length of \"%s\"", buf);
  cr_assert_str_eq(buf, "127.0.0.1:9", "got \"%s\"", buf);
}

Test(addr_format, longest_forms_fit_addrstrlen) {
  riox_addr a;
  char buf[RIOX_ADDRSTRLEN];
  int rc;
  memset(&a, 0, sizeof a);
  a.family = RIOX_AF_INET6;
  memset(a.ip, 0xff, 16);
  a.scope_id = UINT32_MAX;
  a.port = 65535;
  rc = riox_addr_format(&a, buf, sizeof buf);
  cr_assert_str_eq(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535", "got \"%s\"", buf);
  cr_assert_eq(rc, (int)strlen(buf), "rc %d, strlen %lu", rc, (unsigned long)strlen(buf));
  cr_assert_lt(rc, RIOX_ADDRSTRLEN, "rc %d >= RIOX_ADDRSTRLEN", rc);
  memset(a.ip, 0, 10);
  rc = riox_addr_format(&a, buf, sizeof buf);
  cr_assert_str_eq(buf, "[::ffff:255.255.255.255%4294967295]:65535", "got \"%s\"", buf);
}

Test(addr_format, too_small_buffer_is_enobufs_and_nul_terminated) {
  riox_addr a;
  char buf[RIOX_ADDRSTRLEN + 8];
  const char *full = "[2001:db8::1%7]:443";
  size_t len = strlen(full), size;
  cr_assert_eq(riox_addr_parse_endpoint(full, &a), 0, "rejected: %s", riox_last_detail());
  for (size = 0; size <= len; size++) {
    int rc;
    memset(buf, '#', sizeof buf);
    rc = riox_addr_format(&a, buf, size);
    cr_expect_eq(rc, RIOX_ENOBUFS, "size %lu: rc %d, expected RIOX_ENOBUFS", (unsigned long)size, rc);
    if (size > 0) cr_expect_eq(buf[0], '\0', "size %lu: buf[0] = 0x%02x, expected NUL", (unsigned long)size, buf[0]);
    cr_expect_eq(buf[size], '#', "size %lu: wrote past the end", (unsigned long)size);
  }
  memset(buf, '#', sizeof buf);
  cr_assert_eq(riox_addr_format(&a, buf, len + 1), (int)len, "exact size failed: %s", riox_last_detail());
  cr_assert_str_eq(buf, full, "got \"%s\"", buf);
}

Test(addr_format, too_small_buffer_for_ip_only) {
  riox_addr a;
  char buf[8];
  int rc;
  cr_assert_eq(riox_addr_parse("10.20.30.40", 0, &a), 0, "rejected");
  rc = riox_addr_format_ip(&a, buf, 8);
  cr_assert_eq(rc, RIOX_ENOBUFS, "rc %d", rc);
  cr_assert_str_eq(buf, "", "got \"%s\"", buf);
  cr_expect(strstr(riox_last_detail(), "12") != NULL, "detail \"%s\" does not say 12 bytes are needed",
            riox_last_detail());
  rc = riox_addr_format_ip(&a, buf, 0);
  cr_assert_eq(rc, RIOX_ENOBUFS, "size 0: rc %d", rc);
}

Test(addr_format, null_and_bad_family_are_einval) {
  riox_addr a;
  char buf[RIOX_ADDRSTRLEN];
  int rc;
  memset(&a, 0, sizeof a);
  rc = riox_addr_format(NULL, buf, sizeof buf);
  cr_expect_eq(rc, RIOX_EINVAL, "NULL addr: %d", rc);
  a.family = RIOX_AF_INET;
  rc = riox_addr_format(&a, NULL, 10);
  cr_expect_eq(rc, RIOX_EINVAL, "NULL buf: %d", rc);
  rc = riox_addr_format_ip(NULL, buf, sizeof buf);
  cr_expect_eq(rc, RIOX_EINVAL, "format_ip NULL addr: %d", rc);
  a.family = RIOX_AF_UNSPEC;
  memset(buf, '#', sizeof buf);
  rc = riox_addr_format(&a, buf, sizeof buf);
  cr_expect_eq(rc, RIOX_EINVAL, "family 0: %d", rc);
  cr_expect_eq(buf[0], '\0', "family 0 left buf[0] = 0x%02x", buf[0]);
  a.family = 5;
  rc = riox_addr_format_ip(&a, buf, sizeof buf);
  cr_expect_eq(rc, RIOX_EINVAL, "family 5: %d", rc);
  cr_expect(strstr(riox_last_detail(), "family 5") != NULL, "detail \"%s\"", riox_last_detail());
}

static uint32_t rng_state;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

Test(addr_format, random_ipv6_round_trip_through_text) {
  const uint32_t seed = 0x5eed1234u;
  int i;
  rng_state = seed;
  for (i = 0; i < 20000; i++) {
    riox_addr a, b;
    char buf[RIOX_ADDRSTRLEN];
    int g, rc;
    memset(&a, 0, sizeof a);
    a.family = RIOX_AF_INET6;
    /* Zero groups half the time so every compression case shows up. */
    for (g = 0; g < 8; g++) {
      uint32_t r = rng();
      uint16_t v = (r & 1) ? 0 : (uint16_t)(r >> 16);
      if ((r & 6) == 2) v = (uint16_t)(v & 0xf);
      a.ip[2 * g] = (uint8_t)(v >> 8);
      a.ip[2 * g + 1] = (uint8_t)v;
    }
    if ((rng() & 15) == 0) {
      memset(a.ip, 0, 10);
      a.ip[10] = a.ip[11] = 0xff;
    }
    a.scope_id = (rng() & 3) == 0 ? rng() : 0;
    a.port = (uint16_t)rng();
    rc = riox_addr_format(&a, buf, sizeof buf);
    cr_assert_gt(rc, 0, "seed 0x%x iteration %d: format failed %d", seed, i, rc);
    rc = riox_addr_parse_endpoint(buf, &b);
    cr_assert_eq(rc, 0, "seed 0x%x iteration %d: \"%s\" rejected: %s", seed, i, buf, riox_last_detail());
    cr_assert(memcmp(&a, &b, sizeof a) == 0, "seed 0x%x iteration %d: \"%s\" did not round-trip", seed, i, buf);
    cr_assert(strstr(buf, ":::") == NULL && strstr(buf, "::0:") == NULL, "seed 0x%x: \"%s\" is not canonical", seed,
              buf);
  }
}

Test(addr_format, random_ipv4_round_trip_through_text) {
  const uint32_t seed = 0xabcdef01u;
  int i;
  rng_state = seed;
  for (i = 0; i < 20000; i++) {
    riox_addr a, b;
    char buf[RIOX_ADDRSTRLEN];
    uint32_t r = rng();
    int rc;
    memset(&a, 0, sizeof a);
    a.family = RIOX_AF_INET;
    memcpy(a.ip, &r, 4);
    a.port = (uint16_t)rng();
    rc = riox_addr_format(&a, buf, sizeof buf);
    cr_assert_gt(rc, 0, "seed 0x%x iteration %d: format failed %d", seed, i, rc);
    rc = riox_addr_parse_endpoint(buf, &b);
    cr_assert_eq(rc, 0, "seed 0x%x iteration %d: \"%s\" rejected: %s", seed, i, buf, riox_last_detail());
    cr_assert(memcmp(&a, &b, sizeof a) == 0, "seed 0x%x iteration %d: \"%s\" did not round-trip", seed, i, buf);
  }
}
