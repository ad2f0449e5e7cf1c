/*
 * soulbox-exec: the agent's tiny static helper. It is C because it must fork, drop privileges and
 * exec safely, which a .NET runtime cannot do between fork and exec.
 *
 *   soulbox-exec init -- <argv...>
 *     PID 1 of a container: runs argv (the agent), forwards SIGTERM/SIGINT/SIGHUP to it, reaps every
 *     orphan, and exits with the agent's status when the agent exits.
 *
 *   soulbox-exec run --result FILE --uid N --gid N --cwd DIR [--nofile N] [--fsize BYTES] [--nproc N] -- <argv...>
 *     Runs argv as uid/gid in a new session (so its pid is its process group and session id) with the
 *     given rlimits. The parent stays root (the sandbox user cannot signal it) and is a child
 *     subreaper, so every descendant stays below it in /proc while it lives and the agent can find
 *     and kill the whole tree. The result FILE gets two lines:
 *       line 1, written right after fork:  {"pid":N}
 *       line 2, written after the child ends:
 *         {"exitCode":N|null,"signal":N|null,"cpuMs":N,"peakRssKb":N}
 *     Before the second line is written, whatever the child left behind (background jobs, daemons
 *     that called setsid) is SIGKILLed: all of it is still below the helper (subreaper), and a run
 *     owns its whole tree. So when the helper exits, nothing of the run is left.
 *     cpuMs and peakRssKb cover the child and every descendant (RUSAGE_CHILDREN).
 *     The helper exits 0 when it could run the child and report; 126 on usage or setup errors.
 *     If exec fails the child prints "soulbox-exec: <argv0>: <error>" to stderr and exits 127.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t forward_to = 0;

static void die(const char *what)
{
    fprintf(stderr, "soulbox-exec: %s: %s\n", what, strerror(errno));
    exit(126);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: soulbox-exec init -- <argv...>\n"
            "       soulbox-exec run --result FILE --uid N --gid N --cwd DIR [--nofile N] [--fsize BYTES] [--nproc N] -- <argv...>\n");
    exit(126);
}

/* The agent (.NET) may ignore SIGPIPE or block signals; an exec'd program must start clean. */
static void reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            signal(sig, SIG_DFL);
        }
    }
}

static void forward_signal(int sig)
{
    if (forward_to > 0) {
        kill(forward_to, sig);
    }
}

static int run_init(char **argv)
{
    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        reset_signals();
        execvp(argv[0], argv);
        fprintf(stderr, "soulbox-exec: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }

    forward_to = child;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 1; /* ECHILD: nothing left, which cannot happen before the agent ends */
        }
        if (pid == child) {
            if (WIFEXITED(status)) {
                return WEXITSTATUS(status);
            }
            return 128 + WTERMSIG(status);
        }
    }
}

static long parse_long(const char *text, const char *flag)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0) {
        fprintf(stderr, "soulbox-exec: bad value for %s: %s\n", flag, text);
        exit(126);
    }
    return value;
}

static void set_limit(int resource, rlim_t value, const char *name)
{
    struct rlimit limit = { value, value };
    if (setrlimit(resource, &limit) != 0) {
        fprintf(stderr, "soulbox-exec: setrlimit %s: %s\n", name, strerror(errno));
        _exit(127);
    }
}

static void write_all(int fd, const char *text)
{
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t written = write(fd, text, length);
        if (written < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        text += written;
        length -= (size_t)written;
    }
}

/* SIGKILLs every direct child of this process (found in /proc). Orphans re-parent to us (we are
 * a subreaper), so repeating this and reaping until ECHILD removes a whole tree level by level. */
static void kill_children(void)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL) {
        return;
    }
    pid_t self = getpid();
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9') {
            continue;
        }
        char path[300], buffer[512];
        snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        ssize_t length = read(fd, buffer, sizeof buffer - 1);
        close(fd);
        if (length <= 0) {
            continue;
        }
        buffer[length] = '\0';
        /* "pid (comm) state ppid ...": comm may hold anything, so parse after the last ')'. */
        char *close_paren = strrchr(buffer, ')');
        char state;
        int parent;
        if (close_paren != NULL && sscanf(close_paren + 1, " %c %d", &state, &parent) == 2 && parent == self) {
            kill((pid_t)atoi(entry->d_name), SIGKILL);
        }
    }
    closedir(proc);
}

