//! The replica role (Redis's `replicationSetMaster`, `syncWithMaster`,
//! `readSyncBulkPayload`, the master client and the replica half of
//! `replicationCron`), on top of [`crate::repl::ReplicaLink`].
//!
//! # What the engine does, what the host does
//!
//! The engine owns the link's state machine, the snapshot being loaded and
//! the **master client** (the client that executes the master's stream with
//! the same command table as everyone else). The host only moves bytes:
//!
//! 1. When [`Engine::replica_target`] names a master, the host calls
//!    [`Engine::replica_connecting`], opens a TCP connection, and calls
//!    [`Engine::replica_connected`] (or [`Engine::replica_connect_failed`]
//!    and retries a second later, as Redis's cron does).
//! 2. Bytes from the master go to [`Engine::replica_input`]; after every
//!    call (and on a timer, for the once-a-second `REPLCONF ACK`) the host
//!    writes what [`Engine::replica_output`] gives.
//! 3. The host keeps the connection while [`Engine::replica_link_wanted`]
//!    says so (a failure, `REPLICAOF` elsewhere or `NO ONE` end it), then
//!    calls [`Engine::replica_closed`].
//!
//! # Offsets
//!
//! The stream's applied bytes are forwarded verbatim to our own backlog
//! ([`super::master::feed_stream`]), so `master_repl_offset` on a replica is the
//! master's offset of the last byte we applied, and a sub-replica or a
//! later `PSYNC` continues from the same numbers. The link reports
//! `slave_read_repl_offset` (received) and `slave_repl_offset` (applied);
//! inside `MULTI` the bytes count as applied only at `EXEC`, as in Redis.
//!
//! Never: no sockets, no clock, no files (a snapshot is loaded from the
//! received chunks straight into a keyspace set aside, which replaces the
//! old data when complete, so clients read the old data meanwhile, as with
//! `replica-serve-stale-data yes`).
//!
//! # `repl-diskless-load`
//!
//! With `disabled` (the default), or `on-empty-db` while we hold keys
//! (Redis's `useDisklessLoad`), the snapshot also goes to disk: after each
//! [`Engine::replica_input`] the host takes the received bytes with
//! [`Engine::replica_take_spool`] and appends them to a temporary file;
//! when it reports [`Spool::Complete`] the host syncs the file, renames it
//! to `dbfilename` and calls [`Engine::replica_spool_saved`], which only
//! then replaces the data and starts the stream (stream bytes that arrived
//! meanwhile are held). The data itself is parsed as it arrives, from the
//! same bytes the file holds. `swapdb` and an empty `on-empty-db` write
//! no file.

use super::client::{client_flag, Client, ConnInfo};
use super::process::{client_info_line, process_command};
use super::{Engine, Server};
use crate::cmd::parse::is;
use crate::cmd::spec::flag;
use crate::cmd::table::CommandEntry;
use crate::config::{Id, Source};
use crate::keyspace::{ExpiryMode, Keyspace};
use crate::rdb::load::Loader;
use crate::rdb::LoadOptions;
use crate::repl::link::{Event, State};
use crate::repl::{Backlog, LinkConfig, ReplId, ReplicaLink, ReplicationIds};
use crate::resp::request::{Parsed, RequestLimits};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// `-READONLY` (a write on a read-only replica).
pub const READONLY: &[u8] = b"READONLY You can't write against a read only replica.";
/// `-MASTERDOWN` (a command not allowed on stale data).
pub const MASTERDOWN: &[u8] = b"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// A snapshot being received.
struct Transfer {
    loader: Loader,
    keyspace: Keyspace,
    /// Announced size (`$<len>`), `None` for the `$EOF:` framing.
    size: Option<u64>,
    read: u64,
    /// `repl-diskless-load disabled` (or `on-empty-db` with data): the
    /// host also writes the snapshot to a temporary file that becomes the
    /// dump before the data is replaced.
    disk: bool,
    /// Received bytes the host has not written to the file yet.
    spool: Vec<u8>,
    /// The whole snapshot arrived; waiting for the host's file.
    complete: bool,
}

/// Where a disk-backed transfer stands, for the host
/// ([`Engine::replica_take_spool`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spool {
    /// No snapshot is being received to disk.
    None,
    /// Bytes to append to the temporary file; more follow.
    Writing,
    /// The last bytes: sync and rename the file, then call
    /// [`Engine::replica_spool_saved`].
    Complete,
}

