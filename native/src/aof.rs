//! The append-only file on disk: the I/O half of core's `engine::aof`.
//!
//! # Start-up (`loadAppendOnlyFiles`, `aofOpenIfNeededOnServerStart`)
//!
//! With `appendonly yes` the AOF directory wins over the RDB: its
//! manifest's base file (an RDB, or commands) and incremental files are
//! loaded in order, the commands through the engine's own command path.
//! A file cut inside its last command is truncated to its last whole
//! command when `aof-load-truncated yes` (and it is the last file); any
//! other damage stops start-up with Redis's message. A directory without
//! data gets a base file of the current (empty) dataset. Then the last
//! incremental file is opened for appending and the manifest written.
//!
//! # Writing and group commit
//!
//! The engine encodes every write's effects into its AOF buffer. A reply
//! must not leave before those bytes are in the file (and fsynced under
//! `appendfsync always`), as Redis writes its AOF in `beforeSleep` before
//! any reply. So a connection task, before it writes output, waits until
//! the [`Writer`] made durable everything fed so far ([`wait_durable`]);
//! the writer task runs once the ready connections had their turn and
//! serves all of them with one `write` and one `fdatasync`: a group
//! commit, the cost of one fsync shared by every write of the turn.
//!
//! Under `everysec` the writer only writes; a thread fsyncs the file once
//! a second (Redis's bio thread), so the event loop never waits on the
//! disk. That thread holds no lock a forked child could need: it waits on
//! a channel and calls `fdatasync`, nothing else. Under `no` the kernel
//! decides.

use crate::server::Shared;
use std::cell::{Cell, RefCell};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use vitrine_core::config::{Config, Id};
use vitrine_core::engine::aof::{Aof, AofFile, AofReplay, FileType, Manifest, ReplayEnd, ReplayError};
use vitrine_core::engine::persistence::SaveRequest;
use vitrine_core::engine::{Engine, REDIS_VERSION};
use vitrine_core::keyspace::Keyspace;
use vitrine_core::rdb::encoder::{Aux, SaveOptions};
use vitrine_core::rdb::load::Loader;

/// Bytes read per step while loading.
const LOAD_CHUNK: usize = 256 * 1024;

/// `appendfsync`, as the configuration numbers it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fsync {
    No,
    EverySec,
    Always,
}

fn policy(config: &Config) -> Fsync {
    match config.int(Id::Appendfsync) {
        2 => Fsync::Always,
        1 => Fsync::EverySec,
        _ => Fsync::No,
    }
}

/// Where the AOF lives: `appenddirname` and `appendfilename` (relative to
/// `dir`, the working directory).
#[derive(Clone)]
pub struct Paths {
    /// The directory.
    pub dir: PathBuf,
    /// `appendfilename`: the prefix of every file name.
    pub prefix: String,
}

impl Paths {
    fn from_config(config: &Config) -> Self {
        Paths {
            dir: PathBuf::from(config.text(Id::Appenddirname)),
            prefix: config.text(Id::Appendfilename).to_string(),
        }
    }

    /// A file of the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Creates the directory if missing (`dirCreateIfMissing`); `Err` is
    /// Redis's log line.
    fn create_dir(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|error| {
            format!(
                "Can't open or create append-only dir {}: {}",
                self.dir.display(),
                os_error(&error)
            )
        })
    }

    fn manifest(&self) -> PathBuf {
        self.file(&format!("{}.manifest", self.prefix))
    }

    fn temp_manifest(&self) -> PathBuf {
        self.file(&format!("temp-{}.manifest", self.prefix))
    }
}

fn os_error(error: &std::io::Error) -> String {
    crate::config::os_error(error)
}

