/*
 * fuzz_config.c - libFuzzer harness for the adapter's YAML files: the same
 * input is read as a --config file and as a --targets-file (both come from
 * users; errors must be clean, with no leak or overflow).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "adapter/collect/config.h"
#include "adapter/collect/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct adapter_config c;
	struct target_list t;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-config-%d.yaml",
			 (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (config_load(path, &c, NULL) == 0)
		config_release(&c);
	if (targets_load(path, &t, NULL) == 0)
		targets_release(&t);
	return 0;
}
