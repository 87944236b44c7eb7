/* dhrylike.c: a Dhrystone-like integer benchmark, written for vsim (not Dhrystone's source).
   Dhrystone (Weicker, 1984) measures what 1980s system programs did most: calls of small
   procedures, record (struct) assignment through pointers, string copies and compares of
   30-character strings, enumeration switches and array indexing. This loop does the same kinds
   of work in the same rough proportions, and prints a checksum of everything it computed, so
   every mode can be checked against native (the numbers are not DMIPS and are not comparable
   with published Dhrystone results).
   Usage: dhrylike [ITERATIONS]   (default 1000000) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { IDENT_1, IDENT_2, IDENT_3, IDENT_4, IDENT_5 } Enumeration;

typedef struct Record {
    struct Record *next;
    Enumeration discr;
    Enumeration kind;
    int number;
    char text[31];
} Record;

static int global_int;
static char global_char_a, global_char_b;
static int array_1[50];
static int array_2[50][50];
static Record *global_record;

/* Kept out of line, as Dhrystone's procedures are: the calls are part of what is measured. */
__attribute__((noinline)) static Enumeration classify(char c1, char c2) {
    return c1 == c2 ? IDENT_2 : IDENT_1;
}

__attribute__((noinline)) static int strings_differ(const char *a, const char *b) {
    int i = 2;
    char c = 'A';
    while (i <= 2) {
        if (classify(a[i], b[i + 1]) == IDENT_1) { c = 'A'; i += 1; }
        else i += 2;
    }
    if (c >= 'W' && c < 'Z') i = 7;
    if (c == 'R') return 1;
    return strcmp(a, b) > 0 ? (i += 7, global_int = i, 1) : 0;
}

__attribute__((noinline)) static Enumeration next_kind(Enumeration e, int n) {
    switch (e) {
    case IDENT_1: return n > 100 ? IDENT_1 : IDENT_4;
    case IDENT_2: return IDENT_1;
    case IDENT_3: return IDENT_2;
    case IDENT_4: return IDENT_3;
    default: return IDENT_5;
    }
}

__attribute__((noinline)) static void fill_arrays(int a1[50], int a2[50][50], int i, int v) {
    int loc = i + 5;
    a1[loc] = v;
    a1[loc + 1] = a1[loc];
    a1[loc + 30] = loc;
    for (int k = loc; k <= loc + 1; k++) a2[loc][k] = loc;
    a2[loc][loc - 1] += 1;
    a2[loc + 20][loc] = a1[loc];
    global_int = 5;
}

__attribute__((noinline)) static void update_record(Record *r) {
    Record *next = r->next;
    *next = *global_record;                 /* record assignment: 48 bytes */
    r->number = 5;
    next->number = r->number;
    next->next = r->next;
    if (next->discr == IDENT_1) {
        next->number = 6;
        next->kind = next_kind(r->kind, next->number);
        next->next = global_record->next;
        next->number = (next->number + 10) % 50;
    } else {
        *r = *next;
    }
}

int main(int argc, char **argv) {
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (iterations <= 0) { fprintf(stderr, "usage: dhrylike [ITERATIONS > 0]\n"); return 2; }

    Record *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    if (!a || !b) { perror("malloc"); return 1; }
    global_record = a;
    a->next = b;
    a->discr = IDENT_1;
    a->kind = IDENT_3;
    a->number = 40;
    strcpy(a->text, "DHRYLIKE RECORD, SOME STRING");
    char string_1[31], string_2[31];
    strcpy(string_1, "DHRYLIKE, 1'ST STRING........");
    array_2[8][7] = 10;

    unsigned long checksum = 2166136261u;
    for (long run = 1; run <= iterations; run++) {
        global_char_a = 'A';
        global_char_b = 'B';
        int int_1 = 2, int_2 = 3, int_3 = 0;
        strcpy(string_2, "DHRYLIKE, 2'ND STRING........");
        Enumeration e = IDENT_2;
        int ok = !strings_differ(string_1, string_2);
        while (int_1 < int_2) {
            int_3 = 5 * int_1 - int_2;
            int_3 = int_1 + int_3 + 2;
            int_1 += 1;
        }
        fill_arrays(array_1, array_2, int_1, int_3);
        update_record(a);
        for (char c = 'A'; c <= global_char_b; c++) {
            if (e == classify(c, 'C')) {
                e = next_kind(IDENT_1, int_3);
                strcpy(string_2, "DHRYLIKE, 3'RD STRING........");
                int_2 = (int)run;
                global_int = (int)run;
            }
        }
        int_2 = int_2 * int_1;
        int_1 = int_2 / int_3;
        int_2 = 7 * (int_2 - int_3) - int_1;
        checksum = (checksum ^ (unsigned)(int_1 + int_2 + int_3 + ok + (int)e + b->number + global_int)) * 16777619u;  /* FNV-1 step */
    }
    printf("dhrylike: %ld iterations, checksum %08lx, array_1[8] %d, array_2[8][7] %d, record %d %d %s\n",
           iterations, checksum & 0xFFFFFFFFul, array_1[8], array_2[8][7], b->number, (int)b->kind, b->text);
    free(a);
    free(b);
    return 0;
}