/// Writes the manifest atomically (`writeAofManifestFile`): a temporary
/// file, fsynced, renamed over the manifest, then the directory fsynced
/// so that the new files it names and the rename survive a crash.
pub fn persist_manifest(paths: &Paths, manifest: &Manifest) -> Result<(), String> {
    let temp = paths.temp_manifest();
    let temp_name = temp
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut file =
        File::create(&temp).map_err(|e| format!("Can't open the AOF manifest file {}: {}", temp_name, os_error(&e)))?;
    file.write_all(manifest.render().as_bytes()).map_err(|e| {
        format!(
            "Error trying to write the temporary AOF manifest file {}: {}",
            temp_name,
            os_error(&e)
        )
    })?;
    file.sync_all()
        .map_err(|e| format!("Fail to fsync the temp AOF file {}: {}.", temp_name, os_error(&e)))?;
    std::fs::rename(&temp, paths.manifest()).map_err(|e| {
        format!(
            "Error trying to rename the temporary AOF manifest file {} into {}.manifest: {}",
            temp_name,
            paths.prefix,
            os_error(&e)
        )
    })?;
    sync_dir(&paths.dir).map_err(|e| format!("Fail to fsync AOF directory {}: {}.", paths.dir.display(), os_error(&e)))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The save request for a base file with an RDB preamble: no replication
/// fields, `aof-base` set (`rdbSaveRio` with `RDBFLAGS_AOF_PREAMBLE`).
fn with_base_request<R>(config: &Config, filename: &str, f: impl FnOnce(&SaveRequest<'_>) -> R) -> R {
    let request = SaveRequest {
        filename,
        aux: Aux {
            redis_ver: REDIS_VERSION,
            ctime: crate::server::now_ms() / 1000,
            used_mem: crate::server::host::allocated_bytes(),
            replication: None,
            aof_base: true,
        },
        options: SaveOptions::from_config(config),
        // Redis's rewrite obeys the testing aid too.
        key_delay_us: config.int(Id::RdbKeySaveDelay),
    };
    f(&request)
}

/// Writes a base file of `keyspace` at `path` (`rewriteAppendOnlyFile`):
/// an RDB with `aof-use-rdb-preamble yes`, else the commands that rebuild
/// it. Written to a temporary file, fsynced and renamed into place.
pub fn write_base(keyspace: &Keyspace, config: &Config, path: &Path) -> Result<(), String> {
    let target = path.to_string_lossy().into_owned();
    if config.bool(Id::AofUseRdbPreamble) {
        return with_base_request(config, &target, |request| {
            crate::persist::save(keyspace, request, std::process::id())
        });
    }
    let temp = format!("temp-rewriteaof-{}.aof", std::process::id());
    let fail = |error: std::io::Error| {
        let _ = std::fs::remove_file(&temp);
        format!("Write error writing append only file on disk: {}", os_error(&error))
    };
    let mut file = File::create(&temp).map_err(|e| {
        format!(
            "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): {}",
            os_error(&e)
        )
    })?;
    let mut out = Vec::with_capacity(64 * 1024);
    let delay = Duration::from_micros(config.int(Id::RdbKeySaveDelay).max(0) as u64);
    vitrine_core::engine::aof::rewrite_commands(keyspace, |key_commands| {
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        out.extend_from_slice(key_commands);
        if out.len() >= 64 * 1024 {
            file.write_all(&out)?;
            out.clear();
        }
        Ok::<(), std::io::Error>(())
    })
    .map_err(fail)?;
    file.write_all(&out).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!(
            "Error moving temp append only file on the final destination: {}",
            os_error(&e)
        )
    })
}

/// Logs why the commands of file `name` cannot be loaded.
fn report_replay_error(name: &str, error: ReplayError) {
    match error {
        ReplayError::UnknownCommand(command) => {
            crate::warning!("Unknown command '{}' reading the append only file {}", command, name)
        }
        _ => crate::warning!("Bad file format reading the append only file {}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name),
    }
}

/// Loads the RDB at the start of `file` (a master's load: expired keys
/// dropped) and logs it; returns its length and the bytes read after it.
/// `None`: it is not a valid RDB (the decoder's reason is logged).
fn load_rdb_part(engine: &mut Engine, file: &mut File) -> Option<(u64, Vec<u8>)> {
    let options = vitrine_core::rdb::LoadOptions::from_config(engine.config());
    let now = crate::server::now_ms();
    let size = file.metadata().map(|m| m.len()).ok();
    let mut loader = Loader::new(options, now, true, size);
    let mut chunk = vec![0u8; LOAD_CHUNK];
    let mut fed = 0u64;
    while !loader.is_done() {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                crate::warning!("Error reading the RDB: {}", os_error(&error));
                return None;
            }
        };
        fed += n as u64;
        if let Err(error) = loader.feed(engine.keyspace_mut(), &chunk[..n]) {
            crate::warning!(
                "Internal error in RDB reading offset {}, function at rdb.rs -> {}",
                error.offset,
                error.reason
            );
            return None;
        }
    }
    let tail = loader.trailing().to_vec();
    let report = match loader.finish() {
        Ok(report) => report,
        Err(error) => {
            crate::warning!(
                "Internal error in RDB reading offset {}, function at rdb.rs -> {}",
                error.offset,
                error.reason
            );
            return None;
        }
    };
    crate::persist::log_report(&report, now / 1000);
    engine.record_load(&report);
    Some((fed - tail.len() as u64, tail))
}

