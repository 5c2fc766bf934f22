/* Error names, explanations, Windows code mapping and the per-thread detail. */
#include <criterion/criterion.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "riox.h"

typedef struct err_row {
  int value;
  const char *name;
  const char *text;
} err_row;

static const err_row err_rows[] = {
#define ROW(name, value, text) {RIOX_##name, "RIOX_" #name, text},
    RIOX_ERRNO_MAP(ROW)
#undef ROW
};
#define NROWS (sizeof err_rows / sizeof err_rows[0])

typedef struct map_row {
  uint32_t code;
  int expect;
} map_row;

static void check_map(const map_row *rows, size_t n, int (*fn)(uint32_t), const char *fname) {
  size_t i;
  for (i = 0; i < n; i++) {
    int got = fn(rows[i].code);
    cr_expect_eq(got, rows[i].expect, "%s(%lu = 0x%08lx) = %d (%s), expected %d (%s)", fname,
                 (unsigned long)rows[i].code, (unsigned long)rows[i].code, got, riox_err_name(got),
                 rows[i].expect, riox_err_name(rows[i].expect));
  }
}

/* ------------------------------------------------------------ names */

Test(error_names, strerror_of_every_code_is_its_table_text) {
  size_t i;
  for (i = 0; i < NROWS; i++)
    cr_expect_str_eq(riox_strerror(err_rows[i].value), err_rows[i].text, "riox_strerror(%d) = \"%s\", expected \"%s\"",
                     err_rows[i].value, riox_strerror(err_rows[i].value), err_rows[i].text);
}

Test(error_names, err_name_of_every_code_is_riox_prefixed_name) {
  size_t i;
  for (i = 0; i < NROWS; i++)
    cr_expect_str_eq(riox_err_name(err_rows[i].value), err_rows[i].name, "riox_err_name(%d) = \"%s\", expected \"%s\"",
                     err_rows[i].value, riox_err_name(err_rows[i].value), err_rows[i].name);
}

Test(error_names, eof_name_survives_the_stdio_eof_macro) {
  cr_assert_str_eq(riox_err_name(RIOX_EOF), "RIOX_EOF", "riox_err_name(RIOX_EOF) = \"%s\"", riox_err_name(RIOX_EOF));
  cr_assert_eq(RIOX_EOF, -25, "RIOX_EOF = %d, expected -25", RIOX_EOF);
}

Test(error_names, codes_are_negative_and_distinct) {
  size_t i, j;
  for (i = 0; i < NROWS; i++) {
    cr_expect_lt(err_rows[i].value, 0, "%s = %d is not negative", err_rows[i].name, err_rows[i].value);
    for (j = i + 1; j < NROWS; j++)
      cr_expect_neq(err_rows[i].value, err_rows[j].value, "%s and %s share value %d", err_rows[i].name,
                    err_rows[j].name, err_rows[i].value);
  }
}

Test(error_names, zero_is_ok_and_success) {
  cr_assert_str_eq(riox_err_name(0), "RIOX_OK", "riox_err_name(0) = \"%s\"", riox_err_name(0));
  cr_assert_str_eq(riox_strerror(0), "success", "riox_strerror(0) = \"%s\"", riox_strerror(0));
}

Test(error_names, unknown_values_are_reported_as_unknown) {
  static const int unknown[] = {1, 25, -29, -100, -1000, INT_MIN, INT_MAX};
  size_t i;
  for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    cr_expect_str_eq(riox_strerror(unknown[i]), "unknown error", "riox_strerror(%d) = \"%s\"", unknown[i],
                     riox_strerror(unknown[i]));
    cr_expect_str_eq(riox_err_name(unknown[i]), "RIOX_UNKNOWN", "riox_err_name(%d) = \"%s\"", unknown[i],
                     riox_err_name(unknown[i]));
  }
}

/* -------------------------------------------------------- Win32 / WSA */

Test(error_win32, zero_is_success) {
  cr_assert_eq(error_from_win32(0), 0, "error_from_win32(0) = %d, expected 0", error_from_win32(0));
}

