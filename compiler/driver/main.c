// The mig executable: parses the command line and hands it to the driver (driver/driver.c).
#include <stdio.h>

#include "driver/driver.h"
#include "driver/options.h"

int main(int argc, char **argv) {
    struct driver_options opts;
    if (!options_parse(argc, argv, &opts)) {
        fprintf(stderr, "mig: out of memory\n");
        return DRIVER_INPUT_ERROR;
    }
    int status = driver_run(&opts, argc > 0 ? argv[0] : "mig");
    options_free(&opts);
    return status;
}
