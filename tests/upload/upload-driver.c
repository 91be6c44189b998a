/*
 * upload-driver.c - plays cloudspoold's side of doc/UPLOAD-PROTOCOL.md for
 * the uploader's tests.
 *
 *   upload-driver REQUEST.json DOCUMENT STATEFILE [--kill-after BYTES]
 *       [--on-state CMD]
 *
 * Runs the uploader (CS_UPLOADER, default ./cloudspool-upload) with
 * DOCUMENT on fd 0, a SOCK_SEQPACKET socket on fd 3 and an empty
 * environment; sends REQUEST.json with "state" taken from STATEFILE when
 * it exists; writes every checkpoint's state to STATEFILE atomically
 * (temporary, fsync, rename) before acknowledging it, as the daemon seals
 * it; prints the final message as one JSON line. With --kill-after, the
 * uploader is SIGKILLed once a progress report or a checkpoint says BYTES
 * were sent. With --on-state, `sh -c CMD sh STATEFILE` runs after each
 * checkpoint is saved and before it is acknowledged: a test's way to act
 * at an exact point of the upload (another writer taking the key, ...).
 *
 * Exit: 0 done, 1 fail, 2 usage or a protocol violation (no final
 * message, two of them, a non-zero exit after one), 3 killed as asked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <jansson.h>

#define DRIVER_MSG_MAX	(64u << 10)

/* driver_die - one line, exit 2 */
static void __attribute__((noreturn))
driver_die(const char *what)
{
	fprintf(stderr, "upload-driver: %s\n", what);
	exit(2);
}

/* driver_save_state - STATEFILE = state, atomically and durably */
static void
driver_save_state(const char *path, json_t *state)
{
	char tmp[4096];
	int fd;

	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) <
	    0 || json_dumpfd(state, fd, JSON_COMPACT) != 0 || fsync(fd) != 0 ||
	    close(fd) != 0 || rename(tmp, path) != 0)
		driver_die("cannot write the state file");
}

/* driver_spawn - the uploader on doc and sock */
static pid_t
driver_spawn(int doc, int sock)
{
	const char *prog = getenv("CS_UPLOADER");
	char *const argv[] = { (char *)"cloudspool-upload", NULL };
	char *const envp[] = { NULL };
	pid_t pid;

	if (prog == NULL)
		prog = "./cloudspool-upload";
	if ((pid = fork()) < 0)
		driver_die("fork failed");
	if (pid == 0) {
		if (dup2(doc, 0) < 0 || dup2(sock, 3) < 0)
			_exit(127);
		execve(prog, argv, envp);
		fprintf(stderr, "upload-driver: exec %s: %s\n", prog,
		    strerror(errno));
		_exit(127);
	}
	return pid;
}

/* driver_request - REQUEST.json with the saved state */
static char *
driver_request(const char *reqpath, const char *statepath)
{
	json_error_t e;
	json_t *req, *state;
	char *text;

	if ((req = json_load_file(reqpath, 0, &e)) == NULL)
		driver_die("REQUEST.json is not JSON");
	state = access(statepath, F_OK) == 0 ?
	    json_load_file(statepath, 0, &e) : json_null();
	if (state == NULL)
		driver_die("STATEFILE is not JSON");
	(void)json_object_set_new(req, "state", state);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		driver_die("out of memory");
	return text;
}

/* driver_hook - sh -c CMD sh STATEFILE, waited for; its failure is the
 * test's to notice (it can leave a mark), not a protocol violation */
static void
driver_hook(const char *cmd, const char *statefile)
{
	pid_t pid;
	int status;

	if ((pid = fork()) < 0)
		driver_die("fork failed");
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "sh", statefile, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			driver_die("waitpid failed");
}

int
main(int argc, char **argv)
{
	static char buf[DRIVER_MSG_MAX + 1];
	long long kill_after = -1, bytes;
	int sv[2], doc, status, finals = 0, rc = 2, killed = 0, i;
	const char *on_state = NULL;
	json_t *msg;
	json_error_t e;
	const char *type;
	char *text;
	ssize_t n;
	pid_t pid;

	for (i = 4; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--kill-after") == 0)
			kill_after = strtoll(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--on-state") == 0)
			on_state = argv[i + 1];
		else
			break;
	}
	if (argc < 4 || i != argc)
		driver_die("usage: upload-driver REQUEST.json DOCUMENT "
		    "STATEFILE [--kill-after BYTES] [--on-state CMD]");
	if ((doc = open(argv[2], O_RDONLY | O_CLOEXEC)) < 0)
		driver_die("cannot open DOCUMENT");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		driver_die("socketpair failed");
	text = driver_request(argv[1], argv[3]);
	pid = driver_spawn(doc, sv[1]);
	(void)close(sv[1]);
	if (send(sv[0], text, strlen(text), MSG_NOSIGNAL) !=
	    (ssize_t)strlen(text))
		driver_die("cannot send the request");
	free(text);
	while ((n = recv(sv[0], buf, sizeof(buf), MSG_TRUNC)) > 0) {
		if ((size_t)n > DRIVER_MSG_MAX)
			driver_die("a message over 64 KiB");
		if ((msg = json_loadb(buf, (size_t)n, 0, &e)) == NULL)
			driver_die("a message that is not JSON");
		type = json_string_value(json_object_get(msg, "type"));
		bytes = json_integer_value(json_object_get(msg, "bytes"));
		if (type == NULL)
			driver_die("a message without a type");
		if (strcmp(type, "state") == 0) {
			driver_save_state(argv[3], json_object_get(msg,
			    "state"));
			if (on_state != NULL)
				driver_hook(on_state, argv[3]);
			if (send(sv[0], "{\"type\":\"ack\"}", 14,
			    MSG_NOSIGNAL) != 14)
				driver_die("cannot send an ack");
		} else if (strcmp(type, "done") == 0 ||
		    strcmp(type, "fail") == 0) {
			finals++;
			rc = strcmp(type, "done") == 0 ? 0 : 1;
			printf("%.*s\n", (int)n, buf);
		} else if (strcmp(type, "progress") != 0)
			driver_die("an unknown message type");
		json_decref(msg);
		if (kill_after >= 0 && bytes >= kill_after && finals == 0) {
			(void)kill(pid, SIGKILL);
			killed = 1;
			break;
		}
	}
	(void)fflush(stdout);
	if (waitpid(pid, &status, 0) < 0)
		driver_die("waitpid failed");
	if (killed) {
		printf("{\"type\":\"killed\",\"bytes\":%lld}\n", kill_after);
		return 3;
	}
	if (finals != 1) {
		fprintf(stderr, "upload-driver: %d final messages (uploader "
		    "status %d)\n", finals, status);
		return 2;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "upload-driver: the uploader exited with "
		    "status %d after its final message\n", status);
		return 2;
	}
	return rc;
}
