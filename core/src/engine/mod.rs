//! The engine: a sans-IO Redis server. The host (native tokio server, or a
//! test) owns sockets and clocks; the engine owns the keyspace, the clients'
//! logical state and their input and output buffers.
//!
//! # Driving it
//!
//! - On a new connection call [`Engine::connect`]; on bytes from the peer,
//!   append them to [`Engine::input_buffer`] and call
//!   [`Engine::process_input`].
//! - After any call, write [`Engine::output`] of the clients returned by
//!   [`Engine::poll_wakeup`] (and of the client just processed), then
//!   [`Engine::consume_output`] what was written. Close a client when
//!   [`Engine::close_state`] says so, then call [`Engine::disconnect`].
//! - Act on [`Engine::poll_event`] (shutdown, sleep, …).
//! - Call [`Engine::handle_timeout`] when [`Engine::poll_timeout`] is due
//!   (blocked clients, pauses) and [`Engine::cron`] `hz` times a second
//!   (active expiry, rehashing, client timeouts).
//!
//! Time is always passed in as Unix milliseconds; randomness comes from
//! the seed given to [`Engine::new`].

pub mod aof;
pub mod blocking;
pub mod browser;
pub mod client;
pub mod clients;
pub mod info;
pub mod master;
pub mod persistence;
pub mod process;
pub mod pubsub;
pub mod replica;
pub mod replication;
pub mod stats;
pub mod transfer;
pub mod watch;

#[cfg(test)]
pub(crate) mod tests;

use crate::cmd::table::CommandTable;
use crate::config::{Config, Id};
use crate::keyspace::{Db, Keyspace};
use crate::rdb::load::LoadReport;
use crate::rdb::LoadOptions;
use crate::resp::request::OwnedArgs;
use crate::util::rng::Rng;
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use client::{client_flag, ConnInfo};
pub use clients::{ClientHandle, Clients};
use stats::Stats;

/// Redis version this engine answers as (INFO `redis_version`, HELLO).
pub const REDIS_VERSION: &str = "7.0.15";

/// Facts and actions only the host has: process and memory figures for
/// INFO, and applying configuration that touches the operating system.
pub trait Host {
    /// Applies directives just changed by CONFIG SET that need the host
    /// (`port`, `bind`, `dir`, `maxclients`, …). An error rolls the change
    /// back and is reported to the client.
    fn apply_config(&mut self, config: &mut Config, changed: &[Id]) -> Result<(), String>;

    /// Process, memory and network figures for INFO.
    fn info(&self) -> HostInfo;

    /// Writes a line to the server log (`level` as Redis's verbosity:
    /// 0 debug, 1 verbose, 2 notice, 3 warning).
    fn log(&mut self, level: u8, message: &str);

    /// A monotonic clock in microseconds, for per-command timing
    /// (`INFO commandstats` usec).
    fn monotonic_us(&self) -> u64;

    /// The wall clock in Unix microseconds (TIME).
    fn unix_time_us(&self) -> i64;

    /// Writes the running configuration back to the config file the server
    /// was started with (CONFIG REWRITE).
    fn rewrite_config(&mut self, config: &Config) -> Result<(), String>;

    /// Writes `keyspace` as an RDB file named `request.filename` in the
    /// working directory, atomically (a temporary file renamed over it),
    /// before returning (SAVE). `Err` is the log line saying what failed.
    fn save_rdb(&mut self, keyspace: &Keyspace, request: &persistence::SaveRequest<'_>) -> Result<(), String> {
        let _ = (keyspace, request);
        Err(String::from("Error saving DB on disk: this host has no files"))
    }

    /// Starts writing `keyspace` as [`Host::save_rdb`] does, in the
    /// background, from a snapshot taken now: later commands must not
    /// change what is written. Returns the save's process id at once.
    /// `Err` is why it could not start (Redis's fork error text).
    fn start_background_save(
        &mut self,
        keyspace: &Keyspace,
        request: &persistence::SaveRequest<'_>,
    ) -> Result<u32, String> {
        let _ = (keyspace, request);
        Err(String::from("this host cannot save in the background"))
    }

