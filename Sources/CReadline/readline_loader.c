/* The readline functions Sources/REPL calls, each forwarding to libreadline.so.8, which the
 * first call loads (include/readline_loader.h says why vsim does not link it), and Readline's
 * variables through accessors. Each row is checked by the compiler against <readline/readline.h>
 * and <readline/history.h>; the value after the arguments is what a function returns when the
 * library cannot be loaded (readline: NULL, read as end of input; the history calls: an errno). */
#include "readline_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>

/* F(return type, name, parameters, arguments, value when not loaded); V(name, parameters,
 * arguments) for the functions that return nothing. */
#define READLINE_FUNCTIONS(F, V) \
    F(char *, readline, (const char *a), (a), NULL) \
    V(add_history, (const char *a), (a)) \
    F(int, append_history, (int a, const char *b), (a, b), ENOSYS) \
    F(int, write_history, (const char *a), (a), ENOSYS) \
    F(int, read_history, (const char *a), (a), ENOSYS) \
    F(int, history_truncate_file, (const char *a, int b), (a, b), ENOSYS) \
    F(char **, rl_completion_matches, (const char *a, rl_compentry_func_t *b), (a, b), NULL) \
    V(rl_replace_line, (const char *a, int b), (a, b)) \
    F(int, rl_crlf, (void), (), 0) \
    F(int, rl_on_new_line, (void), (), 0) \
    V(rl_redisplay, (void), ())

/* The variables: their names in the library and vsim's accessors. */
#define READLINE_VARIABLES(X) \
    X(rl_line_buffer) \
    X(rl_point) \
    X(rl_mark) \
    X(rl_attempted_completion_over) \
    X(rl_signal_event_hook) \
    X(rl_readline_name) \
    X(rl_attempted_completion_function)

#define POINTER(ret, name, params, args, fail) static __typeof__(name) *p_##name;
#define VPOINTER(name, params, args) static __typeof__(name) *p_##name;
READLINE_FUNCTIONS(POINTER, VPOINTER)
#define VARIABLE(name) static __typeof__(name) *v_##name;
READLINE_VARIABLES(VARIABLE)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *failure;
static char failure_text[512];

static void load(void) {
    void *library = dlopen("libreadline.so.8", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *why = dlerror();
        snprintf(failure_text, sizeof failure_text, "%s", why != NULL ? why : "libreadline.so.8 cannot be loaded");
        failure = failure_text;
        return;
    }
#define RESOLVE(target, name) \
    if ((target = (__typeof__(name) *)dlsym(library, #name)) == NULL) { \
        failure = "libreadline.so.8 lacks " #name " (vsim needs GNU Readline 8)"; \
        return; \
    }
#define RESOLVE_F(ret, name, params, args, fail) RESOLVE(p_##name, name)
#define RESOLVE_V(name, params, args) RESOLVE(p_##name, name)
#define RESOLVE_VARIABLE(name) RESOLVE(v_##name, name)
    READLINE_FUNCTIONS(RESOLVE_F, RESOLVE_V)
    READLINE_VARIABLES(RESOLVE_VARIABLE)
}

int vsim_readline_load(void) {
    pthread_once(&once, load);
    return failure == NULL ? 0 : -1;
}

const char *vsim_readline_error(void) {
    vsim_readline_load();
    return failure;
}

#define FORWARD(ret, name, params, args, fail) \
    ret name params { \
        if (vsim_readline_load() != 0) return fail; \
        return p_##name args; \
    }
#define FORWARD_V(name, params, args) \
    void name params { \
        if (vsim_readline_load() != 0) return; \
        p_##name args; \
    }
READLINE_FUNCTIONS(FORWARD, FORWARD_V)

#define ACCESSOR(name) \
    __typeof__(name) *vsim_##name(void) { \
        vsim_readline_load(); \
        return v_##name; \
    }
READLINE_VARIABLES(ACCESSOR)
