/*
 * fuzz_mirage.c - libFuzzer target: `ringside import mirage:`, reading
 * a mirage-profile ring (formats/interchange/import_mirage.c): packet headers, their order by a wrapping u16 count, every op's fields and strings.
 * The input is the file's bytes; fuzz_import (fuzz_common.c) checks every
 * event the importer makes as the store will take it. Seeds:
 * fuzz/corpus/mirage/.
 */
#include "fuzz.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_import(rs_import_mirage_mem, data, size);
	return 0;
}
