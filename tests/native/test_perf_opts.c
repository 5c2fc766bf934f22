/* riox-perf option parsing (examples/perf/opts.c): defaults per role and
 * mode, every option's accepted and refused values, and a clear message for
 * each refusal. */
#include <criterion/criterion.h>
#include <string.h>

#include "opts.h"

static perf_opts o;
static char err[256];

/* parse("--mode", "tcp-rr", NULL) */
#define PARSE(...) parse_args((const char *[]){"riox-perf", __VA_ARGS__, NULL})

static int parse_args(const char **argv) {
  int argc = 0;
  while (argv[argc] != NULL) argc++;
  memset(err, 0, sizeof err);
  return perf_opts_parse(argc, (char **)argv, &o, err, sizeof err);
}

static int parse_none(void) {
  const char *argv[] = {"riox-perf", NULL};
  return parse_args(argv);
}

static void expect_ok(int rc) {
  cr_assert_eq(rc, PERF_OPTS_OK, "parse returned %d: %s", rc, err);
}

/* Refused, with a message that names what was wrong. */
static void expect_error(int rc, const char *needle) {
  cr_assert_eq(rc, PERF_OPTS_ERROR, "parse returned %d, expected an error mentioning '%s'", rc, needle);
  cr_expect(strstr(err, needle) != NULL, "message '%s' does not mention '%s'", err, needle);
}

static void expect_addr(const riox_addr *a, const char *text) {
  char buf[RIOX_ADDRSTRLEN];
  cr_assert_geq(riox_addr_format(a, buf, sizeof buf), 0, "address does not format");
  cr_expect_str_eq(buf, text, "address %s, expected %s", buf, text);
}

/* ------------------------------------------------------------ defaults */

Test(perf_opts_defaults, no_arguments_is_udp_rr_both_on_loopback) {
  expect_ok(parse_none());
  cr_expect_eq(o.role, PERF_ROLE_BOTH);
  cr_expect_eq(o.mode, PERF_MODE_UDP_RR);
  cr_expect_eq(o.backend, PERF_BACKEND_AUTO);
  cr_expect_eq(o.rio_notify, RIOX_RIO_NOTIFY_IOCP);
  cr_expect_eq(o.size, 64u, "size %u", o.size);
  cr_expect_eq(o.conns, 1u, "conns %u", o.conns);
  cr_expect_eq(o.depth, 1u, "depth %u", o.depth);
  cr_expect(o.duration_s == 10.0, "duration %g", o.duration_s);
  cr_expect(o.warmup_s == 1.0, "warmup %g", o.warmup_s);
  cr_expect(o.rate == 0.0, "rate %g", o.rate);
  cr_expect(o.connect_timeout_s == 3.0, "connect timeout %g", o.connect_timeout_s);
  cr_expect_eq(o.json, 0);
  cr_expect_eq(o.quiet, 0);
  expect_addr(&o.bind, "127.0.0.1:0");
}

Test(perf_opts_defaults, client_targets_port_7400) {
  expect_ok(PARSE("--role", "client"));
  expect_addr(&o.target, "127.0.0.1:7400");
}

Test(perf_opts_defaults, server_binds_any_and_runs_until_killed) {
  expect_ok(PARSE("--role", "server"));
  expect_addr(&o.bind, "0.0.0.0:7400");
  cr_expect(o.duration_s == 0.0, "server duration %g, expected 0 (until killed)", o.duration_s);
  expect_ok(PARSE("--role", "server", "--duration", "5"));
  cr_expect(o.duration_s == 5.0, "explicit server duration %g", o.duration_s);
}

Test(perf_opts_defaults, depth_and_size_follow_the_mode) {
  expect_ok(PARSE("--mode", "udp-flood"));
  cr_expect_eq(o.depth, 32u, "udp-flood depth %u", o.depth);
  cr_expect_eq(o.size, 64u, "udp-flood size %u", o.size);
  expect_ok(PARSE("--mode", "tcp-stream"));
  cr_expect_eq(o.depth, 4u, "tcp-stream depth %u", o.depth);
  cr_expect_eq(o.size, 16384u, "tcp-stream size %u", o.size);
  expect_ok(PARSE("--mode", "tcp-rr"));
  cr_expect_eq(o.depth, 1u, "tcp-rr depth %u", o.depth);
  /* Given values win over the mode's defaults, in either order. */
  expect_ok(PARSE("--depth", "7", "--mode", "udp-flood", "--size", "100"));
  cr_expect_eq(o.depth, 7u, "explicit depth %u", o.depth);
  cr_expect_eq(o.size, 100u, "explicit size %u", o.size);
}

