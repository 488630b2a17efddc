// NATS JetStream client for run_peers.sh, on Debian's libnats (the NATS C
// client, package libnats-dev): a native client, so that the client is not
// what limits the figures. Built by run_peers.sh with
//   cc -O2 -o nats_bench nats_bench.c -lnats
//
//   nats_bench URL EVENTS_FILE create          stream EVENTS: events.>, file, R1
//   nats_bench URL EVENTS_FILE async N WINDOW  js_PublishAsync, WINDOW acks outstanding
//   nats_bench URL EVENTS_FILE sync N          js_Publish waiting for each ack
//   nats_bench URL EVENTS_FILE replay N        ordered consumer from the first message
//
// Prints "events seconds" on stdout (the timed part only); errors on stderr,
// exit 1 on any error.
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char **events;
static int *lengths;
static long n_events;
static jsCtx *js;
static long errors;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, natsStatus s, jsErrCode je) {
  fprintf(stderr, "nats_bench: %s: %s (jetstream error %d)\n", what,
          natsStatus_GetText(s), (int)je);
  nats_PrintLastErrorStack(stderr);
  exit(1);
}

static void load_events(const char *path, long limit) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    exit(1);
  }
  events = malloc(sizeof(char *) * (size_t)limit);
  lengths = malloc(sizeof(int) * (size_t)limit);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  while (n_events < limit && (len = getline(&line, &cap, f)) > 0) {
    if (line[len - 1] == '\n') --len;
    events[n_events] = malloc((size_t)len);
    memcpy(events[n_events], line, (size_t)len);
    lengths[n_events++] = (int)len;
  }
  free(line);
  fclose(f);
  if (n_events == 0) {
    fprintf(stderr, "nats_bench: no events in %s\n", path);
    exit(1);
  }
}

static void on_pub_error(jsCtx *ctx, jsPubAckErr *pae, void *closure) {
  (void)ctx;
  (void)closure;
  if (errors++ == 0) {
    fprintf(stderr, "nats_bench: async publish error: %s (%d) %s\n",
            natsStatus_GetText(pae->Err), (int)pae->ErrCode,
            pae->ErrText ? pae->ErrText : "");
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: nats_bench URL EVENTS_FILE create|async N WINDOW|sync N|replay N\n");
    return 2;
  }
  const char *url = argv[1], *path = argv[2], *mode = argv[3];
  const long n = argc > 4 ? atol(argv[4]) : 0;
  const long arg = argc > 5 ? atol(argv[5]) : 0;

  natsConnection *nc = NULL;
  natsOptions *opts = NULL;
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetURL(opts, url);
  // Room for a full replay in the client's queue (flow control bounds it anyway).
  if (s == NATS_OK) s = natsOptions_SetMaxPendingMsgs(opts, 1 << 20);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  if (s != NATS_OK) die("connect", s, 0);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 30000;
  if (strcmp(mode, "async") == 0) {
    jo.PublishAsync.MaxPending = arg > 0 ? arg : 1000;
    jo.PublishAsync.ErrHandler = on_pub_error;
    jo.PublishAsync.StallWait = 30000;  // a loaded machine must not fail a publish
  }
  s = natsConnection_JetStream(&js, nc, &jo);
  if (s != NATS_OK) die("jetstream context", s, 0);

  double t0 = 0, t1 = 0;
  long done = 0;
  jsErrCode je = 0;
  if (strcmp(mode, "create") == 0) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[] = {"events.>"};
    cfg.Name = "EVENTS";
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = 1;
    jsStreamInfo *si = NULL;
    s = js_AddStream(&si, js, &cfg, NULL, &je);
    if (s != NATS_OK) die("create stream", s, je);
    jsStreamInfo_Destroy(si);
  } else if (strcmp(mode, "async") == 0) {
    load_events(path, n);
    t0 = now();
    for (long i = 0; i < n; ++i) {
      const long k = i % n_events;
      s = js_PublishAsync(js, "events.x", events[k], lengths[k], NULL);
      if (s != NATS_OK) die("async publish", s, 0);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 120000;
    s = js_PublishAsyncComplete(js, &po);
    if (s != NATS_OK) die("waiting for the acks", s, 0);
    t1 = now();
    done = n - errors;
  } else if (strcmp(mode, "sync") == 0) {
    load_events(path, n);
    t0 = now();
    for (long i = 0; i < n; ++i) {
      jsPubAck *pa = NULL;
      const long k = i % n_events;
      s = js_Publish(&pa, js, "events.x", events[k], lengths[k], NULL, &je);
      if (s != NATS_OK) die("publish", s, je);
      jsPubAck_Destroy(pa);
    }
    t1 = now();
    done = n - errors;
  } else if (strcmp(mode, "replay") == 0) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Ordered = true;  // push, no acks, flow control, heartbeats; from the first message
    natsSubscription *sub = NULL;
    t0 = now();
    s = js_SubscribeSync(&sub, js, "events.>", NULL, &so, &je);
    if (s != NATS_OK) die("ordered consumer", s, je);
    natsSubscription_SetPendingLimits(sub, -1, -1);
    long bytes = 0;
    while (done < n) {
      natsMsg *m = NULL;
      s = natsSubscription_NextMsg(&m, sub, 30000);
      if (s != NATS_OK) {
        fprintf(stderr, "nats_bench: replay stopped after %ld of %ld: %s\n", done, n,
                natsStatus_GetText(s));
        errors++;
        break;
      }
      bytes += natsMsg_GetDataLength(m);
      natsMsg_Destroy(m);
      ++done;
    }
    t1 = now();
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    fprintf(stderr, "nats_bench: replayed %ld events, %ld payload bytes\n", done, bytes);
  } else {
    fprintf(stderr, "nats_bench: unknown mode %s\n", mode);
    return 2;
  }
  if (t1 > t0) printf("%ld %.4f\n", done, t1 - t0);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  nats_Close();
  if (errors) fprintf(stderr, "nats_bench: %s: %ld errors\n", mode, errors);
  return errors ? 1 : 0;
}