    /// Starts a child that writes `keyspace` as an RDB (no file) followed
    /// by `end_mark`, and hands those bytes back with
    /// [`Engine::socket_save_data`], from a snapshot taken now (diskless
    /// replication). Its end is reported as a background save's, after its
    /// last byte. Returns its process id.
    fn start_socket_save(
        &mut self,
        keyspace: &Keyspace,
        request: &persistence::SaveRequest<'_>,
        end_mark: &[u8],
    ) -> Result<u32, String> {
        let _ = (keyspace, request, end_mark);
        Err(String::from("this host cannot stream a snapshot"))
    }

    /// Whether the background save ended, and how. Called from cron while
    /// one runs.
    fn poll_background_save(&mut self) -> Option<persistence::ChildExit> {
        None
    }

    /// Ends the running background save early (it must then report
    /// `Signaled(SIGUSR1)`) and removes its temporary file.
    fn kill_background_save(&mut self) {}

    /// Starts an AOF rewrite (`rewriteAppendOnlyFileBackground`): writes
    /// `aof`'s buffer to the current incremental file, opens the next one
    /// (a temporary one while [`aof::Aof::enabling`]) and forks a child
    /// writing a new base from `keyspace` as it is now. Returns its pid;
    /// `Err` is the log line saying what failed.
    fn start_aof_rewrite(&mut self, keyspace: &Keyspace, config: &Config, aof: &mut aof::Aof) -> Result<u32, String> {
        let _ = (keyspace, config, aof);
        Err(String::from(
            "Can't rewrite append only file in background: this host has no files",
        ))
    }

    /// Whether the AOF rewrite child ended, and how. Called from cron
    /// while one runs.
    fn poll_aof_rewrite(&mut self) -> Option<persistence::ChildExit> {
        None
    }

    /// The rewrite child ended: when `success`, install its base and
    /// switch the manifest atomically (updating `aof`'s sizes); in every
    /// case remove its temporary files.
    fn finish_aof_rewrite(&mut self, config: &Config, aof: &mut aof::Aof, success: bool) -> Result<(), String> {
        let _ = (config, aof, success);
        Ok(())
    }

    /// Ends the AOF rewrite child at once.
    fn kill_aof_rewrite(&mut self) {}

    /// `appendonly no` at run time: writes and fsyncs what `aof` holds,
    /// then closes the file.
    fn stop_aof(&mut self, config: &Config, aof: &mut aof::Aof) {
        let _ = (config, aof);
    }

    /// Reads the RDB file `filename` into `keyspace` (DEBUG RELOAD). A
    /// master's load: keys expired before `now_ms` are dropped. `Err` is
    /// the log line saying what failed.
    fn load_rdb(
        &mut self,
        keyspace: &mut Keyspace,
        options: LoadOptions,
        filename: &str,
        now_ms: i64,
    ) -> Result<LoadReport, String> {
        let _ = (keyspace, options, filename, now_ms);
        Err(String::from("Error loading the DB: this host has no files"))
    }

    /// Opens the RDB file `filename` for one replica's full resync, which
    /// reads it a chunk at a time as the replica takes it. `Err` is the
    /// operating system's reason.
    fn open_rdb_file(&mut self, filename: &str) -> Result<Box<dyn transfer::RdbFile>, String> {
        let _ = filename;
        Err(String::from("this host has no files"))
    }

    /// Removes the RDB file `filename` (`rdb-del-sync-files`); whether
    /// there was one.
    fn remove_rdb_file(&mut self, filename: &str) -> bool {
        let _ = filename;
        false
    }

    /// Takes, out of `dbs`, lazily emptied databases (`FLUSHALL ASYNC`,
    /// `replica-lazy-flush`) to free on a thread of its own, as Redis's
    /// lazyfree thread does; their keys count in [`HostInfo`]'s
    /// `lazyfree_pending` until freed, then in `lazyfreed`. Those left in
    /// `dbs` the engine frees a slice per cron tick: all of them by
    /// default, for a host without threads such as a browser tab.
    fn free_in_background(&mut self, dbs: &mut Vec<Db>) {
        let _ = dbs;
    }

    /// Zeroes [`HostInfo`]'s `lazyfreed` (CONFIG RESETSTAT).
    fn reset_lazyfree_stats(&mut self) {}
}

