#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <errno.h>
int main(void) {
    char buf[128] = "The quick brown fox";
    strcat(buf, " jumps over the lazy dog");
    printf("%zu [%s]\n", strlen(buf), buf);
    printf("%s|%s|%s\n", strchr(buf, 'q'), strrchr(buf, 'o'), strstr(buf, "lazy"));
    printf("%d %d %d %d\n", strcmp("abc", "abd") < 0, strncmp("abcdef", "abcxyz", 3), memcmp("aa", "ab", 2) < 0, strcasecmp("HeLLo", "hello"));
    char copy[128]; memcpy(copy, buf, sizeof buf); memmove(copy + 4, copy, 20); copy[30] = 0; printf("[%s]\n", copy);
    char *tok, *save, line[] = "alpha, beta,,gamma ,delta";
    for (tok = strtok_r(line, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) printf("<%s>", tok);
    printf("\n");
    for (char *p = buf; *p; p++) *p = (char)(isupper((unsigned char)*p) ? tolower((unsigned char)*p) : toupper((unsigned char)*p));
    printf("%s\n", buf);
    printf("%ld %ld %lu %d\n", strtol("-12345xyz", NULL, 10), strtol("0x7fff", NULL, 16), strtoul("777", NULL, 8), atoi("  99 bottles"));
    errno = 0; long big = strtol("99999999999999999999", NULL, 10);
    printf("%ld errno=%d %s\n", big, errno, strerror(errno));
    char *d = strdup("duplicate"); printf("%s %zu\n", d, strspn(d, "dupl")); free(d);
    char pad[40]; memset(pad, '-', sizeof pad - 1); pad[sizeof pad - 1] = 0; printf("%s\n", pad);
    return 0;
}
