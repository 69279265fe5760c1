//! The engine's view of this process: INFO figures (memory from jemalloc,
//! RSS and CPU from the kernel, network counters from the connections)
//! and configuration changes that need the operating system.

use super::lazyfree::LazyFree;
use super::listeners::Listeners;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Instant;
use vitrine_core::config::{Config, Id, Source};
use vitrine_core::engine::aof::Aof;
use vitrine_core::engine::persistence::{ChildExit, SaveRequest};
use vitrine_core::engine::transfer::RdbFile;
use vitrine_core::engine::{Host, HostInfo};
use vitrine_core::keyspace::{Db, Keyspace};
use vitrine_core::rdb::load::LoadReport;
use vitrine_core::rdb::LoadOptions;

/// Counters the connection tasks update.
#[derive(Default)]
pub struct NetCounters {
    /// Bytes read from clients.
    pub input_bytes: Cell<u64>,
    /// Bytes written to clients.
    pub output_bytes: Cell<u64>,
    /// Successful reads.
    pub reads: Cell<u64>,
    /// Successful writes.
    pub writes: Cell<u64>,
}

/// The native host.
pub struct NativeHost {
    started: Instant,
    /// Monotonic origin for per-command timings.
    clock_origin: Instant,
    config_file: String,
    executable: String,
    startup_memory: u64,
    peak_memory: Cell<u64>,
    /// Connection counters.
    pub net: Rc<NetCounters>,
    /// The listening sockets, rebound when `port` or `bind` change.
    pub listeners: Rc<RefCell<Listeners>>,
    /// The background save child, while it runs.
    save_child: Option<u32>,
    /// The running server, once started (the task reading a diskless
    /// transfer's pipe hands its bytes to the engine).
    shared: Rc<RefCell<Option<Rc<super::Shared>>>>,
    /// Cleared while a diskless transfer's pipe still has bytes to read:
    /// its child is reported ended only after its last byte.
    pipe_drained: Rc<Cell<bool>>,
    /// The AOF rewrite child, until its end is handled.
    aof_child: Option<u32>,
    /// Frees lazily emptied databases on a thread of its own.
    lazyfree: LazyFree,
}

impl NativeHost {
    /// A host for a server started now.
    pub fn new(
        config_file: String,
        net: Rc<NetCounters>,
        listeners: Rc<RefCell<Listeners>>,
        shared: Rc<RefCell<Option<Rc<super::Shared>>>>,
    ) -> Self {
        let startup_memory = allocated_bytes();
        NativeHost {
            started: Instant::now(),
            clock_origin: Instant::now(),
            config_file,
            executable: std::env::current_exe()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            startup_memory,
            peak_memory: Cell::new(startup_memory),
            net,
            listeners,
            save_child: None,
            shared,
            pipe_drained: Rc::new(Cell::new(true)),
            aof_child: None,
            lazyfree: LazyFree::default(),
        }
    }
}

/// Reads a diskless transfer's pipe as the child fills it, handing each
/// chunk to the engine, until the child closes it.
async fn read_pipe(pipe: std::os::fd::OwnedFd, shared: Rc<super::Shared>, drained: Rc<Cell<bool>>) {
    use std::io::Read;
    let file = std::fs::File::from(pipe);
    // SAFETY: fcntl on a descriptor we own; no memory is passed.
    unsafe {
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    // SAFETY: the `File` owns its descriptor and is moved into the
    // `AsyncFd`, which alone closes it, when dropped.
    if let Ok(pipe) = unsafe { tokio::io::unix::AsyncFd::register(file) } {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            // Back-pressure: while the slowest replica is a window behind,
            // the pipe is left full and the child waits.
            while !shared.engine.borrow().socket_save_wants_data() {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            let Ok(mut guard) = pipe.readable().await else {
                break;
            };
            match guard.try_io(|inner| inner.get_ref().read(&mut chunk)) {
                Ok(Ok(0)) => break,
                Ok(Ok(n)) => {
                    shared
                        .engine
                        .borrow_mut()
                        .socket_save_data(&chunk[..n], super::now_ms());
                    shared.after_engine_call();
                }
                Ok(Err(error)) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(_)) => break,
                Err(_would_block) => {}
            }
        }
    }
    drained.set(true);
}