Test(error_win32, win32_codes_map_to_their_riox_error) {
  static const map_row rows[] = {
      {2, RIOX_ENOENT},          {3, RIOX_ENOENT},         {5, RIOX_EACCES},        {6, RIOX_EINVAL},
      {8, RIOX_ENOMEM},          {14, RIOX_ENOMEM},        {50, RIOX_ENOTSUP},      {64, RIOX_ECONNRESET},
      {87, RIOX_EINVAL},         {121, RIOX_ETIMEDOUT},    {234, RIOX_EMSGSIZE},    {258, RIOX_ETIMEDOUT},
      {735, RIOX_ELOOP},         {995, RIOX_ECANCELED},    {996, RIOX_EAGAIN},      {997, RIOX_EAGAIN},
      {1168, RIOX_ENOENT},       {1214, RIOX_EADDRNOTAVAIL}, {1225, RIOX_ECONNREFUSED}, {1226, RIOX_EOF},
      {1228, RIOX_ENOTCONN},     {1229, RIOX_ENOTCONN},    {1231, RIOX_ENETUNREACH}, {1232, RIOX_EHOSTUNREACH},
      {1234, RIOX_ECONNRESET},   {1236, RIOX_ECONNABORTED}, {1450, RIOX_ENOBUFS},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_win32, "error_from_win32");
}

Test(error_win32, wsa_codes_map_to_their_riox_error) {
  static const map_row rows[] = {
      {10004, RIOX_ECANCELED},    {10013, RIOX_EACCES},       {10014, RIOX_EINVAL},      {10022, RIOX_EINVAL},
      {10024, RIOX_ENOBUFS},      {10035, RIOX_EAGAIN},       {10036, RIOX_EALREADY},    {10037, RIOX_EALREADY},
      {10038, RIOX_EINVAL},       {10039, RIOX_EINVAL},       {10040, RIOX_EMSGSIZE},    {10041, RIOX_EPROTO},
      {10042, RIOX_ENOTSUP},      {10043, RIOX_ENOTSUP},      {10045, RIOX_ENOTSUP},     {10047, RIOX_EAFNOSUPPORT},
      {10048, RIOX_EADDRINUSE},   {10049, RIOX_EADDRNOTAVAIL}, {10050, RIOX_ENETUNREACH}, {10051, RIOX_ENETUNREACH},
      {10052, RIOX_ECONNRESET},   {10053, RIOX_ECONNABORTED}, {10054, RIOX_ECONNRESET},  {10055, RIOX_ENOBUFS},
      {10056, RIOX_EISCONN},      {10057, RIOX_ENOTCONN},     {10058, RIOX_ESHUTDOWN},   {10060, RIOX_ETIMEDOUT},
      {10061, RIOX_ECONNREFUSED}, {10064, RIOX_EHOSTUNREACH}, {10065, RIOX_EHOSTUNREACH}, {10093, RIOX_EINVAL},
      {10101, RIOX_EOF},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_win32, "error_from_win32");
}

Test(error_win32, unknown_codes_are_eio) {
  static const map_row rows[] = {
      {7, RIOX_EIO}, {999, RIOX_EIO}, {10059, RIOX_EIO}, {11001, RIOX_EIO}, {0x7fffffffu, RIOX_EIO}, {UINT32_MAX, RIOX_EIO},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_win32, "error_from_win32");
}

/* ------------------------------------------------------------ NTSTATUS */

Test(error_ntstatus, success_and_informational_are_zero) {
  static const map_row rows[] = {
      {0x00000000u, 0}, /* STATUS_SUCCESS */
      {0x00000103u, 0}, /* STATUS_PENDING */
      {0x3fffffffu, 0}, /* top of the success range */
      {0x40000000u, 0}, /* informational */
      {0x7fffffffu, 0},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_ntstatus, "error_from_ntstatus");
}

Test(error_ntstatus, buffer_overflow_warning_is_emsgsize) {
  int got = error_from_ntstatus(0x80000005u);
  cr_assert_eq(got, RIOX_EMSGSIZE, "STATUS_BUFFER_OVERFLOW -> %d (%s), expected RIOX_EMSGSIZE", got,
               riox_err_name(got));
}