/// Loads one file of the directory: an RDB (base with preamble), then or
/// else commands (`loadSingleAppendOnlyFile`). `last` allows a cut tail.
fn load_file(engine: &mut Engine, paths: &Paths, name: &str, last: bool) -> Result<(), ()> {
    let path = paths.file(name);
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(error) => {
            crate::warning!(
                "Fatal error: can't open the append log file {} for reading: {}",
                name,
                os_error(&error)
            );
            return Err(());
        }
    };
    let mut signature = [0u8; 5];
    let is_rdb = file.read_exact(&mut signature).is_ok() && &signature == b"REDIS";
    let mut file = File::open(&path).map_err(|_| ())?;
    let mut replay = AofReplay::default();
    if is_rdb {
        // An RDB base; an old-style file (named `appendfilename`) may go on
        // with commands after the RDB, which are then replayed.
        let old_style = name == paths.prefix;
        if old_style {
            crate::notice!("Reading RDB preamble from AOF file...");
        } else {
            crate::notice!("Reading RDB base file on AOF loading...");
        }
        let Some((rdb_length, tail)) = load_rdb_part(engine, &mut file) else {
            if old_style {
                crate::warning!(
                    "Error reading the RDB preamble of the AOF file {}, AOF loading aborted",
                    name
                );
            } else {
                crate::warning!("Error reading the RDB base file {}, AOF loading aborted", name);
            }
            return Err(());
        };
        replay = AofReplay::at_offset(rdb_length);
        if old_style {
            crate::notice!("Reading the remaining AOF tail...");
        }
        if let Err(error) = engine.replay_aof(&mut replay, &tail, crate::server::now_ms()) {
            report_replay_error(name, error);
            return Err(());
        }
    }
    let mut chunk = vec![0u8; LOAD_CHUNK];
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                crate::warning!(
                    "Unrecoverable error reading the append only file {}: {}",
                    name,
                    os_error(&error)
                );
                return Err(());
            }
        };
        if let Err(error) = engine.replay_aof(&mut replay, &chunk[..n], crate::server::now_ms()) {
            report_replay_error(name, error);
            return Err(());
        }
    }
    let ReplayEnd::Truncated { valid_up_to, in_multi } = engine.finish_replay(replay) else {
        return Ok(());
    };
    if in_multi {
        crate::warning!("Revert incomplete MULTI/EXEC transaction in AOF file {}", name);
    }
    if engine.config().bool(Id::AofLoadTruncated) {
        crate::warning!("!!! Warning: short read while loading the AOF file {}!!!", name);
        crate::warning!("!!! Truncating the AOF {} at offset {} !!!", name, valid_up_to);
        match OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(valid_up_to))
        {
            Ok(()) => {
                crate::warning!("AOF {} loaded anyway because aof-load-truncated is enabled", name);
                if !last {
                    crate::warning!("Fatal error: the truncated file is not the last file");
                    return Err(());
                }
                return Ok(());
            }
            Err(error) => crate::warning!("Error truncating the AOF file {}: {}", name, os_error(&error)),
        }
    }
    crate::warning!("Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name);
    Err(())
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Reads the manifest, if the directory has one (`aofLoadManifestFromDisk`).
fn read_manifest(paths: &Paths) -> Result<Manifest, ()> {
    let path = paths.manifest();
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
        Err(error) => {
            crate::warning!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                os_error(&error)
            );
            return Err(());
        }
    };
    Manifest::parse(&text).map_err(|error| {
        crate::warning!("\n*** FATAL AOF MANIFEST FILE ERROR ***\n");
        if let Some((number, line)) = &error.line {
            crate::warning!("Reading the manifest file, at line {}\n", number);
            crate::warning!(">>> '{}'\n", line);
        }
        crate::warning!("{}\n", error.reason);
    })
}

