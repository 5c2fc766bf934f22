/* The main of a fuzz target outside libFuzzer (the native test tree's
 * fuzz/<target>/regressions): each argument is an input file or a
 * directory of them (tests/fuzz/corpus/<target>, tests/fuzz/regressions/
 * <target>), and every file is run once through the target's
 * LLVMFuzzerTestOneInput, in name order, under the tree's ASan+UBSan. A
 * crash, a leak or a failed check stops the program as it would stop the
 * fuzzer; a directory that cannot be read or holds no input fails the run
 * (an input set that silently vanished would pass everything). */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay__file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long n;
  if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    if (f != NULL) fclose(f);
    return -1;
  }
  buf = (uint8_t *)malloc(n > 0 ? (size_t)n : 1u);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "replay: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  (void)LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

static int replay__cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (dot files skipped). The count
 * run, or -1. */
static int replay__dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  int ran = 0;
  if (d == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (n == cap) {
      char **p = (char **)realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
      if (p == NULL) break;
      names = p;
    }
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, replay__cmp);
  for (i = 0; i < n; i++) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      if (replay__file(path) != 0) ran = -1;
      else if (ran >= 0) ran++;
    }
    free(names[i]);
  }
  free(names);
  return ran;
}

int main(int argc, char **argv) {
  int i, total = 0;
  if (argc < 2) {
    fprintf(stderr, "usage: %s <input file or directory>...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++) {
    struct stat st;
    int n;
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: cannot open %s\n", argv[i]);
      return 1;
    }
    n = S_ISDIR(st.st_mode) ? replay__dir(argv[i]) : (replay__file(argv[i]) == 0 ? 1 : -1);
    if (n <= 0) {
      if (n == 0) fprintf(stderr, "replay: %s holds no input\n", argv[i]);
      return 1;
    }
    printf("replay: %s: %d inputs\n", argv[i], n);
    total += n;
  }
  printf("replay: %d inputs, no failure\n", total);
  return 0;
}