Test(error_ntstatus, error_statuses_map_to_their_riox_error) {
  static const map_row rows[] = {
      {0xC0000120u, RIOX_ECANCELED},     {0xC000020Du, RIOX_ECONNRESET},    {0xC0000236u, RIOX_ECONNREFUSED},
      {0xC0000241u, RIOX_ECONNABORTED},  {0xC000023Cu, RIOX_ENETUNREACH},   {0xC000023Du, RIOX_EHOSTUNREACH},
      {0xC000023Fu, RIOX_ECONNRESET},    {0xC00000B5u, RIOX_ETIMEDOUT},     {0xC0000022u, RIOX_EACCES},
      {0xC000009Au, RIOX_ENOBUFS},       {0xC0000017u, RIOX_ENOMEM},        {0xC000000Du, RIOX_EINVAL},
      {0xC0000008u, RIOX_EINVAL},        {0xC0000023u, RIOX_EMSGSIZE},      {0xC000020Cu, RIOX_ECONNRESET},
      {0xC00000BBu, RIOX_ENOTSUP},       {0xC0000010u, RIOX_ENOTSUP},       {0xC0000206u, RIOX_EMSGSIZE},
      {0xC000020Au, RIOX_EADDRINUSE},    {0xC0000239u, RIOX_ENOTCONN},      {0xC000023Au, RIOX_ENOTCONN},
      {0xC0000237u, RIOX_EOF},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_ntstatus, "error_from_ntstatus");
}

/* Issue 9, item 9: STATUS_HOPLIMIT_EXCEEDED (an ICMP time-exceeded answer to
 * a datagram) is a UDP ICMP report like STATUS_PORT_UNREACHABLE, as libuv
 * maps it (WSAECONNRESET, which its UDP receive ignores): RIOX_ECONNRESET,
 * so the "UDP and ICMP" policy swallows or reports it like the others. It
 * used to be unknown (RIOX_EIO, a hard error the policy never sees). */
Test(error_ntstatus, hoplimit_exceeded_is_a_udp_icmp_report) {
  int got = error_from_ntstatus(0xC000A012u);
  cr_assert_eq(got, RIOX_ECONNRESET,
               "STATUS_HOPLIMIT_EXCEEDED -> %d (%s), expected RIOX_ECONNRESET like "
               "STATUS_PORT_UNREACHABLE (%d)",
               got, riox_err_name(got), error_from_ntstatus(0xC000023Fu));
}

Test(error_ntstatus, unknown_warnings_and_errors_are_eio) {
  static const map_row rows[] = {
      {0x80000001u, RIOX_EIO}, {0x80000006u, RIOX_EIO}, {0xC0000001u, RIOX_EIO},
      {0xC0000034u, RIOX_EIO}, {0xDEADBEEFu, RIOX_EIO}, {UINT32_MAX, RIOX_EIO},
  };
  check_map(rows, sizeof rows / sizeof rows[0], error_from_ntstatus, "error_from_ntstatus");
}

/* -------------------------------------------------------------- detail */

Test(detail, starts_empty) {
  cr_assert_str_eq(riox_last_detail(), "", "initial detail is \"%s\"", riox_last_detail());
}

Test(detail, returns_err_and_records_formatted_text) {
  int rc = error_detail(RIOX_EMSGSIZE, "len %u > %u (%s)", 70000u, 65507u, "udp");
  cr_assert_eq(rc, RIOX_EMSGSIZE, "error_detail returned %d, expected %d", rc, RIOX_EMSGSIZE);
  cr_assert_str_eq(riox_last_detail(), "len 70000 > 65507 (udp)", "detail is \"%s\"", riox_last_detail());
}

Test(detail, later_failure_replaces_earlier_detail) {
  error_detail(RIOX_EINVAL, "first");
  error_detail(RIOX_EIO, "second");
  cr_assert_str_eq(riox_last_detail(), "second", "detail is \"%s\"", riox_last_detail());
}

Test(detail, clear_empties_it) {
  error_detail(RIOX_EINVAL, "something");
  error_clear_detail();
  cr_assert_str_eq(riox_last_detail(), "", "detail after clear is \"%s\"", riox_last_detail());
}