/// Figures the host reports for INFO.
#[derive(Clone, Debug, Default)]
pub struct HostInfo {
    /// `process_id`.
    pub process_id: u32,
    /// `tcp_port`.
    pub tcp_port: u16,
    /// Seconds since start (`uptime_in_seconds`).
    pub uptime_seconds: u64,
    /// `executable`.
    pub executable: String,
    /// `config_file`.
    pub config_file: String,
    /// Keys handed to [`Host::free_in_background`] and not freed yet.
    pub lazyfree_pending: u64,
    /// Keys [`Host::free_in_background`] freed since the last
    /// [`Host::reset_lazyfree_stats`].
    pub lazyfreed: u64,
    /// Bytes allocated (`used_memory`).
    pub used_memory: u64,
    /// Resident set size (`used_memory_rss`).
    pub used_memory_rss: u64,
    /// Peak of `used_memory`.
    pub used_memory_peak: u64,
    /// Bytes at start-up (`used_memory_startup`).
    pub used_memory_startup: u64,
    /// Allocator name (`mem_allocator`).
    pub allocator: String,
    /// Physical memory (`total_system_memory`).
    pub total_system_memory: u64,
    /// CPU seconds in user and system mode.
    pub cpu_user: f64,
    /// CPU seconds in system mode.
    pub cpu_sys: f64,
    /// Bytes read from clients (`total_net_input_bytes`).
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Executable build facts: OS string for `os`.
    pub os: String,
    /// `arch_bits`.
    pub arch_bits: u32,
    /// `multiplexing_api`.
    pub multiplexing_api: String,
    /// `gcc_version`-like toolchain line.
    pub toolchain: String,
    /// Connections refused (maxclients).
    pub rejected_connections: u64,
    /// `total_connections_received`.
    pub total_connections: u64,
    /// `total_reads_processed`.
    pub reads_processed: u64,
    /// `total_writes_processed`.
    pub writes_processed: u64,
}

/// Something the host must do.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HostEvent {
    /// Shut the server down (SHUTDOWN), after writing pending replies.
    Shutdown,
    /// Block the whole server for this long before writing replies (DEBUG SLEEP).
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// The master to follow changed (`REPLICAOF`, `REPLICAOF NO ONE`):
    /// look at [`Engine::replica_target`] now, as Redis connects at once,
    /// rather than at the host's next periodic look.
    ReplicaTarget,
}

/// Whether the host should close a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseState {
    /// Keep it open.
    Open,
    /// Close once the pending output is written.
    AfterFlush,
    /// Close now, dropping pending output.
    Now,
}

/// A write's effect as it goes to replicas and the AOF: the database it
/// applies to and the command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Propagated {
    /// Database.
    pub db: usize,
    /// Command and arguments.
    pub args: OwnedArgs,
}

/// Server-wide state commands can reach through `Ctx::server`.
pub struct Server {
    /// The configuration.
    pub config: Config,
    /// The command table (with any renames).
    pub commands: CommandTable,
    /// Connected clients (the running one checked out).
    pub clients: Clients,
    /// Channel and pattern subscriptions.
    pub pubsub: pubsub::PubSub,
    /// Clients blocked on keys or paused.
    pub blocking: blocking::Blocking,
    /// WATCHed keys.
    pub watches: watch::Watches,
    /// Counters for INFO.
    pub stats: Stats,
    /// Random numbers.
    pub rng: Rng,
    /// 40 hex characters, new at every start (`run_id`).
    pub run_id: String,
    /// Replication ids, offset and backlog.
    pub replication: replication::Replication,
    /// The host.
    pub host: Box<dyn Host>,
    /// Events for the host.
    pub(crate) events: VecDeque<HostEvent>,
    /// Clients with new output or to be closed, for the host to visit.
    pub(crate) wakeups: Vec<ClientHandle>,
    /// Clients whose pending input must be processed (unblocked).
    pub(crate) resume: VecDeque<u64>,
    /// Propagated writes, recorded when [`Engine::record_propagation`] is on.
    pub(crate) propagated: Option<Vec<Propagated>>,
    /// What the top-level command being run propagated so far.
    pub(crate) pending: Vec<Propagated>,
    /// Nesting of `call` (EXEC runs its commands one level down).
    pub(crate) call_depth: u32,
    pub(crate) next_client_id: u64,
    /// The clock of the command being run (Unix ms).
    pub(crate) now_ms: i64,
    /// Time of the last successful save (LASTSAVE, Unix seconds).
    pub lastsave: i64,
    /// RDB persistence state.
    pub persistence: persistence::Persistence,
    /// Active expiry on (DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire: bool,
    /// The monotonic clock when the last command ended (commandstats).
    pub(crate) clock_us: u64,
    /// The replica role: the master followed, the link, the master client.
    pub replica: replica::ReplicaRole,
    /// The master's side of replication: replicas, stream, WAIT.
    pub master: master::MasterState,
    /// The append-only file's buffer and state.
    pub aof: aof::Aof,
}