/// The replica side of the server (`server.masterhost` and friends).
#[derive(Default)]
pub struct ReplicaRole {
    /// The master (`replicaof`); `None` = we are a master.
    master: Option<(String, u16)>,
    /// Changes whenever the master changes, so the host drops a
    /// connection made to the previous one.
    generation: u64,
    /// The TCP connection is being opened (`REPL_STATE_CONNECTING`).
    connecting: bool,
    /// The connection's state machine, while connected.
    link: Option<ReplicaLink>,
    /// The master client: live while streaming, kept (cached, with its
    /// selected database) across a reconnection to continue partially.
    client: Option<Box<Client>>,
    /// Whether `client` is streaming now (Redis's `server.master`) rather
    /// than cached.
    streaming: bool,
    transfer: Option<Transfer>,
    /// `+FULLRESYNC`'s history, adopted when the snapshot is loaded.
    full_sync: Option<(ReplId, i64)>,
    /// We hold history worth a partial resync (synced before, or were a
    /// master: `replicationCacheMasterUsingMyself`).
    has_history: bool,
    /// Offsets of the last link (`slave_read_repl_offset`,
    /// `slave_repl_offset` of the cached master).
    cached_offsets: Option<(i64, i64)>,
    /// When the link went down (ms), 0 if never up.
    down_since_ms: i64,
    /// The snapshot failed to load: the connection must be dropped.
    abort: bool,
    /// Our end of the connection (`laddr=` of the master client).
    laddr: String,
    /// `CLIENT KILL` chose the master client: the host drops the link.
    killed: bool,
    /// Stream bytes that followed a disk-backed snapshot before its file
    /// was in place; applied once it is.
    held_stream: Vec<u8>,
    /// Full syncs loaded and partial resyncs accepted by this replica, and
    /// when the last of either completed (ms), for [`Engine::replica_status`].
    syncs: (u64, u64, i64),
}

/// Where a replica stands, for a host that shows it (the browser
/// replica's `stats()`): the figures of `ROLE` and `INFO replication`
/// without formatting them as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// ROLE's word: `connect`, `connecting`, `handshake`, `sync`, `connected`.
    pub state: &'static str,
    /// `master_replid`: the history whose offsets we hold.
    pub replid: ReplId,
    /// `slave_repl_offset`: the master's offset of the last byte applied.
    pub offset: i64,
    /// `slave_read_repl_offset`: the master's offset of the last byte received.
    pub read_offset: i64,
    /// A snapshot being received: bytes read and the announced size
    /// (`None` for the `$EOF:` framing).
    pub transfer: Option<(u64, Option<u64>)>,
    /// Full syncs loaded so far.
    pub full_syncs: u64,
    /// Partial resyncs the master accepted so far.
    pub partial_syncs: u64,
    /// When the last sync of either kind completed (Unix ms), 0 if never.
    pub last_sync_ms: i64,
}

impl ReplicaRole {
    /// Whether this server is a replica (`server.masterhost != NULL`).
    pub fn is_replica(&self) -> bool {
        self.master.is_some()
    }

    /// The master's host and port.
    pub fn master(&self) -> Option<(&str, u16)> {
        self.master.as_ref().map(|(h, p)| (h.as_str(), *p))
    }

    /// `master_link_status:up`: streaming from the master.
    pub fn link_up(&self) -> bool {
        self.link.as_ref().is_some_and(|l| l.state() == State::Connected)
    }

    /// Whether a client's commands obey the master (the master client).
    fn obeys(state: &super::client::ClientState) -> bool {
        state.has(client_flag::MASTER)
    }

    /// The master client while it streams (Redis's `server.master`), as
    /// `CLIENT LIST` shows it.
    pub fn streaming_client(&self) -> Option<&Client> {
        self.client.as_deref().filter(|_| self.streaming)
    }

    /// `CLIENT KILL` on the master client: the link is dropped (the host
    /// sees [`Engine::replica_link_wanted`] false), the master cached for a
    /// partial resync.
    pub fn kill_link(&mut self) {
        if self.streaming {
            self.killed = true;
        }
    }

    /// ROLE's state word for the link.
    fn state_word(&self) -> &'static str {
        match self.link.as_ref().map(ReplicaLink::state) {
            None | Some(State::Closed) if self.connecting => "connecting",
            None | Some(State::Closed) => "connect",
            Some(State::Connecting) => "connecting",
            Some(State::Transfer) => "sync",
            Some(State::Connected) => "connected",
            Some(_) => "handshake",
        }
    }
}

