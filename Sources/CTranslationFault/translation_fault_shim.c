// See include/translation_fault_shim.h for what this is and where its boundary lies.
#define _GNU_SOURCE
#include "translation_fault_shim.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

// Open addressing; a key is the instruction's code offset + 1 (0 = empty).
struct table {
    uint32_t capacity;  // a power of two
    uint32_t count;
    uint32_t entries[];  // key, value pairs
};

struct vsim_fault_map {
    uintptr_t code;
    size_t size;
    _Atomic(struct table *) table;
    _Atomic uint64_t redirects;
};

enum { max_maps = 64 };
static _Atomic(vsim_fault_map *) maps[max_maps];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int installed;  // maps registered (under lock)
static struct sigaction previous_segv, previous_bus;

static uint32_t slot_of(uint32_t key, uint32_t capacity) { return (key * 2654435761u) & (capacity - 1); }

static struct table *table_new(uint32_t capacity) {
    struct table *t = calloc(1, sizeof(struct table) + (size_t)capacity * 2 * sizeof(uint32_t));
    if (t) t->capacity = capacity;
    return t;
}

static void table_put(struct table *t, uint32_t key, uint32_t value) {
    uint32_t i = slot_of(key, t->capacity);
    for (;;) {
        uint32_t k = t->entries[2 * i];
        if (k == 0 || k == key) {
            if (k == 0) t->count++;
            t->entries[2 * i + 1] = value;
            // The value first, then the key: a handler that sees the key sees its value.
            atomic_store_explicit((_Atomic uint32_t *)&t->entries[2 * i], key, memory_order_release);
            return;
        }
        i = (i + 1) & (t->capacity - 1);
    }
}

static int table_get(const struct table *t, uint32_t key, uint32_t *value) {
    uint32_t i = slot_of(key, t->capacity);
    for (uint32_t n = 0; n < t->capacity; n++) {
        uint32_t k = atomic_load_explicit((_Atomic uint32_t *)&t->entries[2 * i], memory_order_acquire);
        if (k == 0) return 0;
        if (k == key) { *value = t->entries[2 * i + 1]; return 1; }
        i = (i + 1) & (t->capacity - 1);
    }
    return 0;
}

// The previous action for `sig`: its handler is called as the kernel would have, or, for the
// default action, restored so that the fault (re-executed on return) or a raise ends vsim.
static void chain(int sig, siginfo_t *info, void *context) {
    struct sigaction *old = sig == SIGSEGV ? &previous_segv : &previous_bus;
    if (old->sa_flags & SA_SIGINFO) {
        if (old->sa_sigaction) { old->sa_sigaction(sig, info, context); return; }
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
        return;
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    if (info == NULL || info->si_code <= 0) raise(sig);  // sent, not a fault: it would not recur
}

static void handler(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (info != NULL && info->si_code > 0) {
        for (int n = 0; n < max_maps; n++) {
            vsim_fault_map *m = atomic_load_explicit(&maps[n], memory_order_acquire);
            if (m == NULL || rip - m->code >= m->size) continue;
            struct table *t = atomic_load_explicit(&m->table, memory_order_acquire);
            uint32_t resume;
            if (t != NULL && table_get(t, (uint32_t)(rip - m->code) + 1, &resume)) {
                atomic_fetch_add_explicit(&m->redirects, 1, memory_order_relaxed);
                uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(m->code + resume);
                return;
            }
        }
    }
    chain(sig, info, context);
}

void vsim_fault_prepare_thread(void) {
    static __thread int checked;
    stack_t current;
    if (checked) return;
    checked = 1;
    if (sigaltstack(NULL, &current) != 0) return;
    if (!(current.ss_flags & SS_DISABLE)) return;  // the thread has one (Swift's backtracer's, say)
    size_t size = 64 * 1024;
    void *p = malloc(size);
    if (p == NULL) return;
    stack_t s = { .ss_sp = p, .ss_flags = 0, .ss_size = size };
    if (sigaltstack(&s, NULL) != 0) free(p);
}

vsim_fault_map *vsim_fault_map_create(void *code, size_t size) {
    vsim_fault_map *m = calloc(1, sizeof *m);
    struct table *t = table_new(1024);
    if (m == NULL || t == NULL) { free(m); free(t); errno = ENOMEM; return NULL; }
    m->code = (uintptr_t)code;
    m->size = size;
    atomic_store(&m->table, t);
    pthread_mutex_lock(&lock);
    int slot = -1;
    for (int n = 0; n < max_maps && slot < 0; n++) if (atomic_load(&maps[n]) == NULL) slot = n;
    if (slot < 0) {
        pthread_mutex_unlock(&lock);
        free(t); free(m);
        errno = EMFILE;
        return NULL;
    }
    if (installed == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, &previous_segv);
        sigaction(SIGBUS, &sa, &previous_bus);
    }
    installed++;
    atomic_store_explicit(&maps[slot], m, memory_order_release);
    pthread_mutex_unlock(&lock);
    vsim_fault_prepare_thread();
    return m;
}

void vsim_fault_map_destroy(vsim_fault_map *map) {
    if (map == NULL) return;
    pthread_mutex_lock(&lock);
    for (int n = 0; n < max_maps; n++) {
        if (atomic_load(&maps[n]) == map) atomic_store(&maps[n], NULL);
    }
    if (--installed == 0) {
        sigaction(SIGSEGV, &previous_segv, NULL);
        sigaction(SIGBUS, &previous_bus, NULL);
    }
    pthread_mutex_unlock(&lock);
    free(atomic_load(&map->table));
    free(map);
}

int vsim_fault_map_add(vsim_fault_map *map, uint32_t at, uint32_t resume) {
    struct table *t = atomic_load(&map->table);
    if ((t->count + 1) * 2 > t->capacity) {
        struct table *bigger = table_new(t->capacity * 2);
        if (bigger == NULL) return -1;
        for (uint32_t i = 0; i < t->capacity; i++) {
            if (t->entries[2 * i] != 0) table_put(bigger, t->entries[2 * i], t->entries[2 * i + 1]);
        }
        atomic_store_explicit(&map->table, bigger, memory_order_release);
        free(t);  // no fault of this buffer's code is being handled: its code is not running
        t = bigger;
    }
    table_put(t, at + 1, resume);
    return 0;
}

void vsim_fault_map_clear(vsim_fault_map *map) {
    struct table *t = atomic_load(&map->table);
    memset(t->entries, 0, (size_t)t->capacity * 2 * sizeof(uint32_t));
    t->count = 0;
}

uint64_t vsim_fault_map_redirects(const vsim_fault_map *map) {
    return atomic_load_explicit(&((vsim_fault_map *)map)->redirects, memory_order_relaxed);
}
