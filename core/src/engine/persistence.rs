//! RDB persistence: what Redis 7.0 decides in `rdb.c` (`SAVE`, `BGSAVE`,
//! the background save's end), `serverCron` (save points, a scheduled
//! `BGSAVE`) and `finishShutdown` (the final snapshot).
//!
//! The engine decides *when* to save and keeps the counters `INFO
//! persistence` shows; the [`Host`](super::Host) does the I/O: it writes
//! the file ([`Host::save_rdb`](super::Host::save_rdb)), forks a child
//! for a background save and reaps it
//! ([`Host::start_background_save`](super::Host::start_background_save),
//! [`Host::poll_background_save`](super::Host::poll_background_save)) and
//! reads a dump back ([`Host::load_rdb`](super::Host::load_rdb)). This
//! module never touches a file, a clock or a process.
//!
//! The dirty counter is Redis's `server.dirty`: [`Stats::dirty`], the sum
//! of every command's `ctx.dirty(n)`. A save zeroes it; a background save
//! subtracts what it had when the child was forked, since later writes are
//! not in the file.
//!
//! [`Stats::dirty`]: super::stats::Stats::dirty

use super::{Server, REDIS_VERSION};
use crate::config::Id;
use crate::keyspace::Keyspace;
use crate::rdb::encoder::{Aux, SaveOptions};
use crate::rdb::load::LoadReport;
use crate::rdb::LoadOptions;
use alloc::format;

/// Seconds between an automatic `BGSAVE` that failed and the next try
/// (`CONFIG_BGSAVE_RETRY_DELAY`).
pub const BGSAVE_RETRY_DELAY_S: i64 = 5;

/// `SIGUSR1`: the signal that ends a save child on purpose (FLUSHALL,
/// SHUTDOWN), which Redis does not count as a failure.
pub const SIGUSR1: i32 = 10;

/// How a background save child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildExit {
    /// It exited with this code: 0 is success.
    Exited(i32),
    /// A signal ended it.
    Signaled(i32),
}

/// What a host needs to write a dump.
#[derive(Clone, Debug)]
pub struct SaveRequest<'a> {
    /// `dbfilename`, relative to the working directory (`dir`).
    pub filename: &'a str,
    /// The auxiliary fields.
    pub aux: Aux<'a>,
    /// Encoding settings.
    pub options: SaveOptions,
    /// `rdb-key-save-delay`: microseconds to sleep after each key (a
    /// testing aid that makes a background save last).
    pub key_delay_us: i64,
}

/// Persistence state (Redis's `server.lastbgsave_status`,
/// `rdb_save_time_start`, `stat_rdb_saves`, …). The time of the last
/// successful save is [`Server::lastsave`].
#[derive(Clone, Debug)]
pub struct Persistence {
    /// `server.dirty` when the running background save forked.
    pub dirty_before_bgsave: u64,
    /// When the last background save was attempted (Unix seconds).
    pub last_bgsave_try: i64,
    /// Whether the last background save succeeded (`rdb_last_bgsave_status`).
    pub last_bgsave_ok: bool,
    /// When the running background save started (Unix seconds), if one runs.
    pub bgsave_started: Option<i64>,
    /// The pid of the running save child.
    pub child_pid: Option<u32>,
    /// How long the last background save took (`rdb_last_bgsave_time_sec`),
    /// -1 before the first.
    pub last_bgsave_seconds: i64,
    /// `rdb_saves`: SAVE and BGSAVE attempts.
    pub saves: u64,
    /// `total_forks`.
    pub forks: u64,
    /// A `BGSAVE` asked for while it could not start yet.
    pub bgsave_scheduled: bool,
    /// `rdb_last_load_keys_loaded`.
    pub last_load_keys_loaded: u64,
    /// `rdb_last_load_keys_expired`.
    pub last_load_keys_expired: u64,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            dirty_before_bgsave: 0,
            last_bgsave_try: 0,
            last_bgsave_ok: true,
            bgsave_started: None,
            child_pid: None,
            last_bgsave_seconds: -1,
            saves: 0,
            forks: 0,
            bgsave_scheduled: false,
            last_load_keys_loaded: 0,
            last_load_keys_expired: 0,
        }
    }
}