impl Server {
    /// Queues an event for the host.
    pub fn push_event(&mut self, event: HostEvent) {
        self.events.push_back(event);
    }

    /// Asks the host to visit `id` (new output, or to close it).
    pub fn wake(&mut self, id: u64) {
        if let Some(handle) = self.clients.handle_of(id) {
            self.wakeups.push(handle);
        }
    }

    /// The clock of the command being run.
    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }

    /// Logs through the host.
    pub fn log(&mut self, level: u8, message: &str) {
        if level as i64 >= self.config.int(Id::Loglevel) {
            self.host.log(level, message);
        }
    }
}

/// Time a cron tick spends freeing lazily emptied databases: 5% of a
/// tick at `hz 10`.
const LAZYFREE_SLICE_US: u64 = 5_000;
/// Keys freed between two looks at the clock.
const LAZYFREE_BATCH: usize = 1024;

/// The whole server state; see the module documentation for how to drive it.
pub struct Engine {
    pub(crate) keyspace: Keyspace,
    pub(crate) server: Server,
}

impl Engine {
    /// A server with `config`, seeded with `seed`, at time `now_ms`.
    pub fn new(config: Config, seed: [u8; 32], host: Box<dyn Host>, now_ms: i64) -> Engine {
        let mut rng = Rng::new(seed);
        crate::keyspace::dict::set_hash_seed(rng.next_u64());
        let mut run_id_bytes = [0u8; 20];
        rng.fill(&mut run_id_bytes);
        let run_id = run_id_bytes.iter().map(|b| alloc::format!("{:02x}", b)).collect();
        rng.fill(&mut run_id_bytes);
        let replication = replication::Replication::new(run_id_bytes);
        let mut keyspace = Keyspace::new(config.hot().databases);
        keyspace.set_clock(now_ms, config.hot().access_tracking);
        Engine {
            keyspace,
            server: Server {
                commands: CommandTable::new(),
                config,
                clients: Clients::default(),
                pubsub: pubsub::PubSub::default(),
                blocking: blocking::Blocking::default(),
                watches: watch::Watches::default(),
                stats: Stats::new(now_ms),
                rng,
                run_id,
                replication,
                host,
                events: VecDeque::new(),
                wakeups: Vec::new(),
                resume: VecDeque::new(),
                propagated: None,
                pending: Vec::new(),
                call_depth: 0,
                next_client_id: 1,
                now_ms,
                lastsave: now_ms / 1000,
                persistence: persistence::Persistence::default(),
                active_expire: true,
                clock_us: 0,
                replica: replica::ReplicaRole::default(),
                master: master::MasterState::default(),
                aof: aof::Aof::default(),
            },
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.server.config
    }

    /// The configuration, to change it outside CONFIG SET (the host's own
    /// start-up adjustments such as the absolute `dir`).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.server.config
    }

    /// The command table, for `rename-command` at start-up.
    pub fn commands_mut(&mut self) -> &mut CommandTable {
        &mut self.server.commands
    }

    /// This run's id.
    pub fn run_id(&self) -> &str {
        &self.server.run_id
    }

    /// The keyspace.
    pub fn keyspace(&self) -> &Keyspace {
        &self.keyspace
    }

