/* The test seam of ws.h: which socket-call table is installed. */
#include "ws.h"

#include "riox_test.h"

#ifdef RIOX_TEST_HOOKS
const ws_api_t *ws_hook;

void riox_test_set_sockapi(const void *api) { ws_hook = (const ws_api_t *)api; }
#else
/* ISO C forbids an empty translation unit. */
typedef int ws__release_build;
#endif
