//! RDB files on disk: the I/O half of persistence (core's
//! `engine::persistence` decides when). Saving writes `temp-<pid>.rdb` in
//! the working directory (`dir`), fsyncs it, renames it over `dbfilename`
//! and fsyncs the directory, so a crash mid-save leaves the previous dump
//! whole. Loading streams the file through core's `Loader` in chunks.
//!
//! # Background saves fork
//!
//! `BGSAVE` forks, exactly as Redis does. The server runs on one thread
//! (tokio's current-thread runtime, see `server`), so at the fork the
//! child gets a copy-on-write image of the keyspace in a consistent state:
//! no command is half-applied, no lock is held, nothing is copied up
//! front. The parent keeps serving at once; the kernel copies only the
//! pages that later writes touch. Clients see the latency Redis's BGSAVE
//! gives them: the fork itself (page tables), nothing per key.
//! Alternatives weighed: Dragonfly-style versioned buckets would need a
//! versioned `Dict` and serialization interleaved with command execution
//! (every write checking whether its bucket is saved yet); a deep copy of
//! the keyspace would stall every client for the whole copy and double
//! the memory at once.
//!
//! Fork in a threaded process is only safe if no other thread can hold a
//! lock the child needs. At the fork this process runs one thread that
//! matters: the runtime is current-thread, nothing here calls `spawn_blocking` or
//! `tokio::fs` (which would start the blocking pool), and tokio's signal
//! handling is a self-pipe without a thread. The one other thread, the
//! AOF's `everysec` fsync (`aof`), holds no lock the child could need: it
//! waits on its channel and calls `fdatasync`. The child touches neither
//! tokio nor any socket: it encodes, writes its own file, and leaves with
//! `_exit`, running no destructor and no atexit handler. jemalloc, the
//! only shared library state it uses, is fork-safe (its `pthread_atfork`
//! handlers), as Redis relies on too.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use vitrine_core::engine::persistence::{ChildExit, SaveRequest, SIGUSR1};
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::encoder::{write_keyspace, Sink};
use vitrine_core::rdb::load::{LoadReport, Loader};
use vitrine_core::rdb::{DecodeError, LoadOptions};

/// Bytes read from the dump per step while loading.
const LOAD_CHUNK: usize = 256 * 1024;

/// The encoder's sink: the temporary file. The encoder hands over 64 KiB
/// chunks, so no further buffering is needed.
struct FileSink(File);

impl Sink for FileSink {
    type Error = std::io::Error;
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), std::io::Error> {
        self.0.write_all(bytes)
    }
}

fn os_error(error: &std::io::Error) -> String {
    crate::config::os_error(error)
}

fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".into())
}

/// The temporary file a save by process `pid` writes.
pub fn temp_name(pid: u32) -> String {
    format!("temp-{pid}.rdb")
}

/// Encodes the keyspace into `sink`, sleeping `key_delay_us` after each
/// key when set (`rdb-key-save-delay`).
fn encode(keyspace: &Keyspace, request: &SaveRequest<'_>, sink: FileSink) -> Result<FileSink, std::io::Error> {
    let delay = std::time::Duration::from_micros(request.key_delay_us.max(0) as u64);
    write_keyspace(keyspace, &request.aux, request.options, sink, || {
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    })
}

/// Writes the dump as process `pid` (`rdbSave`): temporary file, fsync,
/// rename, fsync of the directory. `Err` is Redis's log line.
pub fn save(keyspace: &Keyspace, request: &SaveRequest<'_>, pid: u32) -> Result<(), String> {
    let temp = temp_name(pid);
    let file = File::create(&temp).map_err(|e| {
        format!(
            "Failed opening the temp RDB file {} (in server root dir {}) for saving: {}",
            temp,
            cwd(),
            os_error(&e)
        )
    })?;
    let fail = |operation: &str, error: std::io::Error| {
        let _ = std::fs::remove_file(&temp);
        format!("Write error saving DB on disk({}): {}", operation, os_error(&error))
    };
    let FileSink(file) = encode(keyspace, request, FileSink(file)).map_err(|e| fail("rdbSaveRio", e))?;
    file.sync_all().map_err(|e| fail("fsync", e))?;
    drop(file);
    if let Err(error) = std::fs::rename(&temp, request.filename) {
        let _ = std::fs::remove_file(&temp);
        return Err(format!(
            "Error moving temp DB file {} on the final destination {} (in server root dir {}): {}",
            temp,
            request.filename,
            cwd(),
            os_error(&error)
        ));
    }
    let directory = Path::new(request.filename)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(directory)
        .and_then(|dir| dir.sync_all())
        .map_err(|e| format!("Write error saving DB on disk(fsyncFileDir): {}", os_error(&e)))?;
    Ok(())
}

