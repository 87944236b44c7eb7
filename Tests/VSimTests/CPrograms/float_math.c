/* Floating point as gcc -m32 compiles it (x87: fld/fstp, the four operations and their
 * reverse forms, fcomi/fucomi or fnstsw+sahf, fistp with the control word changed around it,
 * fild) and as libc prints it (printf %f %e %g %a, long double), plus libm-free math built from
 * those operations. Every value printed is compared with the native run's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vzero = 0.0;   /* volatile: computed at run time, not by gcc */

static double sqrt_newton(double x) {
    double r = x > 1 ? x / 2 : 1;
    for (int i = 0; i < 40; i++) r = 0.5 * (r + x / r);
    return r;
}

static long double series_e(void) {
    long double e = 1, term = 1;
    for (int k = 1; k < 25; k++) { term /= k; e += term; }
    return e;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    (void)argv;
    double a = 1.0 / 3.0, b = 2.0 / 7.0 * argc;
    float f = 0.1f * (float)argc;
    printf("a=%f b=%.17g f=%.9g\n", a, b, f);
    printf("sum=%.17g diff=%.17g prod=%.17g quot=%.17g\n", a + b, a - b, a * b, a / b);
    printf("e=%e E=%E g=%g G=%G a=%a\n", 12345.678, 0.000123, 1e-5, 1e20, 1.0 / 10);
    printf("neg=%f negzero=%f inf=%f -inf=%f nan=%f\n", -2.5, -vzero, 1 / vzero, -1 / vzero, vzero / vzero);
    printf("round trip: %d %d %d %d\n", (int)2.5, (int)-2.5, (int)(a * 1e6), (int)(-b * 1e6));
    long long big = (long long)(1e15 * a);
    printf("ll=%lld u=%u\n", big, (unsigned)(3e9 * argc / 4));
    printf("sqrt(2)=%.17g sqrt(1e10)=%.17g\n", sqrt_newton(2.0), sqrt_newton(1e10));
    long double e = series_e();
    printf("e (long double)=%.21Lg %La\n", e, e);
    long double third = 1.0L / 3;
    printf("third=%.25Lf sizeof(long double)=%zu\n", third, sizeof(long double));
    double xs[8];
    for (int i = 0; i < 8; i++) xs[i] = (i * 37 % 11) - 5.5 + a * i;
    qsort(xs, 8, sizeof xs[0], cmp_double);
    for (int i = 0; i < 8; i++) printf("%s%.6g", i ? " " : "sorted: ", xs[i]);
    printf("\n");
    double acc = 0;
    for (int i = 1; i <= 1000; i++) acc += 1.0 / ((double)i * i);
    printf("basel=%.15f strtod=%.17g atof=%g\n", acc, strtod("3.14159265358979323846", 0), atof("-1e-310"));
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f|%10.4e|%-8.2g|", 3.14159, -0.000271828, 6.02e23);
    printf("%s %d\n", buf, (int)strlen(buf));
    printf("compare: %d %d %d %d\n", a < b, a == a, (vzero / vzero) != (vzero / vzero), 1 / vzero > 1e308);
    float fs = 0;
    for (int i = 0; i < 100; i++) fs += 0.01f;
    printf("float sum=%.9g denormal=%g min=%g\n", fs, 4.9e-324 * argc, 2.2250738585072014e-308 / 3);
    return 0;
}