impl Persistence {
    /// Whether a background save child is running.
    pub fn bgsave_in_progress(&self) -> bool {
        self.bgsave_started.is_some()
    }

    /// Records a finished load (`rdb_last_load_keys_*`).
    pub fn record_load(&mut self, report: &LoadReport) {
        self.last_load_keys_loaded = report.keys_loaded;
        self.last_load_keys_expired = report.keys_expired;
    }
}

/// Why a save did not happen; the details are in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveFailed;

/// Runs `f` with the save request for the current configuration.
fn with_request<R>(server: &mut Server, f: impl FnOnce(&mut Server, &SaveRequest<'_>) -> R) -> R {
    let used_mem = server.host.info().used_memory;
    let filename = alloc::string::String::from(server.config.text(Id::Dbfilename));
    let request = SaveRequest {
        filename: &filename,
        aux: Aux {
            redis_ver: REDIS_VERSION,
            ctime: server.now_ms / 1000,
            used_mem,
            // `rdbPopulateSaveInfo` gives no replication info to a master
            // without a backlog, which is all this server is so far.
            replication: None,
            aof_base: false,
        },
        options: SaveOptions::from_config(&server.config),
        key_delay_us: server.config.int(Id::RdbKeySaveDelay),
    };
    f(server, &request)
}

/// A synchronous save (`rdbSave`): the file is written and renamed into
/// place before this returns; the dirty counter is zeroed on success.
pub fn save(keyspace: &Keyspace, server: &mut Server) -> Result<(), SaveFailed> {
    let result = with_request(server, |server, request| server.host.save_rdb(keyspace, request));
    match result {
        Ok(()) => {
            server.log(2, "DB saved on disk");
            server.stats.dirty = 0;
            server.lastsave = server.now_ms / 1000;
            server.persistence.last_bgsave_ok = true;
            Ok(())
        }
        Err(message) => {
            server.log(3, &message);
            Err(SaveFailed)
        }
    }
}

/// Starts a background save (`rdbSaveBackground`); fails when one runs or
/// the fork fails.
pub fn background_save(keyspace: &Keyspace, server: &mut Server) -> Result<(), SaveFailed> {
    if server.persistence.bgsave_in_progress() {
        return Err(SaveFailed);
    }
    server.persistence.saves += 1;
    server.persistence.dirty_before_bgsave = server.stats.dirty;
    server.persistence.last_bgsave_try = server.now_ms / 1000;
    let result = with_request(server, |server, request| {
        server.host.start_background_save(keyspace, request)
    });
    match result {
        Ok(pid) => {
            server.persistence.forks += 1;
            server.log(2, &format!("Background saving started by pid {}", pid));
            server.persistence.bgsave_started = Some(server.now_ms / 1000);
            server.persistence.child_pid = Some(pid);
            Ok(())
        }
        Err(reason) => {
            server.persistence.last_bgsave_ok = false;
            server.log(3, &format!("Can't save in background: fork: {}", reason));
            Err(SaveFailed)
        }
    }
}

/// The save child ended (`backgroundSaveDoneHandlerDisk`).
pub fn background_save_done(server: &mut Server, exit: ChildExit) {
    let Some(started) = server.persistence.bgsave_started.take() else {
        return;
    };
    server.persistence.child_pid = None;
    let now_s = server.now_ms / 1000;
    match exit {
        ChildExit::Exited(0) => {
            server.log(2, "Background saving terminated with success");
            server.stats.dirty = server
                .stats
                .dirty
                .saturating_sub(server.persistence.dirty_before_bgsave);
            server.lastsave = now_s;
            server.persistence.last_bgsave_ok = true;
        }
        ChildExit::Exited(_) => {
            server.log(3, "Background saving error");
            server.persistence.last_bgsave_ok = false;
        }
        ChildExit::Signaled(signal) => {
            server.log(3, &format!("Background saving terminated by signal {}", signal));
            if signal != SIGUSR1 {
                server.persistence.last_bgsave_ok = false;
            }
        }
    }
    server.persistence.last_bgsave_seconds = now_s - started;
}

/// Ends a running save child on purpose (`killRDBChild`); the host reaps
/// it later and [`background_save_done`] sees `SIGUSR1`.
pub fn kill_background_save(server: &mut Server) {
    if server.persistence.bgsave_in_progress() {
        server.host.kill_background_save();
    }
}

/// Periodic persistence work (`serverCron`): reap a finished child, else
/// start a background save when a save point is reached or one was
/// scheduled.
pub fn cron(keyspace: &Keyspace, server: &mut Server) {
    if server.persistence.bgsave_in_progress() {
        if let Some(exit) = server.host.poll_background_save() {
            background_save_done(server, exit);
        }
        return;
    }
    let now_s = server.now_ms / 1000;
    let retry_allowed =
        now_s - server.persistence.last_bgsave_try > BGSAVE_RETRY_DELAY_S || server.persistence.last_bgsave_ok;
    let dirty = server.stats.dirty;
    let since_save = now_s - server.lastsave;
    let due = server
        .config
        .save_points()
        .iter()
        .find(|point| dirty >= point.changes && since_save > point.seconds as i64 && retry_allowed)
        .copied();
    if let Some(point) = due {
        server.log(
            2,
            &format!("{} changes in {} seconds. Saving...", point.changes, point.seconds),
        );
        let _ = background_save(keyspace, server);
        return;
    }
    if server.persistence.bgsave_scheduled && retry_allowed && background_save(keyspace, server).is_ok() {
        server.persistence.bgsave_scheduled = false;
    }
}

/// How to shut down (`SHUTDOWN` options, `shutdown-on-sig*` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShutdownFlags {
    /// Save even without save points.
    pub save: bool,
    /// Do not save even with save points.
    pub nosave: bool,
    /// Exit even if the save fails.
    pub force: bool,
}

