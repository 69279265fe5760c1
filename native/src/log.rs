//! The server log, in Redis's line format:
//! `pid:role dd Mon yyyy hh:mm:ss.mmm <level> message`, where the level is
//! `.` debug, `-` verbose, `*` notice, `#` warning, and the role `M` for a
//! master (`S` replica, `C` child).
//!
//! Lines go to `logfile`, or to standard output when it is empty.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;

/// Verbosity levels, as Redis numbers them.
pub mod level {
    /// `-`
    pub const VERBOSE: u8 = 1;
    /// `*`
    pub const NOTICE: u8 = 2;
    /// `#`
    pub const WARNING: u8 = 3;
}

struct Sink {
    file: Option<File>,
    min_level: u8,
    role: char,
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

/// Opens the log: `path` empty means standard output. Fails as Redis does
/// when the file cannot be opened.
pub fn init(path: &str, min_level: u8) -> std::io::Result<()> {
    let file = if path.is_empty() {
        None
    } else {
        Some(OpenOptions::new().create(true).append(true).open(path)?)
    };
    *lock() = Some(Sink {
        file,
        min_level,
        role: 'M',
    });
    Ok(())
}

fn lock() -> std::sync::MutexGuard<'static, Option<Sink>> {
    SINK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Changes the role letter (`C` in a save child).
pub fn set_role(role: char) {
    if let Some(sink) = lock().as_mut() {
        sink.role = role;
    }
}

/// Changes the minimum level (CONFIG SET loglevel).
pub fn set_level(min_level: u8) {
    if let Some(sink) = lock().as_mut() {
        sink.min_level = min_level;
    }
}

/// Writes one line if `level` passes the configured verbosity.
pub fn log(level: u8, message: &str) {
    let mut guard = lock();
    let Some(sink) = guard.as_mut() else {
        eprintln!("{message}");
        return;
    };
    if level < sink.min_level {
        return;
    }
    let line = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        sink.role,
        timestamp(),
        ['.', '-', '*', '#'][level.min(3) as usize],
        message
    );
    let result = match sink.file.as_mut() {
        Some(file) => file.write_all(line.as_bytes()),
        None => std::io::stdout().write_all(line.as_bytes()),
    };
    // A log that cannot be written must not take the server down.
    drop(result);
}

/// `29 Mar 2024 00:20:56.521` in local time.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r only writes into the `tm` we own and reads the
    // time value we pass; a zeroed `tm` is a valid initial value.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&seconds, &mut tm);
        tm
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Logs at notice level.
#[macro_export]
macro_rules! notice {
    ($($arg:tt)*) => { $crate::log::log($crate::log::level::NOTICE, &format!($($arg)*)) };
}

/// Logs at warning level.
#[macro_export]
macro_rules! warning {
    ($($arg:tt)*) => { $crate::log::log($crate::log::level::WARNING, &format!($($arg)*)) };
}

/// Logs at verbose level.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => { $crate::log::log($crate::log::level::VERBOSE, &format!($($arg)*)) };
}