Test(detail, long_text_is_truncated_not_overflowed) {
  char big[1000];
  size_t len;
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  error_detail(RIOX_EINVAL, "%s", big);
  len = strlen(riox_last_detail());
  cr_assert(len >= 200 && len < 256, "detail length %lu, expected 200..255", (unsigned long)len);
  cr_assert_eq(riox_last_detail()[0], 'x', "detail starts with '%c'", riox_last_detail()[0]);
}

Test(detail, may_quote_the_previous_detail) {
  error_detail(RIOX_EIO, "WSARecv failed: %d", 10054);
  error_detail(RIOX_ECONNRESET, "recv: %s", riox_last_detail());
  cr_assert_str_eq(riox_last_detail(), "recv: WSARecv failed: 10054", "detail is \"%s\"", riox_last_detail());
}

typedef struct thread_seen {
  char before[64];
  char after[64];
} thread_seen;

static void *detail_thread(void *arg) {
  thread_seen *seen = (thread_seen *)arg;
  snprintf(seen->before, sizeof seen->before, "%s", riox_last_detail());
  error_detail(RIOX_EINVAL, "from the thread");
  snprintf(seen->after, sizeof seen->after, "%s", riox_last_detail());
  return NULL;
}

Test(detail, is_per_thread) {
  pthread_t t;
  thread_seen seen;
  memset(&seen, 0, sizeof seen);
  error_detail(RIOX_EIO, "from main");
  cr_assert_eq(pthread_create(&t, NULL, detail_thread, &seen), 0, "pthread_create failed");
  cr_assert_eq(pthread_join(t, NULL), 0, "pthread_join failed");
  cr_expect_str_eq(seen.before, "", "a new thread saw \"%s\", expected \"\"", seen.before);
  cr_expect_str_eq(seen.after, "from the thread", "the thread saw \"%s\" after setting its own", seen.after);
  cr_expect_str_eq(riox_last_detail(), "from main", "main sees \"%s\" after the thread ran", riox_last_detail());
}

/* ---------------------------------------------------------------- errno */
#include <errno.h>

Test(error_errno, zero_is_success_unknown_is_eio) {
  cr_assert_eq(error_from_errno(0), 0);
  cr_assert_eq(error_from_errno(4095), RIOX_EIO);
}

Test(error_errno, socket_errors_land_on_the_names_windows_uses) {
  static const struct {
    int e, riox;
  } map[] = {
      {EAGAIN, RIOX_EAGAIN},          {EWOULDBLOCK, RIOX_EAGAIN},
      {EINPROGRESS, RIOX_EAGAIN},     {EINVAL, RIOX_EINVAL},
      {EBADF, RIOX_EINVAL},           {ENOMEM, RIOX_ENOMEM},
      {ENOBUFS, RIOX_ENOBUFS},        {EMFILE, RIOX_ENOBUFS},
      {EADDRINUSE, RIOX_EADDRINUSE},  {EADDRNOTAVAIL, RIOX_EADDRNOTAVAIL},
      {EAFNOSUPPORT, RIOX_EAFNOSUPPORT}, {ECONNREFUSED, RIOX_ECONNREFUSED},
      {ECONNRESET, RIOX_ECONNRESET},  {EPIPE, RIOX_ECONNRESET},
      {ECONNABORTED, RIOX_ECONNABORTED}, {ETIMEDOUT, RIOX_ETIMEDOUT},
      {ENETUNREACH, RIOX_ENETUNREACH}, {EHOSTUNREACH, RIOX_EHOSTUNREACH},
      {ENOTCONN, RIOX_ENOTCONN},      {EISCONN, RIOX_EISCONN},
      {EMSGSIZE, RIOX_EMSGSIZE},      {ECANCELED, RIOX_ECANCELED},
      {EOPNOTSUPP, RIOX_ENOTSUP},     {ENOSYS, RIOX_ENOTSUP},
      {EACCES, RIOX_EACCES},          {EPERM, RIOX_EACCES},
      {EALREADY, RIOX_EALREADY},      {ENOENT, RIOX_ENOENT},
  };
  size_t i;
  for (i = 0; i < sizeof map / sizeof map[0]; i++)
    cr_expect_eq(error_from_errno(map[i].e), map[i].riox, "errno %d -> %d, expected %d", map[i].e,
                 error_from_errno(map[i].e), map[i].riox);
}