impl ShutdownFlags {
    /// The flags of a `shutdown-on-sigterm`/`shutdown-on-sigint` value
    /// (bits: 1 save, 2 nosave, 4 now, 8 force).
    pub fn from_bits(bits: i64) -> Self {
        ShutdownFlags {
            save: bits & 1 != 0,
            nosave: bits & 2 != 0,
            force: bits & 8 != 0,
        }
    }
}

/// The persistence part of `finishShutdown`: stops a save child and
/// writes the final snapshot when save points exist or SAVE was given.
/// An error means the server must keep running (unless FORCE).
pub fn prepare_shutdown(keyspace: &Keyspace, server: &mut Server, flags: ShutdownFlags) -> Result<(), SaveFailed> {
    server.log(3, "User requested shutdown...");
    if server.persistence.bgsave_in_progress() {
        server.log(3, "There is a child saving an .rdb. Killing it!");
        kill_background_save(server);
    }
    let has_points = !server.config.save_points().is_empty();
    if (has_points && !flags.nosave) || flags.save {
        server.log(2, "Saving the final RDB snapshot before exiting.");
        if save(keyspace, server).is_err() {
            if flags.force {
                server.log(3, "Error trying to save the DB. Exit anyway.");
            } else {
                server.log(3, "Error trying to save the DB, can't exit.");
                server.log(
                    3,
                    "Errors trying to shut down the server. Check the logs for more information.",
                );
                return Err(SaveFailed);
            }
        }
    }
    Ok(())
}

/// Whether writes are refused because the last background save failed
/// (`writeCommandsDeniedByDiskError` for RDB).
pub fn writes_denied(server: &Server) -> bool {
    !server.persistence.last_bgsave_ok
        && server.config.bool(Id::StopWritesOnBgsaveError)
        && !server.config.save_points().is_empty()
}

/// The error writes get while [`writes_denied`].
pub const MISCONF: &[u8] = b"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/// Reads the dump back into `keyspace` (DEBUG RELOAD).
pub fn load(keyspace: &mut Keyspace, server: &mut Server) -> Result<LoadReport, SaveFailed> {
    let filename = alloc::string::String::from(server.config.text(Id::Dbfilename));
    let options = LoadOptions::from_config(&server.config);
    let now_ms = server.now_ms;
    match server.host.load_rdb(keyspace, options, &filename, now_ms) {
        Ok(report) => {
            server.persistence.record_load(&report);
            Ok(report)
        }
        Err(message) => {
            server.log(3, &message);
            Err(SaveFailed)
        }
    }
}