static void kill_leftovers(pid_t session)
{
    for (;;) {
        kill(-session, SIGKILL);
        pid_t reaped;
        while ((reaped = waitpid(-1, NULL, WNOHANG)) > 0) {
        }
        /* No child at all means no descendant at all: every orphan re-parents to us. */
        if (reaped < 0 && errno == ECHILD) {
            return;
        }
        kill_children();
        usleep(1000);
    }
}

static int run_child(int argc, char **argv)
{
    const char *result = NULL, *cwd = NULL;
    long uid = -1, gid = -1, nofile = -1, fsize = -1, nproc = -1;
    int i = 0;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) {
            usage();
        }
        const char *flag = argv[i], *value = argv[++i];
        if (strcmp(flag, "--result") == 0) result = value;
        else if (strcmp(flag, "--cwd") == 0) cwd = value;
        else if (strcmp(flag, "--uid") == 0) uid = parse_long(value, flag);
        else if (strcmp(flag, "--gid") == 0) gid = parse_long(value, flag);
        else if (strcmp(flag, "--nofile") == 0) nofile = parse_long(value, flag);
        else if (strcmp(flag, "--fsize") == 0) fsize = parse_long(value, flag);
        else if (strcmp(flag, "--nproc") == 0) nproc = parse_long(value, flag);
        else usage();
    }
    if (result == NULL || cwd == NULL || uid < 0 || gid < 0 || i >= argc) {
        usage();
    }
    char **command = argv + i;

    int result_fd = open(result, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (result_fd < 0) {
        die(result);
    }
    /* Orphans re-parent to us instead of escaping to PID 1, so the agent sees the whole tree. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    pid_t child = fork();
    if (child < 0) {
        die("fork");
    }
    if (child == 0) {
        reset_signals();
        if (setsid() < 0) { perror("soulbox-exec: setsid"); _exit(127); }
        set_limit(RLIMIT_CORE, 0, "core");
        if (nofile >= 0) set_limit(RLIMIT_NOFILE, (rlim_t)nofile, "nofile");
        if (fsize > 0) set_limit(RLIMIT_FSIZE, (rlim_t)fsize, "fsize");
        if (nproc > 0) set_limit(RLIMIT_NPROC, (rlim_t)nproc, "nproc");
        if (setgroups(0, NULL) != 0 && errno != EPERM) { perror("soulbox-exec: setgroups"); _exit(127); }
        if (setgid((gid_t)gid) != 0) { perror("soulbox-exec: setgid"); _exit(127); }
        if (setuid((uid_t)uid) != 0) { perror("soulbox-exec: setuid"); _exit(127); }
        if (chdir(cwd) != 0) {
            fprintf(stderr, "soulbox-exec: chdir %s: %s\n", cwd, strerror(errno));
            _exit(127);
        }
        execvp(command[0], command);
        fprintf(stderr, "soulbox-exec: %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }

    /* Signals aimed at the helper must not orphan the child; the agent kills the tree itself. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    char line[256];
    snprintf(line, sizeof line, "{\"pid\":%d}\n", (int)child);
    write_all(result_fd, line);

    int status = 0;
    struct rusage usage_of_child;
    while (wait4(child, &status, 0, &usage_of_child) < 0) {
        if (errno != EINTR) {
            die("wait4");
        }
    }

    kill_leftovers(child);

    struct rusage usage_of_children;
    memset(&usage_of_children, 0, sizeof usage_of_children);
    getrusage(RUSAGE_CHILDREN, &usage_of_children);
    long long cpu_ms =
        ((long long)usage_of_children.ru_utime.tv_sec + usage_of_children.ru_stime.tv_sec) * 1000LL +
        ((long long)usage_of_children.ru_utime.tv_usec + usage_of_children.ru_stime.tv_usec) / 1000LL;

    char exit_code[32] = "null", signal_number[32] = "null";
    if (WIFEXITED(status)) {
        snprintf(exit_code, sizeof exit_code, "%d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(signal_number, sizeof signal_number, "%d", WTERMSIG(status));
    }
    snprintf(line, sizeof line, "{\"exitCode\":%s,\"signal\":%s,\"cpuMs\":%lld,\"peakRssKb\":%ld}\n",
             exit_code, signal_number, cpu_ms, usage_of_children.ru_maxrss);
    write_all(result_fd, line);
    close(result_fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
    }
    if (strcmp(argv[1], "init") == 0) {
        if (argc < 4 || strcmp(argv[2], "--") != 0) {
            usage();
        }
        return run_init(argv + 3);
    }
    if (strcmp(argv[1], "run") == 0) {
        return run_child(argc - 2, argv + 2);
    }
    usage();
    return 126;
}