/// Whether `appendfilename` in the working directory is a Redis 6 style
/// AOF to move into the directory (`loadAppendOnlyFiles`'s three cases):
/// no directory, a manifest without files, or one naming only that file
/// as its base, not moved yet.
fn needs_upgrade(paths: &Paths, manifest: &Manifest) -> bool {
    if !Path::new(&paths.prefix).is_file() {
        return false;
    }
    let only_old_base = manifest.incr.is_empty()
        && manifest.base.as_ref().is_some_and(|base| base.name == paths.prefix)
        && !paths.file(&paths.prefix).exists();
    !paths.dir.is_dir() || !manifest.has_data_files() || only_old_base
}

/// Moves an old-style AOF into the directory as its base
/// (`aofUpgradePrepare`): the manifest naming it is written first, then
/// the file is moved, so a crash between the two is retried at the next
/// start.
fn upgrade(paths: &Paths, manifest: &mut Manifest) -> Result<(), ()> {
    if let Err(message) = paths.create_dir() {
        crate::warning!("{}", message);
        return Err(());
    }
    manifest.base = Some(AofFile {
        name: paths.prefix.clone(),
        seq: 1,
        kind: FileType::Base,
    });
    manifest.base_seq = 1;
    if let Err(message) = persist_manifest(paths, manifest) {
        crate::warning!("{}", message);
        return Err(());
    }
    if let Err(error) = std::fs::rename(&paths.prefix, paths.file(&paths.prefix)) {
        crate::warning!(
            "Error trying to move the old AOF file {} into dir {}: {}",
            paths.prefix,
            paths.dir.display(),
            os_error(&error)
        );
        return Err(());
    }
    crate::notice!(
        "Successfully migrated an old-style AOF file ({}) into the AOF directory ({}).",
        paths.prefix,
        paths.dir.display()
    );
    Ok(())
}

/// Loads the AOF at start-up (`loadDataFromDisk` with `appendonly yes`),
/// then opens it for appending. `Err`: the reason is logged, the server
/// must stop.
pub fn open_at_startup(engine: &mut Engine) -> Result<Writer, ()> {
    let paths = Paths::from_config(engine.config());
    let mut manifest = read_manifest(&paths)?;
    if needs_upgrade(&paths, &manifest) {
        upgrade(&paths, &mut manifest)?;
    }
    let started = Instant::now();
    let mut total = 0;
    let mut base_size = 0;
    if manifest.has_data_files() {
        let count = manifest.data_files().count();
        for file in manifest.data_files() {
            let path = paths.file(&file.name);
            if !path.exists() {
                crate::warning!(
                    "Unable to obtain the AOF file {} length. stat: No such file or directory",
                    file.name
                );
                return Err(());
            }
            total += file_size(&path);
        }
        let files: Vec<(String, bool)> = manifest
            .data_files()
            .map(|f| (f.name.clone(), f.kind == FileType::Base))
            .collect();
        if total > 0 {
            for (index, (name, is_base)) in files.iter().enumerate() {
                let begun = Instant::now();
                let last = index + 1 == count;
                if *is_base {
                    base_size = file_size(&paths.file(name));
                }
                load_file(engine, &paths, name, last)?;
                crate::notice!(
                    "DB loaded from {} file {}: {:.3} seconds",
                    if *is_base { "base" } else { "incr" },
                    name,
                    begun.elapsed().as_secs_f64()
                );
            }
            crate::notice!(
                "DB loaded from append only file: {:.3} seconds",
                started.elapsed().as_secs_f64()
            );
            total = manifest.data_files().map(|f| file_size(&paths.file(&f.name))).sum();
        }
    }
    if let Err(message) = paths.create_dir() {
        crate::warning!("{}", message);
        return Err(());
    }
    if !manifest.has_data_files() {
        let rdb = engine.config().bool(Id::AofUseRdbPreamble);
        let name = manifest.new_base(&paths.prefix, rdb);
        if let Err(message) = write_base(engine.keyspace(), engine.config(), &paths.file(&name)) {
            crate::warning!("{}", message);
            return Err(());
        }
        crate::notice!("Creating AOF base file {} on server start", name);
        base_size = file_size(&paths.file(&name));
        total = base_size;
    }
    let existing = !manifest.incr.is_empty();
    let name = manifest.last_incr(&paths.prefix);
    let file = match OpenOptions::new().append(true).create(true).open(paths.file(&name)) {
        Ok(file) => file,
        Err(error) => {
            crate::warning!("Can't open the append-only file {}: {}", name, os_error(&error));
            return Err(());
        }
    };
    if let Err(message) = persist_manifest(&paths, &manifest) {
        crate::warning!("{}", message);
        return Err(());
    }
    if existing {
        crate::notice!("Opening AOF incr file {} on server start", name);
    } else {
        crate::notice!("Creating AOF incr file {} on server start", name);
    }
    delete_history(engine.config(), &paths, &mut manifest);
    let incr_size = file_size(&paths.file(&name));
    let aof = engine.aof_mut();
    aof.current_size = total;
    aof.base_size = base_size;
    engine.aof_start();
    Ok(Writer::new(paths, manifest, file, incr_size))
}

