/*
 * The floor of the keyring bench: libsecret called directly from C, the same schema and attributes as
 * amrs-bootstrap and Python keyring (see ffi/libsecret.ts), one storev/lookupv per operation.
 *   floor N VALUE_LENGTH   -> prints {"set":[ms...],"get":[ms...],"rss_kib":N} on stdout
 * Built by tests/bench/keyring_bench.ts with: cc floor.c $(pkg-config --cflags --libs libsecret-1).
 */
#include <libsecret/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  }
  if (f) fclose(f);
  return kib;
}

static void print_array(const char *name, const double *values, int n) {
  printf("\"%s\":[", name);
  for (int i = 0; i < n; i++) printf(i ? ",%.4f" : "%.4f", values[i]);
  printf("]");
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 200;
  int length = argc > 2 ? atoi(argv[2]) : 40;
  const SecretSchema store_schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_NONE,
    {{"service", SECRET_SCHEMA_ATTRIBUTE_STRING}, {"username", SECRET_SCHEMA_ATTRIBUTE_STRING},
     {"application", SECRET_SCHEMA_ATTRIBUTE_STRING}, {NULL, 0}}};
  const SecretSchema match_schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_DONT_MATCH_NAME,
    {{"service", SECRET_SCHEMA_ATTRIBUTE_STRING}, {"username", SECRET_SCHEMA_ATTRIBUTE_STRING}, {NULL, 0}}};
  double *set = calloc(n, sizeof *set), *get = calloc(n, sizeof *get);
  char *value = malloc(length + 1);
  for (int i = 0; i < length; i++) value[i] = 'a' + i % 26;
  value[length] = 0;
  char name[32];
  GError *error = NULL;
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "BENCH_%04d", i);
    double t0 = now_ms();
    secret_password_store_sync(&store_schema, "default", "bench", value, NULL, &error, "service", "amrs-bench",
                               "username", name, "application", "Python keyring library", NULL);
    set[i] = now_ms() - t0;
    if (error) { fprintf(stderr, "store: %s\n", error->message); return 1; }
  }
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "BENCH_%04d", i);
    double t0 = now_ms();
    gchar *found = secret_password_lookup_sync(&match_schema, NULL, &error, "service", "amrs-bench", "username", name,
                                               NULL);
    get[i] = now_ms() - t0;
    if (error || !found || strcmp(found, value) != 0) { fprintf(stderr, "lookup failed\n"); return 1; }
    secret_password_free(found);
  }
  printf("{");
  print_array("set", set, n);
  printf(",");
  print_array("get", get, n);
  printf(",\"rss_kib\":%ld}\n", peak_rss_kib());
  return 0;
}