/// Forks a child that writes the dump and exits (`rdbSaveBackground`);
/// returns its pid. See the module documentation for why a fork.
pub fn fork_save(keyspace: &Keyspace, request: &SaveRequest<'_>) -> Result<u32, String> {
    fork_child(|| match save(keyspace, request, std::process::id()) {
        Ok(()) => {
            crate::notice!("DB saved on disk");
            0
        }
        Err(message) => {
            crate::warning!("{}", message);
            1
        }
    })
}

/// Forks a child that runs `work` and exits with the code it returns (a
/// panic exits with 1); returns the child's pid. `work` must only encode
/// and write its own files (module documentation).
pub fn fork_child(work: impl FnOnce() -> i32) -> Result<u32, String> {
    // SAFETY: the process is single-threaded here (module doc), so the
    // child's copy of every lock is free. The child only runs `work` and
    // calls `_exit`; it never returns into the caller.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        crate::log::set_role('C');
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or(1);
        // SAFETY: `_exit` ends the child without unwinding into the
        // parent's stack image or running its destructors.
        unsafe { libc::_exit(code) }
    }
    if pid < 0 {
        return Err(os_error(&std::io::Error::last_os_error()));
    }
    Ok(pid as u32)
}

/// Forks a child that writes the dump into a pipe rather than a file
/// (`rdbSaveToSlavesSockets`, diskless replication), then `end_mark`;
/// returns its pid and the pipe's read end, which the parent reads in its
/// event loop. The same single-thread reasoning as [`fork_save`] applies.
pub fn fork_stream(
    keyspace: &Keyspace,
    request: &SaveRequest<'_>,
    end_mark: &[u8],
) -> Result<(u32, std::os::fd::OwnedFd), String> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array we own.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(os_error(&std::io::Error::last_os_error()));
    }
    // SAFETY: both descriptors were just created and are owned only here.
    let (read_end, write_end) = unsafe {
        (
            std::os::fd::OwnedFd::from_raw_fd(fds[0]),
            std::os::fd::OwnedFd::from_raw_fd(fds[1]),
        )
    };
    // SAFETY: as in `fork_save`: one thread; the child only encodes into
    // its end of the pipe and calls `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        crate::log::set_role('C');
        drop(read_end);
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let written = encode(keyspace, request, FileSink(File::from(write_end)))
                .and_then(|FileSink(mut pipe)| pipe.write_all(end_mark));
            match written {
                Ok(()) => 0,
                Err(error) => {
                    crate::warning!("Write error saving DB to the replicas' pipe: {}", os_error(&error));
                    1
                }
            }
        }))
        .unwrap_or(1);
        // SAFETY: as in `fork_save`.
        unsafe { libc::_exit(code) }
    }
    drop(write_end);
    if pid < 0 {
        return Err(os_error(&std::io::Error::last_os_error()));
    }
    Ok((pid as u32, read_end))
}

/// Whether child `pid` ended, without waiting (`waitpid` `WNOHANG`). A
/// child ended by a signal leaves its temporary file: it is removed.
pub fn poll_child(pid: u32) -> Option<ChildExit> {
    let mut status: libc::c_int = 0;
    // SAFETY: waitpid writes the status into the integer we own.
    let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
    if reaped == 0 {
        return None;
    }
    if reaped < 0 {
        // Not our child any more (already reaped): report it as failed.
        return Some(ChildExit::Exited(1));
    }
    if libc::WIFSIGNALED(status) {
        let _ = std::fs::remove_file(temp_name(pid));
        Some(ChildExit::Signaled(libc::WTERMSIG(status)))
    } else {
        Some(ChildExit::Exited(libc::WEXITSTATUS(status)))
    }
}