/// The checks `processCommand` makes for a replica: `-READONLY` for a
/// write from a normal client with `replica-read-only yes`, `-MASTERDOWN`
/// for a command not flagged `stale` while the link is down with
/// `replica-serve-stale-data no`. `None` lets the command run.
pub fn refusal(
    server: &Server,
    state: &super::client::ClientState,
    entry: &CommandEntry,
    write: bool,
) -> Option<&'static [u8]> {
    let role = &server.replica;
    if !role.is_replica() || ReplicaRole::obeys(state) {
        return None;
    }
    if write && server.config.hot().replica_read_only {
        return Some(READONLY);
    }
    if !role.link_up() && !server.config.bool(Id::ReplicaServeStaleData) && !entry.command.has(flag::STALE) {
        return Some(MASTERDOWN);
    }
    None
}

/// The replication fields a replica writes into a dump
/// (`rdbPopulateSaveInfo` with a master or cached master): the master
/// client's database, our id and offset (the master's numbers, as the
/// stream is applied verbatim). `None` before any history.
pub fn save_info(server: &Server) -> Option<(usize, String, i64)> {
    let client = server.replica.client.as_ref()?;
    let id = String::from(core::str::from_utf8(server.replication.ids.replid.as_bytes()).unwrap_or(""));
    Some((client.state.db, id, server.replication.offset()))
}

/// At start-up, a replica whose dump carries `repl-id`, `repl-offset` and
/// `repl-stream-db` takes them as a cached master (Redis's
/// `loadDataFromDisk` + `replicationCacheMasterUsingMyself`), so its
/// first `PSYNC` asks to continue from there; a master keeps them as its
/// second history ([`super::master::restore_history`]).
pub fn restore_history(server: &mut Server, report: &crate::rdb::load::LoadReport) {
    let number = |name: &[u8]| -> Option<i64> {
        let text = core::str::from_utf8(report.aux(name)?).ok()?;
        text.trim().parse::<i64>().ok()
    };
    let Some(replid) = report.aux(b"repl-id").and_then(ReplId::parse) else {
        return;
    };
    let (Some(offset), Some(db)) = (number(b"repl-offset"), number(b"repl-stream-db")) else {
        return;
    };
    if offset < 0 || db < 0 || db as usize >= server.config.int(Id::Databases).max(1) as usize {
        return;
    }
    if server.config.replica_of().is_none() {
        super::master::restore_history(server, replid, offset);
        return;
    }
    server.log(
        2,
        "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer.",
    );
    server.replication.ids = ReplicationIds::new(replid);
    server.replication.set_offset(offset);
    let mut client = new_master_client(server);
    client.state.db = db as usize;
    let role = &mut server.replica;
    role.client = Some(client);
    role.has_history = true;
    role.cached_offsets = Some((offset, offset));
}

/// A new master client (`replicationCreateMasterClient`), not streaming yet.
fn new_master_client(server: &mut Server) -> Box<Client> {
    let id = server.next_client_id;
    server.next_client_id += 1;
    let role = &server.replica;
    let addr = role
        .master
        .as_ref()
        .or(server.config.replica_of())
        .map(|(h, p)| format!("{}:{}", h, p))
        .unwrap_or_default();
    let conn = ConnInfo {
        addr,
        laddr: role.laddr.clone(),
        fd: -1,
        ..ConnInfo::default()
    };
    let mut client = Client::new(id, conn, server.now_ms, true);
    client.state.flags |= client_flag::MASTER | client_flag::DENY_BLOCKING;
    Box::new(client)
}

/// The `INFO replication` lines from `role:` to just before
/// `connected_slaves:`.
pub fn write_info(server: &Server, out: &mut String) {
    let role = &server.replica;
    let Some((host, port)) = role.master() else {
        out.push_str("role:master\r\n");
        return;
    };
    let now = server.now_ms;
    let link = role.link.as_ref().filter(|_| role.streaming);
    let (read_offset, offset) = match (link, role.cached_offsets) {
        (Some(link), _) => (link.read_reploff(), link.reploff()),
        (None, Some(cached)) => cached,
        (None, None) => (1, 1),
    };
    let state = role.link.as_ref().map(ReplicaLink::state);
    let _ = write!(
        out,
        "role:slave\r\nmaster_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
        host,
        port,
        if role.link_up() { "up" } else { "down" },
        link.map_or(-1, |l| (now - l.last_io_ms()) / 1000),
        (state == Some(State::Transfer)) as u8,
        read_offset,
        offset,
    );
    if let (Some(transfer), Some(link)) = (&role.transfer, &role.link) {
        let size = transfer.size.map_or(0, |s| s as i64);
        let read = transfer.read as i64;
        let perc = if size > 0 {
            read as f64 / size as f64 * 100.0
        } else {
            0.0
        };
        let _ = write!(
            out,
            "master_sync_total_bytes:{}\r\nmaster_sync_read_bytes:{}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
            size,
            read,
            size - read,
            perc,
            (now - link.last_io_ms()) / 1000,
        );
    }
    if !role.link_up() {
        let since = if role.down_since_ms != 0 {
            (now - role.down_since_ms) / 1000
        } else {
            -1
        };
        let _ = write!(out, "master_link_down_since_seconds:{}\r\n", since);
    }
    let _ = write!(
        out,
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        server.config.int(Id::ReplicaPriority),
        server.config.hot().replica_read_only as u8,
        server.config.bool(Id::ReplicaAnnounced) as u8,
    );
}

