// The services' jemalloc settings, compiled into each binary that
// allocates with jemalloc (detente_use_jemalloc in cmake/DetenteHelpers.cmake;
// docs/operations.md, "Memory"). jemalloc reads this string as it starts;
// MALLOC_CONF, read after it, overrides any of its settings.
//
// oversize_threshold:0. jemalloc 5.3 serves allocations of 8 MiB and more
// from an arena of their own that hands freed pages back to the system at
// once. A catch-up's batches are such allocations (a vector of up to
// 50,000 decoded entries, ~20 MiB): each batch faulted its pages in again,
// ~30,000 page faults a second, and the query service spent a third more
// CPU on a catch-up (docs/benchmarks.md, round 30). In the common arenas
// freed pages are reused, and handed back after dirty_decay_ms (10 s).
extern "C" {
// Read by jemalloc (its symbol, looked up at startup).
extern const char* malloc_conf;
const char* malloc_conf = "oversize_threshold:0";
}