/// Removes the history files and drops them from the manifest
/// (`aofDelHistoryFiles`), unless `aof-disable-auto-gc`.
fn delete_history(config: &Config, paths: &Paths, manifest: &mut Manifest) {
    if manifest.history.is_empty() || config.bool(Id::AofDisableAutoGc) {
        return;
    }
    for file in manifest.history.drain(..) {
        crate::notice!("Removing the history file {} in the background", file.name);
        let _ = std::fs::remove_file(paths.file(&file.name));
    }
    if let Err(message) = persist_manifest(paths, manifest) {
        crate::warning!("{}", message);
    }
}

/// The background fsync of `everysec` (Redis's `BIO_AOF_FSYNC` job).
struct FsyncThread {
    jobs: mpsc::Sender<File>,
    busy: Arc<AtomicBool>,
}

impl FsyncThread {
    fn start() -> Option<Self> {
        let (jobs, queue) = mpsc::channel::<File>();
        let busy = Arc::new(AtomicBool::new(false));
        let flag = busy.clone();
        std::thread::Builder::new()
            .name("aof-fsync".into())
            .spawn(move || {
                for file in queue {
                    if let Err(error) = file.sync_data() {
                        crate::warning!("Fail to fsync the AOF file: {}", os_error(&error));
                    }
                    flag.store(false, Ordering::Release);
                }
            })
            .ok()?;
        Some(FsyncThread { jobs, busy })
    }

    /// Queues an fsync of `file` unless one is still running; whether it
    /// was queued.
    fn request(&self, file: &File) -> bool {
        if self.busy.load(Ordering::Acquire) {
            return false;
        }
        let Ok(copy) = file.try_clone() else {
            return false;
        };
        self.busy.store(true, Ordering::Release);
        if self.jobs.send(copy).is_err() {
            self.busy.store(false, Ordering::Release);
            return false;
        }
        true
    }
}

/// The open AOF: the incremental file being appended to and what was
/// made durable. Shared by the writer task and the connection tasks.
pub struct Writer {
    state: RefCell<WriterState>,
    /// Wakes the writer task: some connection waits for durability.
    wake: Notify,
    /// Wakes the connection tasks: `durable` advanced.
    done: Notify,
    /// Bytes fed by the engine that are durable under the policy in force
    /// (written, and fsynced under `always`).
    durable: Cell<u64>,
}

struct WriterState {
    paths: Paths,
    /// The manifest as last written.
    manifest: Manifest,
    file: File,
    /// Bytes in the incremental file (`aof_last_incr_size`).
    incr_size: u64,
    /// Of which fsynced (`aof_last_incr_fsync_offset`).
    synced_size: u64,
    last_fsync: Instant,
    /// Reused buffer the engine's AOF buffer is swapped into.
    scratch: Vec<u8>,
    fsync_thread: Option<FsyncThread>,
}

impl Writer {
    fn new(paths: Paths, manifest: Manifest, file: File, incr_size: u64) -> Self {
        Writer {
            state: RefCell::new(WriterState {
                paths,
                manifest,
                file,
                incr_size,
                synced_size: incr_size,
                last_fsync: Instant::now(),
                scratch: Vec::new(),
                fsync_thread: FsyncThread::start(),
            }),
            wake: Notify::new(),
            done: Notify::new(),
            durable: Cell::new(0),
        }
    }

