#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv, char **envp) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d]=\"%s\" (%zu)\n", i, argv[i], strlen(argv[i]));
    const char *v = getenv("VSIM_TEST_VAR");
    printf("VSIM_TEST_VAR=%s\n", v ? v : "(unset)");
    printf("MISSING=%s\n", getenv("VSIM_SURELY_MISSING") ? "set" : "(unset)");
    int n = 0; for (char **e = envp; *e; e++) if (strncmp(*e, "VSIM_", 5) == 0) n++;
    printf("VSIM_ variables: %d\n", n);
    fprintf(stderr, "argc %d to stderr\n", argc);
    return argc * 7;
}
