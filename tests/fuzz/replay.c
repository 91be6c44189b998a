/*
 * replay.c - run fuzz_decode.c's entry point on files, without libFuzzer:
 * how ./setup.sh test replays the committed corpus through the normal and
 * the sanitizer builds. Exit 0 when every file went through (a crash or a
 * sanitizer report ends the process first); prints TAP, one line a file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* replay_file - read path whole and feed it; 0 or -1 */
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL, *p;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return -1;
	do {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(data, cap)) == NULL) {
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, rc = 0;

	printf("1..%d\n", argc - 1);
	for (i = 1; i < argc; i++) {
		if (replay_file(argv[i]) < 0) {
			printf("not ok %d - cannot read %s\n", i, argv[i]);
			rc = 1;
			continue;
		}
		printf("ok %d - %s decodes or is refused cleanly\n", i, argv[i]);
	}
	return rc;
}