    /// Writes what the engine fed and fsyncs as the policy says
    /// (`flushAppendOnlyFile`), then releases the connections waiting.
    pub fn flush(&self, engine: &mut Engine) {
        let fed = engine.aof_fed();
        let policy = policy(engine.config());
        let children = engine.persistence().bgsave_in_progress() || engine.aof().rewrite_started.is_some();
        let fsync_allowed = !(children && engine.config().bool(Id::NoAppendfsyncOnRewrite));
        self.write_out(engine.aof_mut(), policy, fsync_allowed);
        self.durable.set(fed);
        self.done.notify_waiters();
    }

    /// Writes `aof`'s buffer to the incremental file and fsyncs it as
    /// `policy` says. Under `always` a failure exits the process, as
    /// Redis: a reply already computed cannot be taken back; otherwise the
    /// bytes stay buffered for the next try and writes are reported failing.
    fn write_out(&self, aof: &mut Aof, policy: Fsync, fsync_allowed: bool) {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        state.scratch.clear();
        std::mem::swap(&mut state.scratch, &mut aof.buffer);
        if !state.scratch.is_empty() {
            if let Err(error) = state.file.write_all(&state.scratch) {
                crate::warning!("Error writing to the AOF file: {}", os_error(&error));
                if policy == Fsync::Always {
                    crate::warning!(
                        "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."
                    );
                    std::process::exit(1);
                }
                aof.last_write_ok = false;
                // Keep the bytes for the next try, ahead of any newer ones.
                state.scratch.append(&mut aof.buffer);
                std::mem::swap(&mut state.scratch, &mut aof.buffer);
                return;
            }
            let written = state.scratch.len() as u64;
            state.incr_size += written;
            aof.current_size += written;
            if !aof.last_write_ok {
                crate::warning!("AOF write error looks solved, Redis can write again.");
                aof.last_write_ok = true;
            }
        }
        let unsynced = state.synced_size != state.incr_size;
        match policy {
            Fsync::Always if unsynced && fsync_allowed => {
                if let Err(error) = state.file.sync_data() {
                    crate::warning!(
                        "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                        os_error(&error)
                    );
                    std::process::exit(1);
                }
                state.synced_size = state.incr_size;
                state.last_fsync = Instant::now();
            }
            Fsync::EverySec if unsynced && fsync_allowed && state.last_fsync.elapsed() >= Duration::from_secs(1) => {
                // Without its thread (it could not start), fsync here.
                let queued = match &state.fsync_thread {
                    Some(thread) => thread.request(&state.file),
                    None => state.file.sync_data().is_ok(),
                };
                if queued {
                    state.synced_size = state.incr_size;
                    state.last_fsync = Instant::now();
                }
            }
            _ => {}
        }
        if state.scratch.capacity() > 1024 * 1024 {
            state.scratch = Vec::new();
        }
    }

    /// Appends go to a new incremental file from now on
    /// (`openNewIncrAofForAppend`): everything pending is written and
    /// fsynced to the old one first, and the manifest naming the new file
    /// is persisted before the switch, so a crash at any point leaves a
    /// directory that loads.
    fn switch_incr(&self, aof: &mut Aof) -> Result<(), String> {
        self.write_out(aof, Fsync::Always, true);
        let mut state = self.state.borrow_mut();
        let mut manifest = state.manifest.clone();
        let name = manifest.new_incr(&state.paths.prefix);
        let file = open_new(&state.paths.file(&name))
            .map_err(|e| format!("Can't open the append-only file {}: {}", name, os_error(&e)))?;
        persist_manifest(&state.paths, &manifest)?;
        crate::notice!("Creating AOF incr file {} on background rewrite", name);
        state.manifest = manifest;
        state.file = file;
        state.incr_size = 0;
        state.synced_size = 0;
        Ok(())
    }

    /// Writes and fsyncs everything before the process exits (shutdown).
    pub fn flush_final(&self, engine: &mut Engine) {
        self.flush(engine);
        crate::notice!("Calling fsync() on the AOF file.");
        let state = self.state.borrow();
        if let Err(error) = state.file.sync_data() {
            crate::warning!("Fail to fsync the AOF file: {}", os_error(&error));
        }
    }
}

