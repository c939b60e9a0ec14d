/*
 * Every executable of a fake macOS tree (pfctl, osascript, date, ...) is a hard link of this program. It hands its
 * call to the fake-macOS server (programs/server.ts) and prints the answer: one small process a call, where a
 * shell script would start a shell and more. Tests only; built by the test setup (buildShimBinary in
 * server-process.ts).
 *
 * It finds its tree and its name from its own path (/proc/self/exe): <root>/sbin/pfctl is pfctl of <root>.
 * The call: take a free slot of <root>/.fake/calls by creating <slot>.lock (O_EXCL: one caller wins), write
 * <slot>.args ("<program>\n<pid>\n<ppid>\n<root marker>\n<argc>\n", then "<bytes>\n<argument>\n" each), and when
 * an argument is "-" (the program reads its standard input: `pfctl -f -`) its standard input to <slot>.stdin, say
 * "call <slot path>" on <root>/.fake/door, read the reply on <slot>.fifo: "<status> <out lines|file> <err
 * lines>\n" and those lines (stdout in <slot>.out when "file"), then say "done <slot path>" to free the slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SLOTS 1000

static void fail(const char *what) {
  dprintf(2, "fake-mac: %s: %s\n", what, strerror(errno));
  exit(70);
}

static void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    data += n;
    length -= (size_t)n;
  }
}

static void say(const char *door, const char *verb, const char *slot) {
  int fd = open(door, O_WRONLY);
  if (fd < 0) fail("the fake macOS server is not running");
  char line[PATH_MAX + 16];
  int n = snprintf(line, sizeof line, "%s %s\n", verb, slot);
  write_all(fd, line, (size_t)n);
  close(fd);
}

/* Reads from the reply FIFO, which stays open (we hold it read-write): exactly what the server sent. */
static char buffer[65536];
static size_t have = 0, at = 0;

static int next_byte(int fd) {
  if (at == have) {
    ssize_t n;
    do n = read(fd, buffer, sizeof buffer);
    while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    have = (size_t)n;
    at = 0;
  }
  return (unsigned char)buffer[at++];
}

/* Copies `lines` whole lines from the reply to `out`. */
static void copy_lines(int fd, long lines, int out) {
  char line[4096];
  size_t used = 0;
  while (lines > 0) {
    int c = next_byte(fd);
    if (c < 0) exit(70);
    line[used++] = (char)c;
    if (c == '\n' || used == sizeof line) {
      write_all(out, line, used);
      used = 0;
      if (c == '\n') lines--;
    }
  }
}

int main(int argc, char **argv) {
  char self[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length < 0) fail("/proc/self/exe");
  self[length] = '\0';
  const char *program = strrchr(self, '/') + 1;
  /* <root>/sbin/pfctl, <root>/usr/sbin/netstat, <root>/bin/date: the folder, less its macOS part, is the root. */
  char root[PATH_MAX];
  size_t folder = (size_t)(program - 1 - self);
  memcpy(root, self, folder);
  root[folder] = '\0';
  const char *folders[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
  int known = 0;
  for (int i = 0; i < 4 && !known; i++) {
    size_t n = strlen(folders[i]);
    if (folder > n && strcmp(root + folder - n, folders[i]) == 0) {
      root[folder - n] = '\0';
      known = 1;
    }
  }
  if (!known) {
    dprintf(2, "fake-mac: %s is not in a fake macOS tree\n", self);
    return 70;
  }
  char door[PATH_MAX + 64], slot[PATH_MAX + 64], path[PATH_MAX + 128];
  snprintf(door, sizeof door, "%s/.fake/door", root);

  int lock = -1, number = 0;
  for (; number < MAX_SLOTS; number++) {
    snprintf(path, sizeof path, "%s/.fake/calls/%d.lock", root, number);
    lock = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (lock >= 0) break;
    if (errno != EEXIST) fail("the fake macOS server is not running");
  }
  if (lock < 0) {
    dprintf(2, "fake-mac: no free reply slot\n");
    return 70;
  }
  close(lock);
  snprintf(slot, sizeof slot, "%s/.fake/calls/%d", root, number);

  snprintf(path, sizeof path, "%s.fifo", slot);
  if (mkfifo(path, 0644) < 0 && errno != EEXIST) fail("mkfifo");
  int reply = open(path, O_RDWR);
  if (reply < 0) fail("open the reply FIFO");

  snprintf(path, sizeof path, "%s.args", slot);
  FILE *args = fopen(path, "w");
  if (args == NULL) fail("write the arguments");
  const char *marker = getenv("FAKE_MAC_UID");
  fprintf(args, "%s\n%d\n%d\n%s\n%d\n", program, (int)getpid(), (int)getppid(), marker ? marker : "", argc - 1);
  for (int i = 1; i < argc; i++) fprintf(args, "%zu\n%s\n", strlen(argv[i]), argv[i]);
  if (fclose(args) != 0) fail("write the arguments");

  int reads_input = 0;
  for (int i = 1; i < argc; i++) reads_input |= strcmp(argv[i], "-") == 0;
  if (reads_input) {
    snprintf(path, sizeof path, "%s.stdin", slot);
    int input = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (input < 0) fail("write the standard input");
    char chunk[65536];
    for (;;) {
      ssize_t n = read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("read the standard input");
      if (n == 0) break;
      write_all(input, chunk, (size_t)n);
    }
    close(input);
  }

  say(door, "call", slot);
  char head[64];
  size_t used = 0;
  for (int c; (c = next_byte(reply)) != '\n';) {
    if (c < 0 || used == sizeof head - 1) return 70;
    head[used++] = (char)c;
  }
  head[used] = '\0';
  int status;
  char out[16];
  long err;
  if (sscanf(head, "%d %15s %ld", &status, out, &err) != 3) return 70;
  if (strcmp(out, "file") == 0) {
    snprintf(path, sizeof path, "%s.out", slot);
    int file = open(path, O_RDONLY);
    if (file < 0) fail("read the output");
    char chunk[65536];
    ssize_t n;
    while ((n = read(file, chunk, sizeof chunk)) > 0) write_all(1, chunk, (size_t)n);
    close(file);
  } else {
    copy_lines(reply, strtol(out, NULL, 10), 1);
  }
  copy_lines(reply, err, 2);
  close(reply);
  say(door, "done", slot);
  return status;
}