Test(perf_opts_defaults, each_parse_starts_afresh) {
  expect_ok(PARSE("--json", "--conns", "9"));
  expect_ok(parse_none());
  cr_expect_eq(o.json, 0, "--json leaked into the next parse");
  cr_expect_eq(o.conns, 1u, "--conns leaked into the next parse");
}

/* ------------------------------------------------------------- choices */

Test(perf_opts_choices, every_mode_role_backend_and_notify) {
  static const char *modes[] = {"udp-flood", "udp-rr", "tcp-stream", "tcp-rr"};
  static const char *backends[] = {"auto", "iocp", "rio", "rio-emulated", "uring", "epoll"};
  static const char *roles[] = {"both", "server", "client"};
  int i;
  for (i = 0; i < 4; i++) {
    expect_ok(PARSE("--mode", modes[i]));
    cr_expect_eq(o.mode, i, "--mode %s -> %d", modes[i], o.mode);
    cr_expect_str_eq(perf_mode_name(o.mode), modes[i]);
    expect_ok(PARSE("--backend", backends[i]));
    cr_expect_eq(o.backend, i, "--backend %s -> %d", backends[i], o.backend);
    cr_expect_str_eq(perf_backend_name(o.backend), backends[i]);
  }
  for (i = 0; i < 3; i++) {
    expect_ok(PARSE("--role", roles[i]));
    cr_expect_str_eq(perf_role_name(o.role), roles[i]);
  }
  expect_ok(PARSE("--rio-notify", "poll"));
  cr_expect_eq(o.rio_notify, RIOX_RIO_NOTIFY_POLL);
  expect_ok(PARSE("--rio-notify", "event"));
  cr_expect_eq(o.rio_notify, RIOX_RIO_NOTIFY_EVENT);
  cr_expect_str_eq(perf_notify_name(RIOX_RIO_NOTIFY_EVENT), "event");
  expect_ok(PARSE("--rio-notify=iocp"));
  cr_expect_eq(o.rio_notify, RIOX_RIO_NOTIFY_IOCP);
}

Test(perf_opts_choices, unknown_names_are_refused) {
  expect_error(PARSE("--mode", "udp"), "--mode 'udp'");
  expect_error(PARSE("--backend", "kqueue"), "--backend 'kqueue'");
  expect_error(PARSE("--role", "proxy"), "--role 'proxy'");
  expect_error(PARSE("--rio-notify", "spin"), "--rio-notify 'spin'");
  expect_error(PARSE("--mode", "UDP-RR"), "expected udp-flood");
}

Test(perf_opts_choices, flags_and_equals_form) {
  expect_ok(PARSE("--json", "--quiet", "--mode=tcp-rr", "--conns=3"));
  cr_expect_eq(o.json, 1);
  cr_expect_eq(o.quiet, 1);
  cr_expect_eq(o.mode, PERF_MODE_TCP_RR);
  cr_expect_eq(o.conns, 3u);
  expect_error(PARSE("--json=1"), "--json takes no value");
}

Test(perf_opts_choices, help_wins_anywhere) {
  cr_expect_eq(PARSE("--help"), PERF_OPTS_HELP);
  cr_expect_eq(PARSE("-h"), PERF_OPTS_HELP);
  cr_expect_eq(PARSE("--mode", "tcp-rr", "--help", "--bogus"), PERF_OPTS_HELP);
}

/* -------------------------------------------------------------- numbers */

Test(perf_opts_numbers, size_bounds_depend_on_the_transport) {
  expect_error(PARSE("--size", "31"), "--size '31'");
  expect_ok(PARSE("--size", "32"));
  expect_ok(PARSE("--size", "65507"));
  expect_error(PARSE("--size", "65508"), "larger than a UDP datagram");
  expect_error(PARSE("--mode", "udp-flood", "--size", "65508"), "udp-flood");
  expect_ok(PARSE("--mode", "tcp-rr", "--size", "65508"));
  expect_ok(PARSE("--mode", "tcp-stream", "--size", "1048576"));
  cr_expect_eq(o.size, 1048576u);
  expect_error(PARSE("--mode", "tcp-stream", "--size", "1048577"), "--size");
  expect_error(PARSE("--size", "-64"), "--size '-64'");
  expect_error(PARSE("--size", "64b"), "--size '64b'");
  expect_error(PARSE("--size", ""), "--size ''");
}

