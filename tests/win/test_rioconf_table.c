/* RIO conformance: discovery. The table WSAIoctl(SIO_GET_MULTIPLE_EXTENSION_
 * FUNCTION_POINTER, WSAID_MULTIPLE_RIO) fills (or the emulator's stand-in)
 * has cbSize = sizeof(RIO_EXTENSION_FUNCTION_TABLE) and all thirteen
 * functions, in the documented order. */
#include "rioconf.h"

static int test(void) {
  const void *const *fn;
  int i;
  rc_init();
  H_EQ(rc_rio.cbSize, sizeof(RIO_EXTENSION_FUNCTION_TABLE));
  H_EQ(sizeof(RIO_EXTENSION_FUNCTION_TABLE), 8 + 13 * sizeof(void *));
  fn = (const void *const *)((const char *)&rc_rio + 8);
  for (i = 0; i < 13; i++) {
    if (fn[i] == NULL) {
      H_FAIL("function %d of the table is NULL", i);
      return 1;
    }
  }
  /* Spot-check the order: the members are where the layout says. */
  H_CHECK((const void *)rc_rio.RIOReceive == fn[0]);
  H_CHECK((const void *)rc_rio.RIOResizeRequestQueue == fn[12]);
  return 0;
}

int main(void) { return h_run_once("rioconf_table", test); }