    /// The keyspace, mutable (loading a dataset).
    pub fn keyspace_mut(&mut self) -> &mut Keyspace {
        &mut self.keyspace
    }

    /// Starts recording the effects of writes ([`Engine::take_propagated`]).
    pub fn record_propagation(&mut self, on: bool) {
        self.server.propagated = if on { Some(Vec::new()) } else { None };
    }

    /// Effects recorded since the last call.
    pub fn take_propagated(&mut self) -> Vec<Propagated> {
        self.server.propagated.as_mut().map(core::mem::take).unwrap_or_default()
    }

    /// Registers a new connection. `Err` carries the bytes to write before
    /// closing it (max clients reached, protected mode).
    pub fn connect(&mut self, conn: ConnInfo, now_ms: i64) -> Result<ClientHandle, &'static [u8]> {
        let password_set = self.server.config.hot().requirepass.is_some();
        self.admit(conn, now_ms, password_set, 0)
    }

    /// The buffer to append the peer's bytes to.
    pub fn input_buffer(&mut self, handle: ClientHandle) -> Option<&mut Vec<u8>> {
        self.server.clients.get_mut(handle).map(|c| &mut c.query)
    }

    /// Pending output of `handle`: its replies, then for a replica its
    /// snapshot and stream (a piece at a time: call again after
    /// [`Engine::consume_output`]).
    pub fn output(&self, handle: ClientHandle) -> &[u8] {
        let Some(client) = self.server.clients.get(handle) else {
            return &[];
        };
        let replies = client.reply.bytes();
        if replies.is_empty() && client.state.has(client_flag::REPLICA) {
            return master::pending_output(&self.server, handle.id);
        }
        replies
    }

    /// Drops `n` written bytes of `handle`'s output.
    pub fn consume_output(&mut self, handle: ClientHandle, n: usize) {
        let Some(client) = self.server.clients.get_mut(handle) else {
            return;
        };
        if client.reply.is_empty() && client.state.has(client_flag::REPLICA) {
            master::consume_output(&mut self.server, handle.id, n);
        } else {
            client.reply.consume(n);
        }
    }

    /// Whether to close `handle`.
    pub fn close_state(&self, handle: ClientHandle) -> CloseState {
        match self.server.clients.get(handle) {
            None => CloseState::Now,
            Some(c) if c.state.has(client_flag::CLOSE_ASAP) => CloseState::Now,
            Some(c) if c.state.has(client_flag::CLOSE_AFTER_REPLY) => CloseState::AfterFlush,
            Some(_) => CloseState::Open,
        }
    }

    /// Forgets a closed connection.
    pub fn disconnect(&mut self, handle: ClientHandle) {
        if let Some(mut client) = self.server.clients.remove(handle) {
            process::release_client_state(&mut self.keyspace, &mut self.server, &mut client.state);
            master::forget(&mut self.server, client.id);
        }
    }

    /// The next client the host must visit (new output or closing).
    pub fn poll_wakeup(&mut self) -> Option<ClientHandle> {
        self.server.wakeups.pop()
    }

    /// The next host event.
    pub fn poll_event(&mut self) -> Option<HostEvent> {
        self.server.events.pop_front()
    }

    /// When [`Engine::handle_timeout`] must next run (Unix ms).
    pub fn poll_timeout(&self) -> Option<i64> {
        let wait = master::next_deadline(&self.server);
        match (self.server.blocking.next_deadline(), wait) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Times out blocked clients and ends pauses due at `now_ms`.
    pub fn handle_timeout(&mut self, now_ms: i64) {
        self.set_clock(now_ms);
        self.server.clock_us = self.server.host.monotonic_us();
        blocking::handle_timeouts(self, now_ms);
        master::serve_waiters(&mut self.server, now_ms);
        self.resume_unblocked();
    }

    /// Periodic work (`serverCron`), `hz` times a second: active expiry,
    /// incremental rehashing, idle-client timeouts.
    pub fn cron(&mut self, now_ms: i64) {
        self.set_clock(now_ms);
        let hz = self.server.config.hot().hz as i64;
        // Active expiry: each database gets a bounded sample per cron tick;
        // a database still expiring fast gets more passes (Redis's loop
        // while > 10% of the sample was stale), bounded again.
        let effort = self.server.config.int(Id::ActiveExpireEffort) as usize;
        let per_pass = 20 + 5 * (effort - 1);
        let databases = if self.server.active_expire {
            self.keyspace.db_count()
        } else {
            0
        };
        for db in 0..databases {
            for _ in 0..16 {
                let step = self.keyspace.active_expire_step(db, per_pass);
                if !step.more {
                    break;
                }
            }
        }
        process::propagate_expired(&mut self.keyspace, &mut self.server);
        if self.server.config.bool(Id::Activerehashing) {
            self.keyspace.rehash_step(100);
        }
        self.free_lazily();
        let timeout_s = self.server.config.hot().timeout as i64;
        if timeout_s > 0 {
            process::close_idle_clients(&mut self.server, now_ms, timeout_s);
        }
        self.server.stats.cron(now_ms, hz);
        persistence::cron(&self.keyspace, &mut self.server);
        aof::cron(&self.keyspace, &mut self.server);
        replica::cron(self, now_ms);
        master::cron(&self.keyspace, &mut self.server, now_ms);
    }

    /// Frees lazily emptied databases: hands them to the host's thread
    /// ([`Host::free_in_background`]), or, if it has none, frees keys for
    /// at most [`LAZYFREE_SLICE_US`], so that no client, nor a tab, waits
    /// for the whole (a million keys in about three seconds at `hz 10`).
    fn free_lazily(&mut self) {
        let host = &mut self.server.host;
        self.keyspace.hand_off_freeing(|dbs| host.free_in_background(dbs));
        let start = self.server.host.monotonic_us();
        while self.keyspace.free_some(LAZYFREE_BATCH) > 0
            && self.server.host.monotonic_us().saturating_sub(start) < LAZYFREE_SLICE_US
        {}
    }

    /// The host's background save ended (for hosts that learn it by
    /// themselves rather than from [`Host::poll_background_save`]).
    pub fn background_save_done(&mut self, exit: persistence::ChildExit, now_ms: i64) {
        self.set_clock(now_ms);
        persistence::background_save_done(&mut self.server, exit);
    }

    /// Bytes of the snapshot a [`Host::start_socket_save`] child streams:
    /// they go to the replicas it serves.
    pub fn socket_save_data(&mut self, bytes: &[u8], now_ms: i64) {
        self.set_clock(now_ms);
        master::socket_save_data(&mut self.server, bytes);
    }

    /// Whether to read more of the streamed snapshot now: `false` while
    /// its slowest replica is a window behind (the child then waits on
    /// its full pipe).
    pub fn socket_save_wants_data(&self) -> bool {
        master::socket_save_wants_data(&self.server)
    }

    /// Records the load done at start-up (`rdb_last_load_keys_*`).
    pub fn record_load(&mut self, report: &LoadReport) {
        self.server.persistence.record_load(report);
        replica::restore_history(&mut self.server, report);
    }

    /// The persistence state (INFO persistence figures).
    pub fn persistence(&self) -> &persistence::Persistence {
        &self.server.persistence
    }

    /// A shutdown asked for by a signal (`SIGTERM`, `SIGINT`): the final
    /// save as `shutdown-on-sigterm`/`shutdown-on-sigint` say. `false`
    /// means it failed and the server keeps running (Redis's
    /// `prepareForShutdown` from cron).
    pub fn shutdown_by_signal(&mut self, sigint: bool, now_ms: i64) -> bool {
        self.set_clock(now_ms);
        let id = if sigint {
            Id::ShutdownOnSigint
        } else {
            Id::ShutdownOnSigterm
        };
        let flags = persistence::ShutdownFlags::from_bits(self.server.config.int(id));
        persistence::prepare_shutdown(&self.keyspace, &mut self.server, flags).is_ok()
    }

    /// Sets the clock for the commands about to run.
    pub(crate) fn set_clock(&mut self, now_ms: i64) {
        self.server.now_ms = now_ms;
        let tracking = self.server.config.hot().access_tracking;
        self.keyspace.set_clock(now_ms, tracking);
    }
}

/// What Redis writes to a non-local client in protected mode.
const PROTECTED_MODE_ERROR: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
