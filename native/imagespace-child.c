/*
 * imagespace-child: runs a long-lived helper program (exiftool -stay_open) so that it dies with the Image Space
 * process that started it, even when that process is killed with SIGKILL and has no chance to clean up.
 *
 * Usage: imagespace-child PARENT_PID PROGRAM [ARGS...]
 *
 * Why not just exec PROGRAM after prctl(PR_SET_PDEATHSIG): Linux sends the death signal when the *thread* that forked
 * the child exits, not the process (prctl(2): "the parent is the thread that created this process"). .NET starts a
 * process from whichever pool thread asked for it, and pool threads retire when idle, which would kill a healthy
 * exiftool in the middle of a batch. exiftool itself does not notice its parent going away: with "-@ -" it keeps
 * polling stdin after EOF (checked with exiftool 12.x), which is how orphans were left after every killed batch.
 *
 * So this launcher stays in between: it forks PROGRAM with PR_SET_PDEATHSIG=SIGKILL (its parent thread is this
 * single-threaded launcher, which lives exactly as long as the launcher), and waits for either PROGRAM to exit (its
 * status is passed on) or the Image Space process to end (a pidfd on PARENT_PID becomes readable, pidfd_open(2); on
 * kernels without pidfd, getppid() is polled). Then it exits, and the kernel kills PROGRAM. stdin/stdout/stderr are
 * inherited, so the protocol with PROGRAM is unchanged. SIGTERM/SIGINT/SIGHUP to the launcher are passed on.
 *
 * Both run in a process group of their own: Ctrl-C in a terminal signals the whole foreground group, and Image Space
 * then finishes the images in flight, which need exiftool (it used to die with the keystroke and fail them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static volatile pid_t child = -1;

static void forward(int sig)
{
    if (child > 0) kill(child, sig);
}

int main(int argc, char **argv)
{
    if (argc < 3)
    {
        fprintf(stderr, "usage: imagespace-child PARENT_PID PROGRAM [ARGS...]\n");
        return 127;
    }
    pid_t parent = (pid_t)atol(argv[1]);
    /* Started by someone else, or Image Space already gone: run nothing. */
    if (parent <= 1 || getppid() != parent) return 127;
    setpgid(0, 0);

    child = fork();
    if (child < 0)
    {
        perror("imagespace-child: fork");
        return 127;
    }
    if (child == 0)
    {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) _exit(127); /* the launcher died before prctl took effect */
        execvp(argv[2], argv + 2);
        fprintf(stderr, "imagespace-child: cannot run %s\n", argv[2]);
        _exit(127);
    }
    struct sigaction sa = {0};
    sa.sa_handler = forward;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int parent_fd = (int)syscall(SYS_pidfd_open, parent, 0);
    int child_fd = (int)syscall(SYS_pidfd_open, child, 0);
    for (;;)
    {
        int status;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (getppid() != parent) break; /* Image Space is gone: exit, the kernel kills the child */
        if (parent_fd >= 0 && child_fd >= 0)
        {
            struct pollfd fds[2] = {{parent_fd, POLLIN, 0}, {child_fd, POLLIN, 0}};
            if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
            if (fds[0].revents) break;
        }
        else usleep(200 * 1000);
    }
    kill(child, SIGKILL);
    return 137;
}