/// `ROLE` for a replica: `slave`, host, port, state, applied offset (or
/// -1 while not streaming). `None` on a master.
pub fn role_reply(server: &Server, reply: &mut crate::resp::reply::Reply) -> bool {
    let role = &server.replica;
    let Some((host, port)) = role.master() else {
        return false;
    };
    reply.array(5);
    reply.bulk(b"slave");
    reply.bulk(host.as_bytes());
    reply.integer(port as i64);
    reply.bulk(role.state_word().as_bytes());
    let offset = role.link.as_ref().filter(|l| l.state() == State::Connected);
    reply.integer(offset.map_or(-1, ReplicaLink::reploff));
    true
}

/// `REPLICAOF host port` (`replicationSetMaster`): follow a new master.
/// Returns `false` when already following it.
pub fn set_master(keyspace: &mut Keyspace, server: &mut Server, host: &[u8], port: u16, requester: &str) -> bool {
    let host = String::from_utf8_lossy(host).into_owned();
    if let Some((current, current_port)) = &server.replica.master {
        if current.eq_ignore_ascii_case(&host) && *current_port == port {
            server.log(
                2,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.",
            );
            return false;
        }
    }
    adopt_master(keyspace, server, Some((host, port)));
    if let Some((host, port)) = server.replica.master.clone() {
        server.log(
            2,
            &format!(
                "REPLICAOF {}:{} enabled (user request from '{}')",
                host, port, requester
            ),
        );
    }
    true
}

/// `REPLICAOF NO ONE` (`replicationUnsetMaster`): become a master, keeping
/// the master's history as `master_replid2` so former siblings continue
/// partially (PSYNC2).
pub fn unset_master(keyspace: &mut Keyspace, server: &mut Server, requester: &str) {
    if !server.replica.is_replica() {
        return;
    }
    let mut random = [0u8; 20];
    server.rng.fill(&mut random);
    let offset = server.replication.offset();
    server.replication.ids.shift(offset, random);
    let line = server.replication.ids.shift_log_line();
    server.log(2, &line);
    adopt_master(keyspace, server, None);
    server.log(2, &format!("MASTER MODE enabled (user request from '{}')", requester));
}

/// Switches to `master` (or to the master role): drops the link, keeps
/// the history, sets the expiry mode and the `replicaof` setting.
fn adopt_master(keyspace: &mut Keyspace, server: &mut Server, master: Option<(String, u16)>) {
    let role = &mut server.replica;
    if role.master.is_none() {
        // Redis's replicationCacheMasterUsingMyself: our own history.
        role.has_history = true;
        role.client = None;
    }
    if role.streaming {
        if let Some(link) = &role.link {
            role.cached_offsets = Some((link.read_reploff(), link.reploff()));
        }
    }
    role.link = None;
    role.transfer = None;
    role.full_sync = None;
    role.streaming = false;
    role.connecting = false;
    role.generation += 1;
    server.push_event(super::HostEvent::ReplicaTarget);
    let role = &mut server.replica;
    let (mode, words): (ExpiryMode, [Vec<u8>; 2]) = match &master {
        Some((host, port)) => (
            ExpiryMode::Hide,
            [
                host.as_bytes().to_vec(),
                itoa::Buffer::new().format(*port).as_bytes().to_vec(),
            ],
        ),
        None => {
            role.client = None;
            role.cached_offsets = None;
            role.down_since_ms = 0;
            (ExpiryMode::Delete, [b"no".to_vec(), b"one".to_vec()])
        }
    };
    if master.is_some() && role.master.is_none() {
        role.down_since_ms = 0;
    }
    role.master = master;
    keyspace.set_expiry_mode(mode);
    let _ = server.config.set(
        Id::Replicaof,
        &[words[0].as_slice(), words[1].as_slice()],
        Source::Startup,
    );
}