/// Ends child `pid` with `SIGUSR1` (`killRDBChild`) and removes its
/// temporary file; it is reaped later by [`poll_child`].
pub fn kill_child(pid: u32) {
    // SAFETY: kill has no memory effects; the pid is our own child, not
    // yet reaped, so it cannot have been reused.
    unsafe {
        libc::kill(pid as libc::pid_t, SIGUSR1);
    }
    let _ = std::fs::remove_file(temp_name(pid));
}

/// Why a dump could not be loaded.
pub enum LoadError {
    /// The file could not be read.
    Io(std::io::Error),
    /// Its content is not a valid RDB.
    Decode(DecodeError),
}

impl LoadError {
    /// Redis's log lines for this failure.
    pub fn log_lines(&self) -> Vec<String> {
        match self {
            LoadError::Io(error) => vec![format!("Fatal error loading the DB: {}. Exiting.", os_error(error))],
            LoadError::Decode(error) => {
                let mut lines = Vec::new();
                if error.is_truncation() {
                    lines.push("Short read or OOM loading DB. Unrecoverable error, aborting now.".to_string());
                }
                lines.push(format!(
                    "Internal error in RDB reading offset {}, function at rdb.rs -> {}",
                    error.offset, error.reason
                ));
                lines.push("Terminating server after rdb file reading failure.".to_string());
                lines
            }
        }
    }
}

/// Loads the dump at `path` into `keyspace` as a master does (expired keys
/// dropped), streaming it in chunks. `Ok(None)`: there is no such file.
pub fn load(
    path: &str,
    keyspace: &mut Keyspace,
    options: LoadOptions,
    now_ms: i64,
) -> Result<Option<LoadReport>, LoadError> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(LoadError::Io(error)),
    };
    let size = file.metadata().map(|m| m.len()).ok();
    let mut loader = Loader::new(options, now_ms, true, size);
    let mut chunk = vec![0u8; LOAD_CHUNK];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(LoadError::Io(error)),
        };
        loader.feed(keyspace, &chunk[..n]).map_err(LoadError::Decode)?;
        if loader.is_done() {
            break;
        }
    }
    loader.finish().map(Some).map_err(LoadError::Decode)
}

/// Redis's notices about a loaded dump: its aux fields, then the counts
/// (`rdbLoadRio`).
pub fn log_report(report: &LoadReport, now_s: i64) {
    for (key, value) in &report.aux {
        let value = String::from_utf8_lossy(value);
        match key.to_ascii_lowercase().as_slice() {
            b"redis-ver" => crate::notice!("Loading RDB produced by version {}", value),
            b"ctime" => {
                let ctime: i64 = value.trim().parse().unwrap_or(0);
                crate::notice!("RDB age {} seconds", (now_s - ctime).max(0));
            }
            b"used-mem" => {
                let used: i64 = value.trim().parse().unwrap_or(0);
                crate::notice!(
                    "RDB memory usage when created {:.2} Mb",
                    used as f64 / (1024.0 * 1024.0)
                );
            }
            b"aof-base" if value.trim() != "0" => crate::notice!("RDB is base AOF"),
            _ => {}
        }
    }
    if report.functions_skipped > 0 {
        crate::warning!(
            "RDB holds {} function libraries: skipped, vitrine runs no scripts.",
            report.functions_skipped
        );
    }
    if report.checksum == Some(vitrine_core::rdb::decoder::Checksum::Disabled) {
        crate::warning!("RDB file was saved with checksum disabled: no check performed.");
    }
    if report.empty_keys_skipped > 0 {
        crate::warning!(
            "Done loading RDB, keys loaded: {}, keys expired: {}, empty keys skipped: {}.",
            report.keys_loaded,
            report.keys_expired,
            report.empty_keys_skipped
        );
    } else {
        crate::notice!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            report.keys_loaded,
            report.keys_expired
        );
    }
}