/// A dump opened for one replica's full resync: its own descriptor, so a
/// save replacing the file meanwhile does not change what it reads.
struct DumpFile {
    file: std::fs::File,
    len: u64,
}

impl RdbFile for DumpFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, String> {
        use std::os::unix::fs::FileExt;
        self.file.read_at(buf, offset).map_err(|e| crate::config::os_error(&e))
    }
}

/// Bytes allocated through jemalloc (Redis's `used_memory`).
pub fn allocated_bytes() -> u64 {
    let _ = tikv_jemalloc_ctl::epoch::advance();
    tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0) as u64
}

/// Resident set size from `/proc/self/statm`.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page_size.max(0) as u64
}

fn total_system_memory() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn cpu_seconds() -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

fn os_description() -> String {
    // SAFETY: uname writes into the zeroed struct we own.
    let name = unsafe {
        let mut name: libc::utsname = std::mem::zeroed();
        libc::uname(&mut name);
        name
    };
    let field = |f: &[libc::c_char]| -> String {
        let bytes: Vec<u8> = f.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    format!(
        "{} {} {}",
        field(&name.sysname),
        field(&name.release),
        field(&name.machine)
    )
}

impl Host for NativeHost {
    fn apply_config(&mut self, config: &mut Config, changed: &[Id]) -> Result<(), String> {
        for id in changed {
            match id {
                Id::Dir => {
                    let dir = config.text(Id::Dir).to_string();
                    std::env::set_current_dir(&dir).map_err(|e| crate::config::os_error(&e))?;
                    if let Ok(cwd) = std::env::current_dir() {
                        let _ = config.set(Id::Dir, &[cwd.to_string_lossy().as_bytes()], Source::Startup);
                    }
                }
                Id::Loglevel => crate::log::set_level(config.int(Id::Loglevel) as u8),
                Id::Port | Id::Bind => {
                    let port = config.int(Id::Port) as u16;
                    let binds = config.words(Id::Bind).to_vec();
                    let backlog = config.int(Id::TcpBacklog) as i32;
                    self.listeners.borrow_mut().rebind(&binds, port, backlog)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn info(&self) -> HostInfo {
        let used = allocated_bytes();
        self.peak_memory.set(self.peak_memory.get().max(used));
        let (cpu_user, cpu_sys) = cpu_seconds();
        HostInfo {
            process_id: std::process::id(),
            tcp_port: self.listeners.borrow().port(),
            uptime_seconds: self.started.elapsed().as_secs(),
            executable: self.executable.clone(),
            config_file: self.config_file.clone(),
            lazyfree_pending: self.lazyfree.pending(),
            lazyfreed: self.lazyfree.freed(),
            used_memory: used,
            used_memory_rss: resident_bytes(),
            used_memory_peak: self.peak_memory.get(),
            used_memory_startup: self.startup_memory,
            allocator: "jemalloc-5.3.0".into(),
            total_system_memory: total_system_memory(),
            cpu_user,
            cpu_sys,
            net_input_bytes: self.net.input_bytes.get(),
            net_output_bytes: self.net.output_bytes.get(),
            os: os_description(),
            arch_bits: usize::BITS,
            multiplexing_api: "epoll".into(),
            toolchain: String::new(),
            rejected_connections: 0,
            total_connections: 0,
            reads_processed: self.net.reads.get(),
            writes_processed: self.net.writes.get(),
        }
    }

    fn log(&mut self, level: u8, message: &str) {
        crate::log::log(level, message);
    }

    fn monotonic_us(&self) -> u64 {
        self.clock_origin.elapsed().as_micros() as u64
    }

    fn unix_time_us(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
    }

    fn rewrite_config(&mut self, config: &Config) -> Result<(), String> {
        if self.config_file.is_empty() {
            return Err("The server is running without a config file".into());
        }
        crate::config::rewrite(std::path::Path::new(&self.config_file), config)
    }

    fn free_in_background(&mut self, dbs: &mut Vec<Db>) {
        self.lazyfree.take(dbs);
    }

    fn reset_lazyfree_stats(&mut self) {
        self.lazyfree.reset_freed();
    }

    fn save_rdb(&mut self, keyspace: &Keyspace, request: &SaveRequest<'_>) -> Result<(), String> {
        crate::persist::save(keyspace, request, std::process::id())
    }

    fn start_background_save(&mut self, keyspace: &Keyspace, request: &SaveRequest<'_>) -> Result<u32, String> {
        let pid = crate::persist::fork_save(keyspace, request)?;
        self.save_child = Some(pid);
        Ok(pid)
    }

    fn start_socket_save(
        &mut self,
        keyspace: &Keyspace,
        request: &SaveRequest<'_>,
        end_mark: &[u8],
    ) -> Result<u32, String> {
        let shared = self.shared.borrow().clone().ok_or("the server is not running")?;
        let (pid, pipe) = crate::persist::fork_stream(keyspace, request, end_mark)?;
        self.save_child = Some(pid);
        self.pipe_drained.set(false);
        tokio::task::spawn_local(read_pipe(pipe, shared, self.pipe_drained.clone()));
        Ok(pid)
    }

    fn poll_background_save(&mut self) -> Option<ChildExit> {
        if !self.pipe_drained.get() {
            return None;
        }
        let exit = crate::persist::poll_child(self.save_child?)?;
        self.save_child = None;
        Some(exit)
    }

    fn kill_background_save(&mut self) {
        if let Some(pid) = self.save_child {
            crate::persist::kill_child(pid);
        }
    }

    fn start_aof_rewrite(&mut self, keyspace: &Keyspace, config: &Config, aof: &mut Aof) -> Result<u32, String> {
        let shared = self.shared.borrow().clone().ok_or("the server is not running")?;
        let pid = crate::aof::start_rewrite(&shared, keyspace, config, aof)?;
        self.aof_child = Some(pid);
        Ok(pid)
    }

    fn poll_aof_rewrite(&mut self) -> Option<ChildExit> {
        crate::persist::poll_child(self.aof_child?)
    }

    fn finish_aof_rewrite(&mut self, config: &Config, aof: &mut Aof, success: bool) -> Result<(), String> {
        let shared = self.shared.borrow().clone().ok_or("the server is not running")?;
        let pid = self.aof_child.take().ok_or("no AOF rewrite child")?;
        crate::aof::finish_rewrite(&shared, pid, config, aof, success)
    }

    fn kill_aof_rewrite(&mut self) {
        if let Some(pid) = self.aof_child {
            crate::aof::kill_rewrite_child(pid);
        }
    }

    fn stop_aof(&mut self, _config: &Config, aof: &mut Aof) {
        if let Some(shared) = self.shared.borrow().clone() {
            crate::aof::stop(&shared, aof);
        }
    }

    fn open_rdb_file(&mut self, filename: &str) -> Result<Box<dyn RdbFile>, String> {
        let file = std::fs::File::open(filename).map_err(|e| crate::config::os_error(&e))?;
        let len = file.metadata().map_err(|e| crate::config::os_error(&e))?.len();
        Ok(Box::new(DumpFile { file, len }))
    }

    fn remove_rdb_file(&mut self, filename: &str) -> bool {
        // Redis's bg_unlink: the last link of a large file can take a
        // while to free, so a thread does it.
        let path = std::path::PathBuf::from(filename);
        if std::fs::symlink_metadata(&path).is_err() {
            return false;
        }
        std::thread::spawn(move || {
            let _ = std::fs::remove_file(path);
        });
        true
    }

    fn load_rdb(
        &mut self,
        keyspace: &mut Keyspace,
        options: LoadOptions,
        filename: &str,
        now_ms: i64,
    ) -> Result<LoadReport, String> {
        match crate::persist::load(filename, keyspace, options, now_ms) {
            Ok(Some(report)) => {
                crate::persist::log_report(&report, now_ms / 1000);
                Ok(report)
            }
            Ok(None) => Err(format!("Fatal error loading the DB: {}", "No such file or directory")),
            Err(error) => Err(error.log_lines().join(" ")),
        }
    }
}
