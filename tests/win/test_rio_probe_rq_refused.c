/* Regression (issue 8, defect 2): `auto` used to pick RIO because the
 * function table loaded. Some machines (security software, layered
 * providers) hand the table out and then refuse every request queue. The
 * probe now creates a flagged UDP socket, a CQ and an RQ before it calls
 * RIO usable. With the emulator refusing queues (rio_emu_set_rq_refused):
 *  - riox_probe: rio 0, rio_table 1, rio_error the queue's error, and the
 *    detail names RIOCreateRequestQueue;
 *  - a loop with backend "auto" runs iocp; "rio" fails with RIOX_ENOTSUP
 *    and the same reason;
 *  - with the model off again, "auto" picks the emulated RIO. */
#include "rioconf.h"

static int test(void) {
#ifdef RIOX_WITH_RIO_EMU
  riox_probe_report rep;
  riox_loop_config cfg;
  riox_loop *loop;
  rio_emu_install(1);
  rio_emu_set_rq_refused(WSAEOPNOTSUPP);
  H_OK(riox_probe(&rep));
  H_EQ(rep.rio, 0);
  H_EQ(rep.rio_table, 1);
  H_EQ(rep.rio_error, WSAEOPNOTSUPP);
  H_CHECK(strstr(rep.detail, "RIOCreateRequestQueue") != NULL);
  riox_loop_config_init(&cfg);
  H_OK(riox_loop_create(&cfg, &loop));
  H_CHECK(strcmp(riox_loop_backend(loop), "iocp") == 0);
  riox_loop_close(loop);
  cfg.backend = "rio";
  H_ERR(riox_loop_create(&cfg, &loop), RIOX_ENOTSUP);
  H_CHECK(strstr(riox_last_detail(), "RIOCreateRequestQueue") != NULL);
  rio_emu_set_rq_refused(0);
  cfg.backend = "auto";
  H_OK(riox_loop_create(&cfg, &loop));
  H_CHECK(strcmp(riox_loop_backend(loop), "rio-emulated") == 0);
  riox_loop_close(loop);
  H_OK(riox_probe(&rep));
  H_EQ(rep.rio, 1);
  rio_emu_install(0);
  return 0;
#else
  rt_skip_without_emulator();
  return 0;
#endif
}

int main(void) { return h_run_once("rio_probe_rq_refused", test); }
