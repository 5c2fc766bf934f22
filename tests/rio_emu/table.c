/* The emulated RIO_EXTENSION_FUNCTION_TABLE, laid out as WSAIoctl fills it. */
#include "rio_emu_int.h"

static const RIO_EXTENSION_FUNCTION_TABLE table__rio = {
    sizeof(RIO_EXTENSION_FUNCTION_TABLE),
    rio_emu_receive,
    rio_emu_receive_ex,
    rio_emu_send,
    rio_emu_send_ex,
    rio_emu_close_cq,
    rio_emu_create_cq,
    rio_emu_create_rq,
    rio_emu_dequeue,
    rio_emu_deregister_buffer,
    rio_emu_notify,
    rio_emu_register_buffer,
    rio_emu_resize_cq,
    rio_emu_resize_rq,
};

const void *rio_emu_table(void) {
  rio_emu_init();
  return &table__rio;
}

unsigned long rio_emu_outstanding(void) {
  LONG n;
  rio_emu_init();
  rio_emu_lock();
  n = rio_emu_charged;
  rio_emu_unlock();
  return (unsigned long)n;
}
