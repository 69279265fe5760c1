//! `daemonize yes` and `pidfile`, as Redis does them: fork, let the parent
//! exit, start a new session, point the standard streams at /dev/null.

/// The pid file written when daemonized without a `pidfile` directive.
/// (Redis uses /var/run/redis.pid; a different name keeps the two apart.)
pub const DEFAULT_PIDFILE: &str = "/var/run/vitrine.pid";

/// Detaches from the terminal. Must run before any thread is started.
pub fn daemonize() {
    // SAFETY: called from main before the runtime or any other thread
    // exists, so the child continues with the only thread; the libc calls
    // take no pointers except the NUL-terminated path literal.
    unsafe {
        match libc::fork() {
            -1 => {
                eprintln!("fork failed: {}", std::io::Error::last_os_error());
                std::process::exit(1);
            }
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
        }
    }
}

/// Writes the pid file, best effort as Redis does.
pub fn write_pidfile(path: &str) {
    if let Err(error) = std::fs::write(path, format!("{}\n", std::process::id())) {
        crate::warning!("Failed to write PID file: {}", crate::config::os_error(&error));
    }
}
