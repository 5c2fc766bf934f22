/* Backend choice for riox-perf: the names of --backend map onto
 * riox_loop_config.backend; rio-emulated is "rio" with the test emulator
 * standing in for the OS's RIO (only where the OS has none, so on real
 * Windows it is real RIO and the result says "rio"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf.h"

#ifdef RIOX_WITH_RIO_EMU
#include "rio_emu.h"
#include "riox_test.h"
#endif

int perf_backend_prepare(const perf_opts *o, char *err, size_t errlen) {
  const char *env = getenv("RIOX_RIO_EMULATION");
  int want = o->backend == PERF_BACKEND_RIO_EMULATED || (env != NULL && strcmp(env, "1") == 0);
  if (!want) return PERF_EXIT_OK;
#ifdef RIOX_WITH_RIO_EMU
  (void)err;
  (void)errlen;
  rio_emu_install(1);
  return PERF_EXIT_OK;
#else
  if (o->backend != PERF_BACKEND_RIO_EMULATED) return PERF_EXIT_OK; /* env alone: ignore */
  snprintf(err, errlen,
           "backend rio-emulated is not available in this build: it was configured without the "
           "RIO emulator (tests/rio_emu; configure with -DRIOX_RIO_EMU=ON)");
  return PERF_EXIT_NO_BACKEND;
#endif
}

int perf_offload_on(const perf_opts *o) {
  riox_probe_report r;
  if (o->offload != PERF_OFFLOAD_DEFAULT) return o->offload == PERF_OFFLOAD_ON;
  /* "on where available": where the OS segments; elsewhere riox would only
   * split in software what one send per datagram does as well. */
  return riox_probe(&r) == 0 && (r.udp_gso || r.uso);
}

int perf_loop_open(const perf_opts *o, uint32_t buf_size, uint32_t buf_count, riox_loop **out,
                   char *err, size_t errlen) {
  static const char *const cfg_names[] = {"auto", "iocp", "rio", "rio", "uring", "epoll"};
  riox_loop_config cfg;
  int rc;
  riox_loop_config_init(&cfg);
  cfg.backend = cfg_names[o->backend];
  cfg.buf_size = buf_size;
  cfg.buf_count = buf_count;
  /* Every buffer may be in flight at once, plus accepts and connects. */
  cfg.max_requests = buf_count + 2u * PERF_CONNS_MAX + 64u;
  cfg.accept_depth = 16;
  cfg.rio_notify = o->rio_notify;
  cfg.cpu = o->loop_cpu; /* --threads: "A loop per core" */
  rc = riox_loop_create(&cfg, out);
  if (rc == RIOX_ENOTSUP) {
    snprintf(err, errlen, "backend %s is not available here: %s", perf_backend_name(o->backend),
             riox_last_detail());
    return PERF_EXIT_NO_BACKEND;
  }
  if (rc < 0) {
    snprintf(err, errlen, "cannot create the loop (%u buffers of %u bytes): %s (%s)", buf_count,
             buf_size, riox_strerror(rc), riox_last_detail());
    return PERF_EXIT_FAIL;
  }
  return PERF_EXIT_OK;
}

const char *perf_loop_notify_name(const perf_opts *o, riox_loop *loop) {
  return strncmp(riox_loop_backend(loop), "rio", 3) == 0 ? perf_notify_name(o->rio_notify) : NULL;
}
