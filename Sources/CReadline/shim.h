// GNU Readline for the vsim REPL (line editing, history, completion). vsim is GPL-3.0-or-later,
// so linking the GPL readline is allowed. readline.h needs FILE from stdio.h first.
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>
