// Full scan of a Redis stream with XRANGE pages, on Debian's hiredis
// (package libhiredis-dev): a native client, so that the client is not what
// limits the figure. Built by run_peers.sh with
//   cc -O2 -o redis_scan redis_scan.c -lhiredis
//
//   redis_scan PORT STREAM PAGE
//
// Reads STREAM from its first entry to its last, PAGE entries per XRANGE,
// each page starting after the last id of the one before. Prints
// "entries seconds" on stdout; exit 1 on an error.
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: redis_scan PORT STREAM PAGE\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  const char *stream = argv[2], *page = argv[3];
  redisContext *c = redisConnect("127.0.0.1", port);
  if (c == NULL || c->err) {
    fprintf(stderr, "redis_scan: connect: %s\n", c ? c->errstr : "out of memory");
    return 1;
  }
  char start[64] = "-";
  long entries = 0, bytes = 0;
  const double t0 = now();
  for (;;) {
    redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT %s", stream, start, page);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
      fprintf(stderr, "redis_scan: XRANGE: %s\n",
              r == NULL ? c->errstr : (r->type == REDIS_REPLY_ERROR ? r->str : "not an array"));
      return 1;
    }
    if (r->elements == 0) {
      freeReplyObject(r);
      break;
    }
    for (size_t i = 0; i < r->elements; ++i) {
      const redisReply *e = r->element[i];  // [id, [field, value, ...]]
      if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
          e->element[1]->type == REDIS_REPLY_ARRAY) {
        for (size_t f = 0; f < e->element[1]->elements; ++f) bytes += (long)e->element[1]->element[f]->len;
      }
    }
    entries += (long)r->elements;
    const redisReply *last = r->element[r->elements - 1]->element[0];
    snprintf(start, sizeof start, "(%.*s", (int)last->len, last->str);
    freeReplyObject(r);
  }
  const double t1 = now();
  fprintf(stderr, "redis_scan: %ld entries, %ld field+value bytes\n", entries, bytes);
  printf("%ld %.4f\n", entries, t1 - t0);
  redisFree(c);
  return 0;
}