Test(perf_opts_numbers, conns_and_depth_ranges) {
  expect_ok(PARSE("--conns", "1024", "--depth", "1024"));
  cr_expect_eq(o.conns, 1024u);
  cr_expect_eq(o.depth, 1024u);
  expect_error(PARSE("--conns", "0"), "--conns '0'");
  expect_error(PARSE("--conns", "1025"), "1..1024");
  expect_error(PARSE("--depth", "0"), "--depth '0'");
  expect_error(PARSE("--depth", "99999999999999999999"), "--depth");
  expect_error(PARSE("--conns", " 4"), "--conns");
}

Test(perf_opts_numbers, threads_range_and_pin) {
  expect_ok(PARSE("--quiet"));
  cr_expect_eq(o.threads, 1u, "default --threads %u", o.threads);
  cr_expect_eq(o.pin, 0);
  expect_ok(PARSE("--threads", "64", "--pin"));
  cr_expect_eq(o.threads, 64u);
  cr_expect_eq(o.pin, 1);
  expect_error(PARSE("--threads", "0"), "--threads '0'");
  expect_error(PARSE("--threads", "65"), "1..64");
  expect_error(PARSE("--pin=1"), "--pin takes no value");
}

Test(perf_opts_numbers, durations_take_decimals) {
  expect_ok(PARSE("--duration", "0.5", "--warmup", "0"));
  cr_expect(o.duration_s == 0.5, "duration %g", o.duration_s);
  cr_expect(o.warmup_s == 0.0, "warmup %g", o.warmup_s);
  expect_ok(PARSE("--duration", "2", "--warmup", ".25", "--connect-timeout", "1.5"));
  cr_expect(o.warmup_s == 0.25, "warmup %g", o.warmup_s);
  cr_expect(o.connect_timeout_s == 1.5, "connect timeout %g", o.connect_timeout_s);
  expect_error(PARSE("--duration", "0"), "--duration '0'");
  expect_error(PARSE("--duration", "0.05"), "0.1..86400");
  expect_error(PARSE("--duration", "ten"), "--duration 'ten'");
  expect_error(PARSE("--duration", "nan"), "--duration 'nan'");
  expect_error(PARSE("--warmup", "-1"), "--warmup '-1'");
  expect_error(PARSE("--connect-timeout", "0"), "--connect-timeout");
}

Test(perf_opts_numbers, rate_suffixes) {
  expect_ok(PARSE("--rate", "20k"));
  cr_expect(o.rate == 20000.0, "20k -> %g", o.rate);
  expect_ok(PARSE("--rate", "1.5M"));
  cr_expect(o.rate == 1500000.0, "1.5M -> %g", o.rate);
  expect_ok(PARSE("--rate", "250"));
  cr_expect(o.rate == 250.0, "250 -> %g", o.rate);
  expect_ok(PARSE("--rate", "0"));
  cr_expect(o.rate == 0.0, "0 -> %g", o.rate);
  expect_error(PARSE("--rate", "20x"), "--rate '20x'");
  expect_error(PARSE("--rate", "k"), "--rate 'k'");
  expect_error(PARSE("--rate", "5kk"), "--rate '5kk'");
  expect_error(PARSE("--rate", "2000M"), "0..1e9");
}

/* ------------------------------------------------------------ addresses */

Test(perf_opts_addresses, target_forms) {
  expect_ok(PARSE("--role", "client", "--target", "10.0.0.2:9000"));
  expect_addr(&o.target, "10.0.0.2:9000");
  expect_ok(PARSE("--role", "client", "--target", "10.0.0.2"));
  expect_addr(&o.target, "10.0.0.2:7400");
  expect_ok(PARSE("--role", "client", "--target", "[::1]:7500"));
  expect_addr(&o.target, "[::1]:7500");
  expect_ok(PARSE("--role", "client", "--target", "::1"));
  expect_addr(&o.target, "[::1]:7400");
  expect_error(PARSE("--role", "client", "--target", "server.example:80"), "--target 'server.example:80'");
  expect_error(PARSE("--role", "client", "--target", "1.2.3.4:0"), "port 1..65535");
  expect_error(PARSE("--role", "client", "--target", "1.2.3.4:70000"), "--target");
}