/// The once-a-tick work of the link: `repl-timeout` and the periodic
/// `REPLCONF ACK`.
pub(crate) fn cron(engine: &mut Engine, now_ms: i64) {
    let Some(link) = engine.server.replica.link.as_mut() else {
        return;
    };
    link.handle_timeout(now_ms);
    let mut failures = Vec::new();
    while let Some(event) = link.poll_event() {
        if let Event::Failed(failure) = event {
            failures.push(failure.log_line());
        }
    }
    for line in failures {
        engine.server.log(3, &line);
    }
}

impl Engine {
    /// Follows the master named by the `replicaof` setting, at start-up
    /// (no history yet: the first `PSYNC` asks `? -1`).
    pub fn replica_from_config(&mut self) {
        let Some((host, port)) = self.server.config.replica_of().cloned() else {
            return;
        };
        let role = &mut self.server.replica;
        role.master = Some((host, port));
        role.generation += 1;
        self.keyspace.set_expiry_mode(ExpiryMode::Hide);
    }

    /// Where the replica stands (`None` on a master).
    pub fn replica_status(&self) -> Option<ReplicaStatus> {
        let role = &self.server.replica;
        role.master.as_ref()?;
        let link = role.link.as_ref().filter(|_| role.streaming);
        let offset = self.server.replication.offset();
        let (read_offset, offset) = match (link, role.cached_offsets) {
            (Some(link), _) => (link.read_reploff(), link.reploff()),
            (None, Some(cached)) => cached,
            (None, None) => (offset, offset),
        };
        Some(ReplicaStatus {
            state: role.state_word(),
            replid: self.server.replication.ids.replid,
            offset,
            read_offset,
            transfer: role.transfer.as_ref().map(|t| (t.read, t.size)),
            full_syncs: role.syncs.0,
            partial_syncs: role.syncs.1,
            last_sync_ms: role.syncs.2,
        })
    }

    /// The master to connect to and the generation of that choice, while
    /// this server is a replica without a connection.
    pub fn replica_target(&self) -> Option<(String, u16, u64)> {
        let role = &self.server.replica;
        let (host, port) = role.master.clone()?;
        Some((host, port, role.generation))
    }

    /// Whether the host should keep the connection it made for
    /// `generation`.
    pub fn replica_link_wanted(&self, generation: u64) -> bool {
        let role = &self.server.replica;
        role.generation == generation
            && role.master.is_some()
            && !role.killed
            && role.link.as_ref().is_none_or(|l| l.state() != State::Closed)
    }

    /// The host starts connecting to the master (`connectWithMaster`).
    pub fn replica_connecting(&mut self, now_ms: i64) {
        self.set_clock(now_ms);
        let Some((host, port)) = self.server.replica.master.clone() else {
            return;
        };
        self.server.replica.connecting = true;
        self.server.log(2, &format!("Connecting to MASTER {}:{}", host, port));
        self.server.log(2, "MASTER <-> REPLICA sync started");
    }

    /// The connection could not be made.
    pub fn replica_connect_failed(&mut self, error: &str, now_ms: i64) {
        self.set_clock(now_ms);
        self.server.replica.connecting = false;
        self.server
            .log(3, &format!("Error condition on socket for SYNC: {}", error));
    }

    /// The connection is open: the handshake starts.
    pub fn replica_connected(&mut self, now_ms: i64) {
        self.set_clock(now_ms);
        let config = &self.server.config;
        let text = |id: Id| -> Option<Vec<u8>> {
            let value = config.text(id);
            (!value.is_empty()).then(|| value.as_bytes().to_vec())
        };
        let announce_port = config.int(Id::ReplicaAnnouncePort);
        let listening_port = if announce_port != 0 {
            announce_port
        } else {
            config.int(Id::Port)
        };
        let role = &self.server.replica;
        let resume = role
            .has_history
            .then(|| (self.server.replication.ids.replid, self.server.replication.offset()));
        let link_config = LinkConfig {
            masteruser: text(Id::Masteruser),
            masterauth: text(Id::Masterauth),
            listening_port: listening_port as u16,
            announce_ip: text(Id::ReplicaAnnounceIp),
            timeout_ms: config.int(Id::ReplTimeout).saturating_mul(1000),
            resume,
        };
        let mut link = ReplicaLink::new(link_config);
        link.handle_connected(now_ms);
        while link.poll_event().is_some() {}
        let role = &mut self.server.replica;
        role.connecting = false;
        role.link = Some(link);
        self.server.log(2, "Non blocking connect for SYNC fired the event.");
    }

