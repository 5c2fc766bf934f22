/* riox-perf output: the human table and the JSON object (field meanings in
 * docs/perf.md). JSON numbers are never NaN or infinite: such a value is
 * written as null. */
#include "report.h"

static int report__finite(double x) { return x == x && x - x == 0.0; }

static void report__num(FILE *f, const char *key, double x, const char *fmt, int comma) {
  fprintf(f, "\"%s\":", key);
  if (report__finite(x)) fprintf(f, fmt, x);
  else fputs("null", f);
  if (comma) fputc(',', f);
}

static void report__str(FILE *f, const char *key, const char *s) {
  const char *p;
  fprintf(f, "\"%s\":", key);
  if (s == NULL) {
    fputs("null,", f);
    return;
  }
  fputc('"', f);
  for (p = s; *p != '\0'; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputs("\",", f);
}

static void report__u64(FILE *f, const char *key, uint64_t v) {
  fprintf(f, "\"%s\":%llu,", key, (unsigned long long)v);
}

/* "<key>", "<key>_client" and "<key>_server" (null when the server ran
 * in another process). */
static void report__split(FILE *f, const char *key, double total, double client, double server) {
  char k[64];
  report__num(f, key, total, "%.4f", 1);
  snprintf(k, sizeof k, "%s_client", key);
  report__num(f, k, client, "%.4f", 1);
  snprintf(k, sizeof k, "%s_server", key);
  if (server >= 0.0) report__num(f, k, server, "%.4f", 1);
  else fprintf(f, "\"%s\":null,", k);
}

void perf_report_json(FILE *f, const perf_result_t *r) {
  static const char *const lat_keys[PERF_LAT_COUNT] = {"p50", "p90", "p99", "p999", "max"};
  int i;
  fputc('{', f);
  report__str(f, "tool", "riox-perf");
  report__str(f, "backend", r->backend);
  report__str(f, "backend_requested", r->backend_requested);
  report__str(f, "mode", r->mode);
  report__str(f, "role", r->role);
  report__str(f, "rio_notify", r->rio_notify);
  fprintf(f, "\"under_wine\":%s,", r->under_wine ? "true" : "false");
  report__u64(f, "size", r->size);
  report__u64(f, "conns", r->conns);
  report__u64(f, "depth", r->depth);
  report__u64(f, "threads", r->threads > 0 ? r->threads : 1u);
  fprintf(f, "\"offload\":%s,", r->offload ? "true" : "false");
  report__num(f, "rate", r->rate, "%.0f", 1);
  report__num(f, "duration_s", r->duration_s, "%.3f", 1);
  report__num(f, "warmup_s", r->warmup_s, "%.3f", 1);
  report__num(f, "elapsed_s", r->elapsed_s, "%.6f", 1);
  report__u64(f, "ops", r->ops);
  report__num(f, "ops_per_sec", r->ops_per_sec, "%.1f", 1);
  report__num(f, "bits_per_sec", r->bits_per_sec, "%.0f", 1);
  report__str(f, "latency_kind", r->latency_kind);
  fputs("\"latency_us\":{", f);
  for (i = 0; i < PERF_LAT_COUNT; i++) report__num(f, lat_keys[i], r->latency_us[i], "%.3f", 1);
  report__num(f, "mean", r->latency_mean_us, "%.3f", 1);
  report__u64(f, "samples", r->latency_samples);
  report__num(f, "rel_error", r->latency_rel_error, "%.6f", 0);
  fputs("},", f);
  report__num(f, "os_calls_per_op", r->os_calls_per_op, "%.4f", 1);
  report__num(f, "os_calls_per_op_client", r->os_calls_per_op_client, "%.4f", 1);
  if (r->os_calls_per_op_server >= 0.0)
    report__num(f, "os_calls_per_op_server", r->os_calls_per_op_server, "%.4f", 1);
  else
    fputs("\"os_calls_per_op_server\":null,", f);
  report__split(f, "kernel_calls_per_op", r->kernel_calls_per_op, r->kernel_calls_per_op_client,
                r->kernel_calls_per_op_server);
  report__split(f, "ring_ops_per_op", r->ring_ops_per_op, r->ring_ops_per_op_client,
                r->ring_ops_per_op_server);
  report__num(f, "cpu_us_per_op", r->cpu_us_per_op, "%.4f", 1);
  report__num(f, "cpu_user_s", r->cpu_user_s, "%.6f", 1);
  report__num(f, "cpu_kernel_s", r->cpu_kernel_s, "%.6f", 1);
  report__u64(f, "sent", r->sent);
  report__u64(f, "errors", r->errors);
  fprintf(f, "\"drops\":%llu}\n", (unsigned long long)r->drops);
}

/* 1234567 -> "1.23 M", with the unit appended. */
static const char *report__si(char *buf, size_t size, double x, const char *unit) {
  static const char *const prefix[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (x >= 1000.0 && i < 4) {
    x /= 1000.0;
    i++;
  }
  snprintf(buf, size, "%.3g %s%s", x, prefix[i], unit);
  return buf;
}

static void report__split_row(FILE *f, const char *name, double total, double client, double server) {
  if (server >= 0.0)
    fprintf(f, "  %-22s %.3f (client %.3f + server %.3f)\n", name, total, client, server);
  else
    fprintf(f, "  %-22s %.3f (client)\n", name, total);
}

void perf_report_table(FILE *f, const perf_result_t *r) {
  char a[32], b[32];
  int tcp = r->mode != NULL && r->mode[0] == 't';
  fprintf(f, "riox-perf %s on %s%s%s%s\n", r->mode, r->backend, r->rio_notify ? " (notify " : "",
          r->rio_notify ? r->rio_notify : "", r->rio_notify ? ")" : "");
  fprintf(f, "  role %s, %u %s, depth %u, %u-byte payloads, %s, %.1f s measured after %.1f s warm-up%s\n",
          r->role, r->conns * (r->threads > 1 ? r->threads : 1u),
          tcp ? (r->conns == 1 ? "connection" : "connections") : (r->conns == 1 ? "socket" : "sockets"),
          r->depth, r->size,
          r->rate > 0 ? report__si(a, sizeof a, r->rate, "ops/s fixed rate") : "unlimited rate",
          r->elapsed_s, r->warmup_s, r->under_wine ? " (under Wine: numbers measure Wine)" : "");
  if (r->threads > 1) fprintf(f, "  %-22s %u (each with its own loop)\n", "threads", r->threads);
  fprintf(f, "  %-22s %llu\n", "operations", (unsigned long long)r->ops);
  fprintf(f, "  %-22s %s\n", "operations/s", report__si(a, sizeof a, r->ops_per_sec, "ops/s"));
  fprintf(f, "  %-22s %s\n", "throughput (payload)", report__si(b, sizeof b, r->bits_per_sec, "bit/s"));
  fprintf(f, "  %-22s p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
          r->latency_kind != NULL && r->latency_kind[0] == 'r' ? "round trip (us)" : "send completion (us)",
          r->latency_us[PERF_LAT_P50], r->latency_us[PERF_LAT_P90], r->latency_us[PERF_LAT_P99],
          r->latency_us[PERF_LAT_P999], r->latency_us[PERF_LAT_MAX]);
  fprintf(f, "  %-22s %llu samples, mean %.1f us, each percentile within %.2f%%\n", "",
          (unsigned long long)r->latency_samples, r->latency_mean_us, r->latency_rel_error * 100.0);
  if (r->os_calls_per_op_server >= 0.0)
    fprintf(f, "  %-22s %.3f (client %.3f + server %.3f)\n", "OS calls per op", r->os_calls_per_op,
            r->os_calls_per_op_client, r->os_calls_per_op_server);
  else
    fprintf(f, "  %-22s %.3f (client)\n", "OS calls per op", r->os_calls_per_op);
  report__split_row(f, "  kernel calls", r->kernel_calls_per_op, r->kernel_calls_per_op_client,
                    r->kernel_calls_per_op_server);
  report__split_row(f, "  ring operations", r->ring_ops_per_op, r->ring_ops_per_op_client,
                    r->ring_ops_per_op_server);
  fprintf(f, "  %-22s %.2f (user %.3f s + kernel %.3f s, whole process)\n", "CPU us per op",
          r->cpu_us_per_op, r->cpu_user_s, r->cpu_kernel_s);
  fprintf(f, "  %-22s %llu / %llu\n", "errors / drops", (unsigned long long)r->errors,
          (unsigned long long)r->drops);
}
