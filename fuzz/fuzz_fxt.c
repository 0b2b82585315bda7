/*
 * fuzz_fxt.c - libFuzzer target: `ringside import fxt:`, reading
 * the Fuchsia trace format (formats/interchange/import_fxt.c): record sizes, string and thread tables and refs, arguments, every record kind.
 * The input is the file's bytes; fuzz_import (fuzz_common.c) checks every
 * event the importer makes as the store will take it. Seeds:
 * fuzz/corpus/fxt/.
 */
#include "fuzz.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import(rs_import_fxt_mem, data, size);
	return 0;
}
