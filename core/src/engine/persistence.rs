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
use crate::rdb::encoder::{Aux, ReplicationAux, SaveOptions};
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
    /// The running child streams to replicas rather than writing the dump
    /// (Redis's `RDB_CHILD_TYPE_SOCKET`).
    pub socket_target: bool,
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
            socket_target: false,
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
    let replication = if server.replica.is_replica() {
        super::replica::save_info(server)
    } else {
        super::master::save_info(server)
    };
    let request = SaveRequest {
        filename: &filename,
        aux: Aux {
            redis_ver: REDIS_VERSION,
            ctime: server.now_ms / 1000,
            used_mem,
            // `rdbPopulateSaveInfo`: replication info once there is a backlog.
            replication: replication.as_ref().map(|(db, id, offset)| ReplicationAux {
                stream_db: *db,
                id,
                offset: *offset,
            }),
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

/// Starts a child streaming the dump to replicas through the host
/// (`rdbSaveToSlavesSockets`): its bytes arrive with
/// [`super::Engine::socket_save_data`], its end as a background save's.
pub fn socket_save(keyspace: &Keyspace, server: &mut Server, end_mark: &[u8]) -> Result<(), SaveFailed> {
    if server.persistence.bgsave_in_progress() {
        return Err(SaveFailed);
    }
    let result = with_request(server, |server, request| {
        server.host.start_socket_save(keyspace, request, end_mark)
    });
    match result {
        Ok(pid) => {
            server.persistence.forks += 1;
            server.log(2, &format!("Background RDB transfer started by pid {}", pid));
            server.persistence.bgsave_started = Some(server.now_ms / 1000);
            server.persistence.child_pid = Some(pid);
            server.persistence.socket_target = true;
            Ok(())
        }
        Err(reason) => {
            server.log(3, &format!("Can't save in background: fork: {}", reason));
            Err(SaveFailed)
        }
    }
}

/// The save child ended (`backgroundSaveDoneHandlerDisk`, or
/// `backgroundSaveDoneHandlerSocket` for a transfer to replicas).
pub fn background_save_done(server: &mut Server, exit: ChildExit) {
    let Some(started) = server.persistence.bgsave_started.take() else {
        return;
    };
    server.persistence.child_pid = None;
    if core::mem::take(&mut server.persistence.socket_target) {
        match exit {
            ChildExit::Exited(0) => server.log(2, "Background RDB transfer terminated with success"),
            ChildExit::Exited(_) => server.log(3, "Background transfer error"),
            ChildExit::Signaled(signal) => {
                server.log(3, &format!("Background transfer terminated by signal {}", signal))
            }
        }
        super::master::background_save_done(server, exit == ChildExit::Exited(0));
        return;
    }
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
    super::master::background_save_done(server, exit == ChildExit::Exited(0));
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
    if server.aof.rewrite_started.is_some() {
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
    super::aof::kill_rewrite(server);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::engine::tests::{connect, send};
    use crate::engine::{Engine, Host, HostInfo};
    use alloc::boxed::Box;
    use alloc::string::String;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// What the recording host saw and what it answers.
    #[derive(Default)]
    struct Disk {
        saves: usize,
        forks: usize,
        fail_saves: bool,
        child_exit: Option<ChildExit>,
        killed: bool,
    }

    struct RecordingHost(Rc<RefCell<Disk>>);

    impl Host for RecordingHost {
        fn apply_config(&mut self, _config: &mut Config, _changed: &[Id]) -> Result<(), String> {
            Ok(())
        }
        fn info(&self) -> HostInfo {
            HostInfo::default()
        }
        fn log(&mut self, _level: u8, _message: &str) {}
        fn monotonic_us(&self) -> u64 {
            0
        }
        fn unix_time_us(&self) -> i64 {
            0
        }
        fn rewrite_config(&mut self, _config: &Config) -> Result<(), String> {
            Ok(())
        }
        fn save_rdb(&mut self, _keyspace: &Keyspace, _request: &SaveRequest<'_>) -> Result<(), String> {
            let mut disk = self.0.borrow_mut();
            if disk.fail_saves {
                return Err("no room".into());
            }
            disk.saves += 1;
            Ok(())
        }
        fn start_background_save(&mut self, _keyspace: &Keyspace, _request: &SaveRequest<'_>) -> Result<u32, String> {
            self.0.borrow_mut().forks += 1;
            Ok(42)
        }
        fn poll_background_save(&mut self) -> Option<ChildExit> {
            self.0.borrow_mut().child_exit.take()
        }
        fn kill_background_save(&mut self) {
            let mut disk = self.0.borrow_mut();
            disk.killed = true;
            disk.child_exit = Some(ChildExit::Signaled(SIGUSR1));
        }
    }

    const T0: i64 = 1_700_000_000_000;

    fn engine(save: &[&[u8]]) -> (Engine, Rc<RefCell<Disk>>) {
        let disk = Rc::new(RefCell::new(Disk::default()));
        let mut config = Config::new();
        let mut line: alloc::vec::Vec<&[u8]> = alloc::vec![b"save"];
        line.extend_from_slice(save);
        config.apply_line(&line).expect("save line");
        let engine = Engine::new(config, [1; 32], Box::new(RecordingHost(disk.clone())), T0);
        (engine, disk)
    }

    #[test]
    fn save_points_start_a_background_save_and_its_end_counts() {
        let (mut engine, disk) = engine(&[b"10", b"2"]);
        let client = connect(&mut engine);
        send(&mut engine, client, "SET a 1");
        engine.cron(T0 + 11_000);
        assert_eq!(disk.borrow().forks, 0, "one change is not enough");
        send(&mut engine, client, "SET b 1");
        engine.cron(T0 + 10_000);
        assert_eq!(disk.borrow().forks, 0, "not more than 10 seconds yet");
        engine.cron(T0 + 11_000);
        assert_eq!(disk.borrow().forks, 1);
        assert!(engine.persistence().bgsave_in_progress());
        send(&mut engine, client, "SET c 1");
        disk.borrow_mut().child_exit = Some(ChildExit::Exited(0));
        engine.cron(T0 + 13_000);
        assert!(!engine.persistence().bgsave_in_progress());
        // The write made during the save is still unsaved.
        assert_eq!(engine.server.stats.dirty, 1);
        assert_eq!(engine.server.lastsave, (T0 + 13_000) / 1000);
        assert_eq!(engine.persistence().last_bgsave_seconds, 2);
    }

    #[test]
    fn a_failed_background_save_is_retried_after_the_delay_and_denies_writes() {
        let (mut engine, disk) = engine(&[b"1", b"1"]);
        let client = connect(&mut engine);
        send(&mut engine, client, "SET a 1");
        engine.cron(T0 + 2_000);
        disk.borrow_mut().child_exit = Some(ChildExit::Exited(1));
        engine.cron(T0 + 2_100);
        assert!(!engine.persistence().last_bgsave_ok);
        assert!(send(&mut engine, client, "SET b 1").starts_with(b"-MISCONF "));
        assert_eq!(send(&mut engine, client, "GET a"), b"$1\r\n1\r\n");
        engine.cron(T0 + 6_000);
        assert_eq!(disk.borrow().forks, 1, "retry waits 5 seconds");
        engine.cron(T0 + 8_000);
        assert_eq!(disk.borrow().forks, 2);
    }

    #[test]
    fn flushall_with_save_points_saves_and_zeroes_the_counter() {
        let (mut engine, disk) = engine(&[b"3600", b"1"]);
        let client = connect(&mut engine);
        send(&mut engine, client, "SET a 1");
        send(&mut engine, client, "SET b 1");
        assert_eq!(send(&mut engine, client, "BGSAVE"), b"+Background saving started\r\n");
        assert_eq!(send(&mut engine, client, "FLUSHALL"), b"+OK\r\n");
        assert!(disk.borrow().killed);
        assert_eq!(disk.borrow().saves, 1);
        assert_eq!(engine.server.stats.dirty, 0);
        // The killed child is reaped without counting as a failure.
        engine.cron(T0 + 100);
        assert!(engine.persistence().last_bgsave_ok);
        assert!(!engine.persistence().bgsave_in_progress());
    }

    #[test]
    fn shutdown_saves_unless_told_not_and_a_failure_keeps_running() {
        let (mut engine, disk) = engine(&[b"3600", b"1"]);
        let client = connect(&mut engine);
        disk.borrow_mut().fail_saves = true;
        assert_eq!(
            send(&mut engine, client, "SHUTDOWN"),
            b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
        );
        assert_eq!(engine.poll_event(), None);
        assert_eq!(
            send(&mut engine, client, "SHUTDOWN NOSAVE SAVE"),
            b"-ERR syntax error\r\n"
        );
        send(&mut engine, client, "SHUTDOWN FORCE");
        assert_eq!(engine.poll_event(), Some(crate::engine::HostEvent::Shutdown));
        let (mut engine, disk) = engine_without_points();
        assert!(engine.shutdown_by_signal(false, T0));
        assert_eq!(disk.borrow().saves, 0);
        let client = connect(&mut engine);
        send(&mut engine, client, "SHUTDOWN SAVE");
        assert_eq!(disk.borrow().saves, 1);
    }

    fn engine_without_points() -> (Engine, Rc<RefCell<Disk>>) {
        engine(&[b""])
    }
}
