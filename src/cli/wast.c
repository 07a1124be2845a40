/* placeholder until the wast runner lands (replaced by the wast runner work) */
#include <stdio.h>
#include "cli/cli.h"
int wf_cli_wast(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "wast: not built yet\n"); return 1; }
