#include <stdio.h>
#include <ctype.h>
int main(void) {
    long lines = 0, words = 0, bytes = 0; int c, in = 0; unsigned hash = 2166136261u;
    while ((c = getchar()) != EOF) {
        bytes++; hash = (hash ^ (unsigned)c) * 16777619u;
        if (c == '\n') lines++;
        if (isspace(c)) in = 0; else if (!in) { in = 1; words++; }
    }
    printf("%ld %ld %ld fnv1a=%08x\n", lines, words, bytes, hash);
    return lines > 255 ? 255 : (int)lines;
}
