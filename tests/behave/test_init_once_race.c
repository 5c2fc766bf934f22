/* Process-wide lazy state is initialised once, however many threads reach
 * it first at the same time (issue 9, item 3; issue 11 on Linux).
 *
 * Values made on first use and then shared by every loop:
 *   Windows: the QueryPerformanceFrequency value behind every timeout
 *            (src/win/loop_os.c) and the ntdll entry points behind AFD
 *            polls (src/win/afd.c);
 *   Linux:   what this host's io_uring offers (src/uring/ring.c), found by
 *            the first loop that asks for uring or auto.
 * Each used to be, or could easily become, set by whichever threads found
 * it unset, concurrently: a data race, in which one thread can also see a
 * value half made. NTHREAD threads start at the same moment and each
 * creates a loop (this pass's backend, and one for "auto"), opens a
 * readiness socket, calls riox_wait and riox_watch, while the test hook
 * makes each initialisation take DELAY_MS; every initialisation must still
 * have run exactly once (riox_test_init_runs), and every thread must have
 * succeeded. */
#include "harness.h"
#include "riox_test.h"

#ifdef RIOX_HAVE_TEST_HOOKS

#define NTHREAD 8
#define DELAY_MS 100

typedef struct worker {
  h_event *go;
  riox_loop_config cfg;
  int create_rc, auto_rc, open_rc, wait_rc, watch_rc;
} worker_t;

static void worker_main(void *arg) {
  worker_t *w = (worker_t *)arg;
  riox_loop_config acfg = w->cfg;
  riox_loop *loop = NULL, *aloop = NULL;
  riox_sock *sock = NULL;
  riox_addr any = h_v4(0);
  riox_event ev;
  acfg.backend = "auto";
  (void)h_event_wait(w->go, -1);
  w->create_rc = riox_loop_create(&w->cfg, &loop);
  w->auto_rc = riox_loop_create(&acfg, &aloop);
  if (w->create_rc < 0) return;
  w->open_rc = riox_udp_open(loop, &any, NULL, RIOX_SOCK_READINESS, NULL, &sock);
  w->wait_rc = riox_wait(loop, &ev, 1, 0);
  if (w->open_rc == 0) w->watch_rc = riox_watch(sock, RIOX_READABLE, NULL);
  if (sock != NULL) (void)riox_close(sock);
  /* Its CLOSE is not waited for: riox_loop_close drains it. */
  riox_loop_close(loop);
  if (aloop != NULL) riox_loop_close(aloop);
}

/* The one-time initialisations the threads reach on this OS. */
static unsigned inits_here(void) {
  char v[8];
  if (h_windows()) return 2; /* QPC frequency, ntdll entry points */
  /* The io_uring check, unless the test switch hides io_uring (then "auto"
   * never asks). */
  return h_getenv("RIOX_URING_DISABLE", v, sizeof v) && strcmp(v, "1") == 0 ? 0 : 1;
}

static int body(void) {
  static int first_pass = 1;
  worker_t w[NTHREAD];
  h_thread *th[NTHREAD];
  h_event *go;
  unsigned runs0 = riox_test_init_runs(), inits = inits_here();
  int i, first = first_pass;
  first_pass = 0;
  if (inits == 0) return h_skip_pass("RIOX_URING_DISABLE=1: no one-time initialisation to race");
  if (first) H_EQ(runs0, 0); /* nothing used them before this test */
  go = h_event_new(0);
  H_CHECK(go != NULL);
  riox_test_set_init_delay_ms(DELAY_MS);
  for (i = 0; i < NTHREAD; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].go = go;
    h_config(&w[i].cfg);
    H_EQ(h_thread_start(&th[i], worker_main, &w[i]), 0);
  }
  h_event_set(go);
  for (i = 0; i < NTHREAD; i++) h_thread_join(th[i]);
  riox_test_set_init_delay_ms(0);
  h_event_free(go);
  for (i = 0; i < NTHREAD; i++) {
    H_OK(w[i].create_rc);
    H_OK(w[i].auto_rc);
    H_OK(w[i].open_rc);
    H_EQ(w[i].wait_rc, 0);
    H_OK(w[i].watch_rc);
  }
  printf("one-time initialisations run: %u (before this pass: %u; %u on this OS)\n",
         riox_test_init_runs(), runs0, inits);
  /* The first pass runs each once; later passes find them done. */
  H_EQ(riox_test_init_runs(), inits);
  return 0;
}

int main(void) { return h_run("test_init_once_race", body); }
#else
/* The seams this test drives exist only in test builds. */
int main(void) {
  printf("SKIP test_init_once_race: the library was built without RIOX_TEST_HOOKS\n");
  return H_SKIP;
}
#endif