Test(perf_opts_addresses, bind_forms) {
  expect_ok(PARSE("--role", "server", "--bind", "::"));
  expect_addr(&o.bind, "[::]:7400");
  expect_ok(PARSE("--role", "server", "--bind", "0.0.0.0:9999"));
  expect_addr(&o.bind, "0.0.0.0:9999");
  expect_ok(PARSE("--bind", "::1"));
  expect_addr(&o.bind, "[::1]:7400");
  expect_error(PARSE("--role", "server", "--bind", "localhost"), "--bind 'localhost'");
}

Test(perf_opts_addresses, options_of_the_other_role_are_refused) {
  expect_error(PARSE("--role", "server", "--target", "1.2.3.4:5"), "--target is for --role client");
  expect_error(PARSE("--target", "1.2.3.4:5"), "--role both talks to its own server");
  expect_error(PARSE("--role", "client", "--bind", "0.0.0.0"), "--bind is for --role server");
  expect_error(PARSE("--bind", "0.0.0.0"), "connectable IP");
}

/* ------------------------------------------------------------- grammar */

Test(perf_opts_grammar, missing_value_names_the_option) {
  expect_error(PARSE("--size"), "--size needs a value");
  expect_error(PARSE("--mode", "tcp-rr", "--target"), "--target needs a value");
}

Test(perf_opts_grammar, strays_and_unknowns) {
  expect_error(PARSE("--bogus"), "unknown option '--bogus'");
  expect_error(PARSE("udp-rr"), "unexpected argument 'udp-rr'");
  expect_error(PARSE("-j"), "unexpected argument '-j'");
  expect_error(PARSE("--a-very-long-option-name-that-is-not-known=1"), "unknown option");
}

/* The help text documents every option the parser knows. */
Test(perf_opts_grammar, usage_mentions_every_option) {
  static const char *opts[] = {"--role", "--mode", "--backend", "--rio-notify", "--size",
                               "--conns", "--depth", "--rate", "--duration", "--warmup",
                               "--target", "--bind", "--connect-timeout", "--json", "--quiet",
                               "--threads", "--pin",
                               "--help", "udp-flood", "udp-rr", "tcp-stream", "tcp-rr",
                               "rio-emulated", "Exit status"};
  char text[8192];
  size_t n, i;
  FILE *f = tmpfile();
  cr_assert_not_null(f, "tmpfile failed");
  perf_opts_usage(f);
  rewind(f);
  n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
    cr_expect(strstr(text, opts[i]) != NULL, "--help does not mention %s", opts[i]);
}

Test(perf_opts_echo_peer, client_rr_modes_only) {
  expect_ok(PARSE("--role", "client", "--echo-peer", "--mode", "udp-rr"));
  cr_expect_eq(o.echo_peer, 1);
  expect_ok(PARSE("--role", "client", "--echo-peer", "--mode", "tcp-rr"));
  cr_expect_eq(o.echo_peer, 1);
  expect_ok(PARSE("--role", "client", "--mode", "udp-rr"));
  cr_expect_eq(o.echo_peer, 0);
  expect_error(PARSE("--role", "client", "--echo-peer", "--mode", "udp-flood"), "--echo-peer works with");
  expect_error(PARSE("--role", "client", "--echo-peer", "--mode", "tcp-stream"), "--echo-peer works with");
  expect_error(PARSE("--echo-peer"), "--echo-peer is for --role client");
  expect_error(PARSE("--role", "client", "--echo-peer=1"), "takes no value");
}

/* --offload (issue 11): on, off, or left to the default ("on where
 * available", resolved at run time by perf_offload_on). */
Test(perf_opts_choices, offload_on_off_default) {
  expect_ok(parse_none());
  cr_expect_eq(o.offload, PERF_OFFLOAD_DEFAULT);
  expect_ok(PARSE("--mode", "udp-flood", "--offload", "on"));
  cr_expect_eq(o.offload, PERF_OFFLOAD_ON);
  expect_ok(PARSE("--offload=off"));
  cr_expect_eq(o.offload, PERF_OFFLOAD_OFF);
  expect_error(PARSE("--offload", "yes"), "--offload");
  expect_error(PARSE("--offload"), "--offload");
}
