/* Intrusive doubly linked list and container_of: one header for every queue
 * in riox, so no queue operation allocates. */
#ifndef RIOX_COMMON_LIST_H
#define RIOX_COMMON_LIST_H

#include <stddef.h>

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

typedef struct list_node {
  struct list_node *prev, *next;
} list_node_t;

/* A list head is a node that points to itself when empty. */
static inline void list_init(list_node_t *head) { head->prev = head->next = head; }
static inline int list_empty(const list_node_t *head) { return head->next == head; }
/* A detached node points to itself too, so list_linked() tells membership. */
static inline int list_linked(const list_node_t *node) { return node->next != node; }

static inline void list_insert_tail(list_node_t *head, list_node_t *node) {
  node->prev = head->prev;
  node->next = head;
  head->prev->next = node;
  head->prev = node;
}

static inline void list_remove(list_node_t *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  node->prev = node->next = node;
}

static inline list_node_t *list_pop_front(list_node_t *head) {
  list_node_t *node = head->next;
  if (node == head) return NULL;
  list_remove(node);
  return node;
}

/* Move every node of src, in order, to the empty list dst; src is left
 * empty. O(1): for taking a queue as it is now, so that what its entries
 * queue meanwhile waits for the next pass. */
static inline void list_take_all(list_node_t *dst, list_node_t *src) {
  list_init(dst);
  if (list_empty(src)) return;
  dst->next = src->next;
  dst->prev = src->prev;
  dst->next->prev = dst;
  dst->prev->next = dst;
  list_init(src);
}

#define list_for_each_safe(pos, tmp, head) \
  for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

#endif
