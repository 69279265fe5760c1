//! The open-files limit, raised to fit `maxclients` as Redis's
//! `adjustOpenFilesLimit` does: each client is a file descriptor, plus 32
//! reserved for the server's own use. When the system refuses, maxclients
//! is lowered to what fits, and the log says so in Redis's words.

use crate::config::os_error;

/// Descriptors kept for listeners, files and the like.
const RESERVED_FDS: u64 = 32;

/// Returns the maxclients that fits; exits when not even the reserved
/// descriptors fit.
pub fn adjust_open_files_limit(maxclients: u64) -> u64 {
    let wanted = maxclients + RESERVED_FDS;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        crate::warning!(
            "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients configuration accordingly.",
            os_error(&std::io::Error::last_os_error())
        );
        return 1024 - RESERVED_FDS;
    }
    let old = limit.rlim_cur;
    if old >= wanted {
        return maxclients;
    }
    let mut best = wanted;
    let mut error = None;
    while best > old {
        let attempt = libc::rlimit {
            rlim_cur: best,
            rlim_max: best.max(limit.rlim_max),
        };
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &attempt) } != -1 {
            break;
        }
        error = Some(std::io::Error::last_os_error());
        if best < 16 {
            best = old;
            break;
        }
        best -= 16;
    }
    best = best.max(old);
    if best >= wanted {
        crate::notice!(
            "Increased maximum number of open files to {} (it was originally set to {}).",
            wanted,
            old
        );
        return maxclients;
    }
    if best <= RESERVED_FDS {
        crate::warning!(
            "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file limit to at least {}. Exiting.",
            old,
            wanted
        );
        std::process::exit(1);
    }
    let reduced = best - RESERVED_FDS;
    crate::warning!(
        "You requested maxclients of {} requiring at least {} max file descriptors.",
        maxclients,
        wanted
    );
    crate::warning!(
        "Server can't set maximum open files to {} because of OS error: {}.",
        wanted,
        error.map(|e| os_error(&e)).unwrap_or_default()
    );
    crate::warning!(
        "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        best,
        reduced
    );
    reduced
}
