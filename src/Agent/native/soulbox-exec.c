/*
 * soulbox-exec: the agent's tiny static helper. It is C because it must fork, drop privileges and
 * exec safely, which a .NET runtime cannot do between fork and exec.
 *
 *   soulbox-exec init -- <argv...>
 *     PID 1 of a container: runs argv (the agent), forwards SIGTERM/SIGINT/SIGHUP to it, reaps every
 *     orphan, and exits with the agent's status when the agent exits.
 *
 *   soulbox-exec run --result FILE --uid N --gid N --cwd DIR [--nofile N] [--fsize BYTES] [--nproc N]
 *                    [--env NAME=VALUE]... -- <argv...>
 *     The agent starts this helper (root) with an EMPTY environment, so nothing a caller chose (say
 *     GLIBC_TUNABLES, which even a static glibc reads) reaches a root process; the --env pairs are the
 *     program's environment and are used only by the final execve, after the drop to uid/gid.
 *     uid 0 and gid 0 are refused, and a failing setgroups (even EPERM) is fatal: a child that kept
 *     root's supplementary groups would not be the unprivileged user the agent asked for.
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
 *
 *   soulbox-exec killuser --uid N --gid N
 *     SIGKILLs every process of uid N in this pid namespace in a way that cannot be outrun (see
 *     kill_user below). Exits 0 when none is left alive.
 *
 *   soulbox-exec reset --uid N --gid N --work DIR --tmp DIR [--shm DIR] [--mqueue DIR]
 *     Returns a one-shot executor to a clean state, as root: kills every process of the uid, removes
 *     every SysV IPC object the uid owns or created, unlinks every POSIX message queue in the mqueue
 *     DIR, and empties each root without following a single symlink, then gives it back its owner
 *     and mode (work: uid:gid 0755; tmp and shm: root 1777). It needs CAP_CHOWN, CAP_SETUID and
 *     CAP_SETGID only: the kill and the IPC removal run as the user, and root takes each directory
 *     (chown to itself) before emptying it, so neither DAC_OVERRIDE nor FOWNER is used.
 *
 *   killuser and reset print nothing and exit 0 on success; on failure one line
 *   "soulbox-exec: <what>: <error>" on stderr and exit 1 (126 on usage errors).
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
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

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
            "       soulbox-exec run --result FILE --uid N --gid N --cwd DIR [--nofile N] [--fsize BYTES] [--nproc N]\n"
            "                        [--env NAME=VALUE]... -- <argv...>\n"
            "       soulbox-exec killuser --uid N --gid N\n"
            "       soulbox-exec reset --uid N --gid N --work DIR --tmp DIR [--shm DIR] [--mqueue DIR]\n");
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

/* Ids of the unprivileged user: root (0) is refused, as is anything that is not a plain id. */
static long parse_id(const char *text, const char *flag)
{
    long value = parse_long(text, flag);
    if (value == 0 || value > 0x7fffffffL) {
        fprintf(stderr, "soulbox-exec: %s must name an unprivileged id, not %s\n", flag, text);
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

/* Reads the start of /proc/<pid>/<file> into `buffer` as a string; 0 when the process is gone or the file
 * is empty. One read: stat and the status fields used here fit in the first page. */
static int read_proc_file(const char *pid, const char *file, char *buffer, size_t size)
{
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/%s", pid, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t length = read(fd, buffer, size - 1);
    close(fd);
    if (length <= 0) {
        return 0;
    }
    buffer[length] = '\0';
    return 1;
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
        char buffer[512];
        if (!read_proc_file(entry->d_name, "stat", buffer, sizeof buffer)) {
            continue;
        }
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

static void raise_oom_score(void)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        write_all(fd, "1000");
        close(fd);
    }
}

static int run_child(int argc, char **argv)
{
    const char *result = NULL, *cwd = NULL;
    long uid = -1, gid = -1, nofile = -1, fsize = -1, nproc = -1;
    /* At most one --env per two arguments, plus the terminating NULL. */
    char **env = calloc((size_t)argc / 2 + 1, sizeof *env);
    size_t env_count = 0;
    if (env == NULL) {
        die("calloc");
    }
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
        else if (strcmp(flag, "--uid") == 0) uid = parse_id(value, flag);
        else if (strcmp(flag, "--gid") == 0) gid = parse_id(value, flag);
        else if (strcmp(flag, "--env") == 0 && strchr(value, '=') != NULL && value[0] != '=') env[env_count++] = (char *)value;
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
        /* User code goes first when the container hits its memory limit: at the top score every user process
         * outranks the agent and its helpers (score 0) whatever their sizes. Raising needs no privilege; a
         * negative score for the agent instead would need CAP_SYS_RESOURCE, which Docker here refuses. */
        raise_oom_score();
        set_limit(RLIMIT_CORE, 0, "core");
        if (nofile >= 0) set_limit(RLIMIT_NOFILE, (rlim_t)nofile, "nofile");
        if (fsize > 0) set_limit(RLIMIT_FSIZE, (rlim_t)fsize, "fsize");
        if (nproc > 0) set_limit(RLIMIT_NPROC, (rlim_t)nproc, "nproc");
        if (setgroups(0, NULL) != 0) { perror("soulbox-exec: setgroups"); _exit(127); }
        if (setgid((gid_t)gid) != 0) { perror("soulbox-exec: setgid"); _exit(127); }
        if (setuid((uid_t)uid) != 0) { perror("soulbox-exec: setuid"); _exit(127); }
        if (chdir(cwd) != 0) {
            fprintf(stderr, "soulbox-exec: chdir %s: %s\n", cwd, strerror(errno));
            _exit(127);
        }
        /* Only now, as the user, the caller's environment: execvp searches its PATH. */
        environ = env;
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

/* ---- killuser and reset ------------------------------------------------------------------- */

/* One failure line and exit 1: killuser and reset report only on failure. */
static void fail(const char *what, int error)
{
    fprintf(stderr, "soulbox-exec: %s: %s\n", what, strerror(error));
    exit(1);
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

/* Whether a process whose real uid is `uid`, other than us, is still alive (not a zombie). */
static int user_has_live_process(long uid)
{
    DIR *proc = opendir("/proc");
    if (proc == NULL) {
        return 1;
    }
    int found = 0;
    struct dirent *entry;
    while (!found && (entry = readdir(proc)) != NULL) {
        if (entry->d_name[0] < '1' || entry->d_name[0] > '9' || atol(entry->d_name) == (long)getpid()) {
            continue;
        }
        char buffer[4096];
        if (!read_proc_file(entry->d_name, "status", buffer, sizeof buffer)) {
            continue;
        }
        char *state = strstr(buffer, "\nState:\t"), *real = strstr(buffer, "\nUid:\t");
        if (state != NULL && real != NULL && state[8] != 'Z' && state[8] != 'X' && atol(real + 6) == uid) {
            found = 1;
        }
    }
    closedir(proc);
    return found;
}

/* Removes every SysV IPC object of one kind (/proc/sysvipc/shm, msg or sem) that `uid` owns or
 * created. Runs as that uid: without CAP_SYS_ADMIN/CAP_IPC_OWNER (which containers do not get) only
 * the owner or creator may IPC_RMID an object, root included. Returns 0 or an errno. */
static int remove_ipc(const char *kind, long uid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *table = fopen(path, "re");
    if (table == NULL) {
        return errno == ENOENT ? 0 : errno; /* a kernel without SysV IPC has nothing to remove */
    }
    /* Columns differ per kind; find them by the header's names: "key <id> perms ... uid gid cuid cgid ...". */
    char line[1024];
    int uid_column = -1, cuid_column = -1, result = 0;
    if (fgets(line, sizeof line, table) != NULL) {
        int column = 0;
        for (char *save = NULL, *word = strtok_r(line, " \t\n", &save); word != NULL; word = strtok_r(NULL, " \t\n", &save), column++) {
            if (strcmp(word, "uid") == 0) uid_column = column;
            else if (strcmp(word, "cuid") == 0) cuid_column = column;
        }
    }
    while (uid_column > 1 && cuid_column > 1 && fgets(line, sizeof line, table) != NULL) {
        long id = -1, owner = -1, creator = -1;
        int column = 0;
        for (char *save = NULL, *word = strtok_r(line, " \t\n", &save); word != NULL; word = strtok_r(NULL, " \t\n", &save), column++) {
            if (column == 1) id = atol(word);
            else if (column == uid_column) owner = atol(word);
            else if (column == cuid_column) creator = atol(word);
        }
        if (id < 0 || (owner != uid && creator != uid)) {
            continue;
        }
        int removed = strcmp(kind, "shm") == 0 ? shmctl((int)id, IPC_RMID, NULL)
                    : strcmp(kind, "msg") == 0 ? msgctl((int)id, IPC_RMID, NULL)
                    : semctl((int)id, 0, IPC_RMID);
        if (removed != 0 && errno != EINVAL && errno != EIDRM) { /* EINVAL/EIDRM: already gone */
            result = errno;
        }
    }
    fclose(table);
    return result;
}

/* Kills every process of `uid` and (when `ipc`) removes its SysV IPC objects. A child becomes the
 * user (setgroups/setgid/setuid, so it holds no capability at all) and repeats kill(-1, SIGKILL):
 * as that uid, kill(-1) signals every process of the uid in the pid namespace but itself, and it
 * cannot be outrun by a process that keeps forking or calling setsid, because the kernel either
 * signals a child created during the sweep or aborts the fork of a parent it already signalled.
 * It stops when kill(-1) finds nobody (ESRCH) or only zombies are left (they are dead; their
 * parent reaps them). After setuid the child is not dumpable, so the user cannot ptrace it; if
 * the user's own kill(-1) hits it, the parent starts another. Returns 0 or an errno. */
static int kill_user(long uid, long gid, int ipc)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        pid_t killer = fork();
        if (killer < 0) {
            return errno;
        }
        if (killer == 0) {
            reset_signals();
            if (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0 || setuid((uid_t)uid) != 0) {
                _exit(2);
            }
            long long deadline = now_ms() + 10000;
            for (long round = 0;; round++) {
                if (kill(-1, SIGKILL) != 0) {
                    if (errno != ESRCH) _exit(3);
                    break;
                }
                /* Still signalled someone: give the dying a moment, and accept zombies as dead. */
                if (round >= 64) {
                    if (!user_has_live_process(uid)) break;
                    if (now_ms() > deadline) _exit(4);
                    usleep(1000);
                }
            }
            if (ipc && (remove_ipc("shm", uid) != 0 || remove_ipc("msg", uid) != 0 || remove_ipc("sem", uid) != 0)) {
                _exit(5);
            }
            _exit(0);
        }
        int status;
        while (waitpid(killer, &status, 0) < 0) {
            if (errno != EINTR) return errno;
        }
        if (WIFEXITED(status)) {
            switch (WEXITSTATUS(status)) {
            case 0: return 0;
            case 2: return EPERM;     /* could not become the user */
            case 4: return ETIMEDOUT; /* processes of the user survived 10 s of SIGKILLs */
            case 5: return EPERM;     /* an IPC object could not be removed */
            default: return EIO;
            }
        }
        /* Killed (by the user's own kill(-1), most likely): sweep again with a fresh killer. */
    }
    return EAGAIN;
}

/* Takes a directory (relative to `at`, never through a symlink) for root: makes it root:root 0700
 * through an O_PATH handle, then opens it for reading through that same handle. Owning it, root
 * can list and empty it with CAP_CHOWN alone, whatever mode the user left (000 included): neither
 * DAC_OVERRIDE nor FOWNER is relied on. All of the user's processes are dead by now, so nothing can
 * swap the directory between these steps, and each step acts on the handle, not on a path. */
static int take_directory(int at, const char *name)
{
    int handle = openat(at, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (handle < 0) {
        return -1;
    }
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", handle);
    int fd = -1;
    /* fchmod does not take an O_PATH handle; chmod of its magic link acts on the handle's directory. */
    if (fchownat(handle, "", 0, 0, AT_EMPTY_PATH) == 0 && chmod(self, 0700) == 0) {
        fd = openat(handle, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else if (errno == EBADF || errno == ENOENT) {
        /* gVisor (runsc) refuses fchownat on an O_PATH handle and has no magic links for them: act on the
         * name relative to its parent instead, never following a symlink. The handle above showed it is a
         * directory, and with every process of the user dead nothing can swap it in between. */
        if (fchownat(at, name, 0, 0, AT_SYMLINK_NOFOLLOW) == 0 && fchmodat(at, name, 0700, 0) == 0) {
            fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
    }
    int error = errno;
    close(handle);
    errno = error;
    return fd;
}

/* Past this depth a subtree is moved up into the root and emptied on a later pass, so neither the
 * stack nor the open descriptors grow with a hostile directory depth. */
#define MAX_DEPTH 64

static long moved_up = 0;

/* Deletes everything below the open directory `dir` (not `dir` itself); symlinks are removed as
 * links, never followed. Returns 0 or an errno; `*again` is set when a subtree was moved up. */
static int empty_directory(int dir, int root, int depth, int *again)
{
    int fd = dup(dir);
    DIR *listing = fd < 0 ? NULL : fdopendir(fd);
    if (listing == NULL) {
        return errno;
    }
    rewinddir(listing);
    int result = 0;
    struct dirent *entry;
    while (result == 0 && (entry = readdir(listing)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            continue;
        }
        struct stat info;
        if (fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
            result = errno == ENOENT ? 0 : errno;
            continue;
        }
        if (!S_ISDIR(info.st_mode)) {
            if (unlinkat(dir, name, 0) != 0 && errno != ENOENT) result = errno;
            continue;
        }
        if (depth >= MAX_DEPTH) {
            char target[64];
            snprintf(target, sizeof target, ".soulbox-reset-%ld", moved_up++);
            /* Moving a directory rewrites its "..": root must own it first. */
            int moved = take_directory(dir, name);
            if (moved < 0 || renameat(dir, name, root, target) != 0) result = errno;
            if (moved >= 0) close(moved);
            *again = 1;
            continue;
        }
        int child = take_directory(dir, name);
        if (child < 0) {
            result = errno;
            continue;
        }
        result = empty_directory(child, root, depth + 1, again);
        close(child);
        if (result == 0 && unlinkat(dir, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
            result = errno;
        }
    }
    closedir(listing);
    return result;
}

/* Empties a root directory as its owner, then gives it back its expected owner and mode (the user
 * may have changed the mode of a root it owns, e.g. chmod 0 of the work directory). */
static void reset_root(const char *path, uid_t owner, gid_t group, mode_t mode)
{
    int root = take_directory(AT_FDCWD, path);
    if (root < 0) fail(path, errno);
    for (int pass = 0;; pass++) {
        int again = 0, error = empty_directory(root, root, 0, &again);
        if (error != 0) fail(path, error);
        if (!again) break;
        if (pass > 100000) fail(path, ELOOP);
    }
    /* Mode first, while root still owns it (a chmod after giving it away would need FOWNER). */
    if (fchmod(root, mode) != 0) fail(path, errno);
    if (fchown(root, owner, group) != 0) fail(path, errno);
    close(root);
}

/* POSIX message queues live as files in the mqueue filesystem; unlinking a name removes the queue
 * (root may: it owns the sticky mount root). */
static void remove_message_queues(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *listing = fd < 0 ? NULL : fdopendir(fd);
    if (listing == NULL) fail(path, errno);
    struct dirent *entry;
    while ((entry = readdir(listing)) != NULL) {
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0
            && unlinkat(fd, entry->d_name, 0) != 0 && errno != ENOENT) {
            fail(path, errno);
        }
    }
    closedir(listing);
}

static int run_reset(int argc, char **argv, int kill_only)
{
    const char *work = NULL, *tmp = NULL, *shm = NULL, *mqueue = NULL;
    long uid = -1, gid = -1;
    for (int i = 0; i < argc; i += 2) {
        if (i + 1 >= argc) usage();
        const char *flag = argv[i], *value = argv[i + 1];
        if (strcmp(flag, "--uid") == 0) uid = parse_id(value, flag);
        else if (strcmp(flag, "--gid") == 0) gid = parse_id(value, flag);
        else if (!kill_only && strcmp(flag, "--work") == 0) work = value;
        else if (!kill_only && strcmp(flag, "--tmp") == 0) tmp = value;
        else if (!kill_only && strcmp(flag, "--shm") == 0) shm = value;
        else if (!kill_only && strcmp(flag, "--mqueue") == 0) mqueue = value;
        else usage();
    }
    if (uid < 0 || gid < 0 || (!kill_only && (work == NULL || tmp == NULL))) {
        usage();
    }
    umask(022);

    /* Processes first: nothing of the user may run (or hold IPC) while its files are removed. */
    int error = kill_user(uid, gid, !kill_only);
    if (error != 0) fail(kill_only ? "killuser" : "reset: processes and IPC of the user", error);
    if (kill_only) return 0;

    if (mqueue != NULL) remove_message_queues(mqueue);
    reset_root(work, (uid_t)uid, (gid_t)gid, 0755);
    reset_root(tmp, 0, 0, 01777);
    if (shm != NULL) reset_root(shm, 0, 0, 01777);
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
    if (strcmp(argv[1], "killuser") == 0 || strcmp(argv[1], "reset") == 0) {
        return run_reset(argc - 2, argv + 2, strcmp(argv[1], "killuser") == 0);
    }
    usage();
    return 126;
}
