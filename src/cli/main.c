/* main.c - the spate command line (placeholder until the runtime lands). */
#include <stdio.h>

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "spate: not yet implemented\n");
  return 2;
}
