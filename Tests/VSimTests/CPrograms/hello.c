#include <stdio.h>
int main(void) { puts("hello, world"); printf("%s %d\n", "printf", 42); return 0; }
