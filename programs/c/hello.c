/* hello.c: the first C program, run by vsim as `vsim run programs/c/hello.c`
   (compiled with gcc -m32 -static -O2 into vsim's cache). */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello from a C program: %d argument%s\n", argc - 1, argc == 2 ? "" : "s");
    for (int i = 1; i < argc; i++) printf("  argv[%d] = %s\n", i, argv[i]);
    return 0;
}