    /// Bytes the master sent.
    pub fn replica_input(&mut self, bytes: &[u8], now_ms: i64) {
        self.set_clock(now_ms);
        let Some(mut link) = self.server.replica.link.take() else {
            return;
        };
        let mut stream = false;
        {
            let mut input = link.handle_input(now_ms, bytes);
            while let Some(event) = input.next_event() {
                match event {
                    Event::Stream(bytes) => {
                        if self.server.replica.transfer.as_ref().is_some_and(|t| t.complete) {
                            self.server.replica.held_stream.extend_from_slice(bytes);
                        } else if let Some(client) = self.server.replica.client.as_mut() {
                            client.query.extend_from_slice(bytes);
                            stream = true;
                        }
                    }
                    Event::RdbChunk(bytes) => {
                        if let Err(line) = self.load_chunk(bytes) {
                            self.server.log(3, &line);
                            self.server.replica.transfer = None;
                            self.server.replica.abort = true;
                            break;
                        }
                    }
                    other => self.replica_event(other.into_owned_event()),
                }
            }
        }
        if core::mem::take(&mut self.server.replica.abort) {
            // The snapshot did not load: drop the connection and retry.
            link.handle_closed();
            while link.poll_event().is_some() {}
        }
        self.server.replica.link = Some(link);
        if stream {
            self.apply_stream();
        }
        self.resume_unblocked();
    }

    /// Appends what to send to the master to `out`; whether there was any.
    pub fn replica_output(&mut self, out: &mut Vec<u8>) -> bool {
        self.server.replica.link.as_mut().is_some_and(|l| l.poll_output(out))
    }

    /// Our end of the connection to the master (`ip:port`), for the
    /// master client's `laddr=`.
    pub fn replica_local_addr(&mut self, laddr: String) {
        self.server.replica.laddr = laddr;
    }

    /// The connection to the master closed.
    pub fn replica_closed(&mut self, now_ms: i64) {
        self.set_clock(now_ms);
        let role = &mut self.server.replica;
        role.connecting = false;
        role.killed = false;
        let Some(mut link) = role.link.take() else {
            return;
        };
        let was_streaming = role.streaming;
        if was_streaming {
            role.cached_offsets = Some((link.read_reploff(), link.reploff()));
            role.down_since_ms = now_ms;
        }
        role.streaming = false;
        role.transfer = None;
        role.held_stream = Vec::new();
        role.full_sync = None;
        if let Some(client) = role.client.as_mut() {
            client.query.clear();
            client.parser = Default::default();
            client.state.multi = None;
            client.state.flags &= !(client_flag::MULTI | client_flag::DIRTY_CAS | client_flag::DIRTY_EXEC);
        }
        link.handle_closed();
        let mut lines = Vec::new();
        while let Some(event) = link.poll_event() {
            if let Event::Failed(failure) = event {
                lines.push(failure.log_line());
            }
        }
        for line in lines {
            self.server.log(3, &line);
        }
        if was_streaming {
            self.server.log(2, "Caching the disconnected master state.");
        }
    }

    fn load_chunk(&mut self, bytes: &[u8]) -> Result<(), String> {
        let Some(transfer) = self.server.replica.transfer.as_mut() else {
            return Ok(());
        };
        transfer.read += bytes.len() as u64;
        if transfer.disk {
            transfer.spool.extend_from_slice(bytes);
        }
        transfer.loader.feed(&mut transfer.keyspace, bytes).map_err(|e| {
            format!(
                "Failed trying to load the MASTER synchronization DB from socket: {}",
                e.reason
            )
        })
    }

