/* list.h: list_take_all moves a whole queue, in order, and empties it. */
#include <criterion/criterion.h>

#include "list.h"

typedef struct item {
  int v;
  list_node_t node;
} item_t;

Test(list_take_all, moves_every_node_in_order_and_empties_the_source) {
  item_t it[4], later = {99, {NULL, NULL}};
  list_node_t src, dst, *n;
  int i, k = 0;
  list_init(&src);
  for (i = 0; i < 4; i++) {
    it[i].v = i;
    list_insert_tail(&src, &it[i].node);
  }
  list_take_all(&dst, &src);
  cr_assert(list_empty(&src));
  /* What is queued on src afterwards stays there, apart from dst. */
  list_insert_tail(&src, &later.node);
  while ((n = list_pop_front(&dst)) != NULL) cr_expect_eq(container_of(n, item_t, node)->v, k++);
  cr_expect_eq(k, 4);
  cr_expect(list_empty(&dst));
  cr_expect_eq(container_of(list_pop_front(&src), item_t, node)->v, 99);
  cr_expect(list_empty(&src));
}

Test(list_take_all, an_empty_source_gives_an_empty_list) {
  list_node_t src, dst;
  list_init(&src);
  list_take_all(&dst, &src);
  cr_expect(list_empty(&dst));
  cr_expect(list_empty(&src));
  cr_expect_null(list_pop_front(&dst));
}
