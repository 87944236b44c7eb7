#ifndef VSIM_READLINE_LOADER_H
#define VSIM_READLINE_LOADER_H
/* GNU Readline for the vsim REPL (line editing, history, completion). vsim is GPL-3.0-or-later,
 * so using the GPL readline is allowed. readline.h needs FILE from stdio.h first.
 *
 * vsim does not link readline: libreadline.so.8 and libtinfo cost every vsim process about
 * 0.3 ms of dynamic loading before main (docs/performance.md), and only an interactive
 * `vsim repl` uses them. readline_loader.c defines the functions Sources/REPL calls; the first
 * call (or vsim_readline_load) loads libreadline.so.8 with dlopen(3). Readline's variables are
 * reached through the vsim_rl_* accessors below, valid once vsim_readline_load returned 0;
 * Swift code that names a variable directly (rl_point) fails to link, not at run time. */
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

/* Loads libreadline.so.8 and resolves every function and variable the REPL uses, once
 * (thread-safe). Returns 0 when loaded; -1 when it cannot be (vsim_readline_error says why). */
int vsim_readline_load(void);

/* Why vsim_readline_load failed (dlerror's text), or NULL when it did not. */
const char *vsim_readline_error(void);

/* Readline's variables, in the loaded library (call vsim_readline_load first). */
char **vsim_rl_line_buffer(void);
int *vsim_rl_point(void);
int *vsim_rl_mark(void);
int *vsim_rl_attempted_completion_over(void);
rl_hook_func_t **vsim_rl_signal_event_hook(void);
const char **vsim_rl_readline_name(void);
rl_completion_func_t **vsim_rl_attempted_completion_function(void);

#endif