    /// Acts on one link event other than stream and RDB bytes.
    fn replica_event(&mut self, event: Event<'static>) {
        let now = self.server.now_ms;
        match event {
            Event::Connected | Event::RdbChunk(_) | Event::Stream(_) => {}
            Event::Handshake(step) => {
                for line in step.log_lines() {
                    self.server.log(2, &line);
                }
            }
            Event::FullResync { replid, offset } => {
                self.server
                    .log(2, &format!("Full resync from master: {}:{}", replid, offset));
                self.server.replica.full_sync = Some((replid, offset));
                self.server.replica.client = None;
            }
            Event::RdbStart { size } => {
                // Redis's `useDisklessLoad`: `swapdb` always parses the
                // socket, `on-empty-db` only while we hold no keys.
                let disk = match self.server.config.int(Id::ReplDisklessLoad) {
                    2 => false,
                    1 => self.keyspace.total_keys() > 0,
                    _ => true,
                };
                let target = if disk { "disk" } else { "parser" };
                let line = match size {
                    Some(size) => format!(
                        "MASTER <-> REPLICA sync: receiving {} bytes from master to {}",
                        size, target
                    ),
                    None => format!(
                        "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to {}",
                        target
                    ),
                };
                self.server.log(2, &line);
                let options = LoadOptions::from_config(&self.server.config);
                let mut keyspace = Keyspace::new(self.keyspace.db_count());
                keyspace.set_clock(now, self.server.config.hot().access_tracking);
                self.server.replica.transfer = Some(Transfer {
                    loader: Loader::new(options, now, false, size),
                    keyspace,
                    size,
                    read: 0,
                    disk,
                    spool: Vec::new(),
                    complete: false,
                });
            }
            Event::RdbEnd => match self.server.replica.transfer.as_mut() {
                // The host puts the file in place first.
                Some(transfer) if transfer.disk => transfer.complete = true,
                _ => self.finish_full_sync(),
            },
            Event::Continue { new_replid } => {
                self.server.log(2, "Successful partial resynchronization with master.");
                let offset = self.server.replication.offset();
                if let Some(id) = new_replid {
                    self.server.replication.ids.shift_to(id, offset);
                    self.server.log(2, &format!("Master replication ID changed to {}", id));
                }
                if self.server.replication.backlog.is_none() {
                    let size = self.server.config.int(Id::ReplBacklogSize).max(0) as usize;
                    self.server.replication.backlog = Some(Backlog::new(size, offset));
                }
                self.start_streaming();
                let syncs = &mut self.server.replica.syncs;
                *syncs = (syncs.0, syncs.1 + 1, now);
                self.server.log(
                    2,
                    "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.",
                );
            }
            Event::Failed(failure) => {
                self.server.log(3, &failure.log_line());
                self.server.replica.transfer = None;
            }
        }
    }