/// Waits until every write fed so far is durable, before a connection
/// sends output (see the module documentation). Returns at once when the
/// AOF is off or nothing is pending.
pub async fn wait_durable(shared: &Shared) {
    loop {
        let Some(writer) = shared.aof.borrow().clone() else {
            return;
        };
        let target = shared.engine.borrow().aof_fed();
        if writer.durable.get() >= target {
            return;
        }
        // Registered before the writer can run, so its wake-up is not lost.
        let done = writer.done.notified();
        writer.wake.notify_one();
        done.await;
    }
}

/// The writer task: writes when a connection waits, and every 100 ms
/// otherwise (the `everysec` fsync, and writes no connection waits for,
/// such as expired keys' `DEL`). Idle while the AOF is off.
/// Most looks at the sockets a group commit waits for more writes.
const GROUP_COMMIT_POLLS: usize = 4;

pub async fn run(shared: Rc<Shared>) {
    loop {
        let writer = shared.aof.borrow().clone();
        match writer {
            Some(writer) => {
                tokio::select! {
                    _ = writer.wake.notified() => {
                        // Let the other connections run their commands first:
                        // their writes then share this write and fsync. Like
                        // Redis, which fsyncs when its loop is about to sleep,
                        // wait while the last look at the sockets still
                        // brought writes (a few looks at most, so a steady
                        // stream of writes cannot hold the replies back).
                        for _ in 0..GROUP_COMMIT_POLLS {
                            let fed = shared.engine.borrow().aof_fed();
                            tokio::task::yield_now().await;
                            if shared.engine.borrow().aof_fed() == fed {
                                break;
                            }
                        }
                    }
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
                writer.flush(&mut shared.engine.borrow_mut());
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Opens `path` for appending, empty.
fn open_new(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .truncate(false)
        .open(path)
        .and_then(|file| {
            file.set_len(0)?;
            Ok(file)
        })
}

/// The temporary incremental file of an AOF being turned on.
fn temp_incr_name(prefix: &str) -> String {
    format!("temp-{prefix}.incr")
}

/// The base file the rewrite child `pid` writes in the working directory.
fn temp_base_name(pid: u32) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// Starts a rewrite (the host's half of `rewriteAppendOnlyFileBackground`):
/// switch appends to a new incremental file (to a temporary one when the
/// AOF is being turned on), then fork the child writing the new base.
pub fn start_rewrite(shared: &Shared, keyspace: &Keyspace, config: &Config, aof: &mut Aof) -> Result<u32, String> {
    let paths = Paths::from_config(config);
    paths.create_dir()?;
    let writer = shared.aof.borrow().clone();
    match writer {
        Some(writer) if !aof.enabling => writer.switch_incr(aof)?,
        Some(_) => {}
        None if aof.enabling => {
            let mut manifest = read_manifest(&paths).map_err(|()| "Can't read the AOF manifest".to_string())?;
            // Files of an earlier run are replaced by this rewrite.
            manifest.mark_rewritten_incr_as_history(false);
            let name = temp_incr_name(&paths.prefix);
            let file = open_new(&paths.file(&name))
                .map_err(|e| format!("Can't open the append-only file {}: {}", name, os_error(&e)))?;
            crate::notice!("Creating AOF incr file {} on background rewrite", name);
            let writer = Writer::new(paths, manifest, file, 0);
            writer.durable.set(aof.fed);
            *shared.aof.borrow_mut() = Some(Rc::new(writer));
        }
        None => {}
    }
    let keyspace_config = config.clone();
    let pid = crate::persist::fork_child(move || {
        let temp = temp_base_name(std::process::id());
        match write_base(keyspace, &keyspace_config, Path::new(&temp)) {
            Ok(()) => {
                crate::notice!("Successfully created the temporary AOF base file {}", temp);
                0
            }
            Err(message) => {
                crate::warning!("{}", message);
                1
            }
        }
    })
    .map_err(|reason| format!("Can't rewrite append only file in background: fork: {reason}"))?;
    if let Some(writer) = shared.aof.borrow().as_ref() {
        writer.durable.set(aof.fed);
    }
    Ok(pid)
}

/// The rewrite child `pid` ended (`backgroundRewriteDoneHandler`): on
/// success its base is renamed into the directory, the temporary
/// incremental file too when the AOF was being turned on, the manifest
/// naming them replaces the old one in one rename, and the files it no
/// longer names are deleted. Temporary files are removed in any case.
pub fn finish_rewrite(shared: &Shared, pid: u32, config: &Config, aof: &mut Aof, success: bool) -> Result<(), String> {
    let temp = temp_base_name(pid);
    let paths = Paths::from_config(config);
    let writer = shared.aof.borrow().clone();
    if !success {
        let _ = std::fs::remove_file(&temp);
        let _ = std::fs::remove_file(format!("temp-rewriteaof-{pid}.aof"));
        if aof.enabling {
            // Turning the AOF on waits for the next rewrite, whose
            // temporary incremental file starts afresh: what was fed for
            // this one is in the next one's base.
            if let Some(writer) = shared.aof.borrow_mut().take() {
                writer.done.notify_waiters();
            }
            aof.buffer.clear();
            let _ = std::fs::remove_file(paths.file(&temp_incr_name(&paths.prefix)));
            crate::notice!(
                "Removing the temp incr aof file {} in the background",
                temp_incr_name(&paths.prefix)
            );
        }
        return Ok(());
    }
    let mut manifest = match &writer {
        Some(writer) => writer.state.borrow().manifest.clone(),
        None => read_manifest(&paths).map_err(|()| "Can't read the AOF manifest".to_string())?,
    };
    let base = manifest.new_base(&paths.prefix, config.bool(Id::AofUseRdbPreamble));
    if let Err(error) = std::fs::rename(&temp, paths.file(&base)) {
        let _ = std::fs::remove_file(&temp);
        return Err(format!(
            "Error trying to rename the temporary AOF base file {} into {}: {}",
            temp,
            base,
            os_error(&error)
        ));
    }
    crate::notice!(
        "Successfully renamed the temporary AOF base file {} into {}",
        temp,
        base
    );
    let mut renamed_incr = None;
    if aof.enabling {
        let temp_incr = temp_incr_name(&paths.prefix);
        let incr = manifest.new_incr(&paths.prefix);
        if let Err(error) = std::fs::rename(paths.file(&temp_incr), paths.file(&incr)) {
            let _ = std::fs::remove_file(paths.file(&base));
            return Err(format!(
                "Error trying to rename the temporary AOF incr file {} into {}: {}",
                temp_incr,
                incr,
                os_error(&error)
            ));
        }
        crate::notice!(
            "Successfully renamed the temporary AOF incr file {} into {}",
            temp_incr,
            incr
        );
        renamed_incr = Some(incr);
    }
    manifest.mark_rewritten_incr_as_history(writer.is_some());
    if let Err(message) = persist_manifest(&paths, &manifest) {
        let _ = std::fs::remove_file(paths.file(&base));
        if let Some(incr) = &renamed_incr {
            let _ = std::fs::remove_file(paths.file(incr));
        }
        return Err(message);
    }
    let base_size = file_size(&paths.file(&base));
    delete_history(config, &paths, &mut manifest);
    if let Some(writer) = &writer {
        let mut state = writer.state.borrow_mut();
        state.manifest = manifest;
        state.paths = paths;
        aof.current_size = base_size + state.incr_size;
        aof.base_size = aof.current_size;
    }
    Ok(())
}

/// Ends the rewrite child `pid` at once and reaps it (`killAppendOnlyChild`),
/// removing its temporary files.
pub fn kill_rewrite_child(pid: u32) {
    crate::persist::kill_child(pid);
    let mut status = 0;
    // SAFETY: waitpid writes the status into the integer we own; the pid
    // is our child, not yet reaped.
    unsafe {
        libc::waitpid(pid as libc::pid_t, &mut status, 0);
    }
    let _ = std::fs::remove_file(temp_base_name(pid));
    let _ = std::fs::remove_file(format!("temp-rewriteaof-{pid}.aof"));
}

/// `appendonly no` at run time (`stopAppendOnly`): write and fsync what is
/// pending, then close the file.
pub fn stop(shared: &Shared, aof: &mut Aof) {
    let writer = shared.aof.borrow_mut().take();
    if let Some(writer) = writer {
        writer.write_out(aof, Fsync::Always, true);
        writer.durable.set(aof.fed);
        writer.done.notify_waiters();
    }
}