    /// The snapshot is complete: it replaces the data, its history becomes
    /// ours, and the stream starts.
    fn finish_full_sync(&mut self) {
        let Some(transfer) = self.server.replica.transfer.take() else {
            return;
        };
        let Some((replid, offset)) = self.server.replica.full_sync.take() else {
            return;
        };
        let Transfer {
            loader, keyspace, disk, ..
        } = transfer;
        let report = match loader.finish() {
            Ok(report) => report,
            Err(error) => {
                let line = if disk {
                    String::from("Failed trying to load the MASTER synchronization DB from disk, check server logs.")
                } else {
                    format!(
                        "Failed trying to load the MASTER synchronization DB from socket: {}",
                        error.reason
                    )
                };
                self.server.log(3, &line);
                self.server.replica.abort = true;
                return;
            }
        };
        self.server.log(2, "MASTER <-> REPLICA sync: Flushing old data");
        self.server.log(2, "MASTER <-> REPLICA sync: Loading DB in memory");
        let lazy = self.server.config.bool(Id::ReplicaLazyFlush);
        self.keyspace.replace_data(keyspace, lazy);
        super::aof::restart_after_sync(&self.keyspace, &mut self.server);
        self.server.log(
            2,
            &format!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                report.keys_loaded, report.keys_expired
            ),
        );
        self.server.replication.ids = ReplicationIds::new(replid);
        let size = self.server.config.int(Id::ReplBacklogSize).max(0) as usize;
        self.server.replication.backlog = Some(Backlog::new(size, offset));
        super::master::close_replicas_off_history(&mut self.server);
        self.server.replica.has_history = true;
        self.server.stats.dirty += 1;
        let syncs = &mut self.server.replica.syncs;
        *syncs = (syncs.0 + 1, syncs.1, self.server.now_ms);
        self.start_streaming();
        self.server.log(2, "MASTER <-> REPLICA sync: Finished with success");
    }

    /// Moves the snapshot bytes received for the temporary file into
    /// `out`, and says whether the transfer goes on or is complete.
    pub fn replica_take_spool(&mut self, out: &mut Vec<u8>) -> Spool {
        let Some(transfer) = self.server.replica.transfer.as_mut().filter(|t| t.disk) else {
            return Spool::None;
        };
        out.append(&mut transfer.spool);
        if transfer.complete {
            Spool::Complete
        } else {
            Spool::Writing
        }
    }

    /// The host wrote, synced and renamed the snapshot to the dump
    /// (`Ok`), or failed to (`Err` = Redis's log line): the data is
    /// replaced and the stream starts, or the link is dropped.
    pub fn replica_spool_saved(&mut self, result: Result<(), String>, now_ms: i64) {
        self.set_clock(now_ms);
        if !self.server.replica.transfer.as_ref().is_some_and(|t| t.complete) {
            return;
        }
        match result {
            Ok(()) => self.finish_full_sync(),
            Err(line) => {
                self.server.log(3, &line);
                self.server.replica.transfer = None;
                self.server.replica.abort = true;
            }
        }
        let held = core::mem::take(&mut self.server.replica.held_stream);
        if core::mem::take(&mut self.server.replica.abort) {
            if let Some(link) = self.server.replica.link.as_mut() {
                link.handle_closed();
                while link.poll_event().is_some() {}
            }
        } else if !held.is_empty() {
            if let Some(client) = self.server.replica.client.as_mut() {
                client.query.extend_from_slice(&held);
                self.apply_stream();
            }
        }
        self.resume_unblocked();
    }

    /// Makes (or revives) the master client.
    fn start_streaming(&mut self) {
        let role = &mut self.server.replica;
        role.streaming = true;
        role.cached_offsets = None;
        if role.client.is_none() {
            let client = new_master_client(&mut self.server);
            self.server.replica.client = Some(client);
        }
        let role = &mut self.server.replica;
        if let Some(client) = role.client.as_mut() {
            // A resurrected master client: this connection's ends.
            client.state.conn.laddr.clone_from(&role.laddr);
            if let Some((host, port)) = &role.master {
                client.state.conn.addr = format!("{}:{}", host, port);
            }
            client.state.last_interaction_ms = self.server.now_ms;
        }
    }

    /// Runs the complete commands in the master client's buffer: no
    /// replies, expired keys as the master says, each command's length
    /// reported to the link, applied bytes forwarded verbatim.
    fn apply_stream(&mut self) {
        let (Some(mut client), Some(mut link)) = (self.server.replica.client.take(), self.server.replica.link.take())
        else {
            return;
        };
        self.keyspace.set_expiry_mode(ExpiryMode::Ignore);
        let limits = RequestLimits {
            max_bulk_len: u64::MAX,
            unauthenticated: false,
        };
        let mut applied = 0;
        let mut protocol_error = None;
        loop {
            if client.parser.position() >= client.query.len() {
                break;
            }
            let Client {
                query,
                parser,
                reply,
                state,
                ..
            } = &mut *client;
            match parser.parse(query, &limits) {
                Parsed::Command => {
                    let args = parser.args(query);
                    if args.len() >= 2 && is(args.get(0), "replconf") && is(args.get(1), "getack") {
                        link.send_ack();
                    } else {
                        process_command(&mut self.keyspace, &mut self.server, state, reply, args);
                    }
                    reply.truncate(0);
                }
                Parsed::Empty => {}
                Parsed::Incomplete => break,
                Parsed::Error(error) => {
                    protocol_error = Some(error.log_reason());
                    break;
                }
            }
            if !client.state.has(client_flag::MULTI) {
                let position = client.parser.position();
                link.handle_applied(position - applied);
                // Verbatim to our backlog and sub-replicas: offsets stay the master's.
                super::master::feed_stream(&mut self.server, &client.query[applied..position]);
                applied = position;
            }
        }
        if applied > 0 {
            client.query.drain(..applied);
            client.parser.rebase(applied);
        }
        // The effects recorded ([`Engine::record_propagation`]) stay: they
        // are the master's writes as this replica applied them, which the
        // browser replica turns into change events. Sub-replicas get the
        // master's bytes verbatim (above), never these.
        self.keyspace.set_expiry_mode(ExpiryMode::Hide);
        if let Some(reason) = protocol_error {
            let info = client_info_line(&client.state, client.query.len(), 0);
            self.server
                .log(3, &format!("Protocol error ({}) from client: {}.", reason, info));
            link.handle_closed();
            while link.poll_event().is_some() {}
        }
        self.server.replica.client = Some(client);
        self.server.replica.link = Some(link);
    }
}

impl Event<'_> {
    /// The event without borrowed bytes (chunk events become empty).
    fn into_owned_event(self) -> Event<'static> {
        match self {
            Event::RdbChunk(_) => Event::RdbChunk(&[]),
            Event::Stream(_) => Event::Stream(&[]),
            Event::Connected => Event::Connected,
            Event::Handshake(step) => Event::Handshake(step),
            Event::FullResync { replid, offset } => Event::FullResync { replid, offset },
            Event::RdbStart { size } => Event::RdbStart { size },
            Event::RdbEnd => Event::RdbEnd,
            Event::Continue { new_replid } => Event::Continue { new_replid },
            Event::Failed(failure) => Event::Failed(failure),
        }
    }
}
