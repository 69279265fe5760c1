//! The master's side of replication (Redis's `replication.c`, master
//! half): the replication stream, the replicas, full and partial resyncs,
//! `REPLCONF ACK`, `WAIT` and the replication cron.
//!
//! # The stream
//!
//! Every write the engine propagates ([`super::Propagated`]) is encoded
//! once as a RESP multibulk, preceded by `SELECT <db>` when its database
//! differs from the last one in the stream (Redis's `slaveseldb`), and fed
//! with [`feed_stream`] to the backlog, the shared replication buffer:
//! every replica sends from it at its own offset (`stream_pos`), after its
//! snapshot, so the bytes exist once however many replicas there are, and
//! the buffer keeps them until the slowest replica sent them (or its output
//! limit cut it off). A replica forwarding its own master's
//! stream calls [`feed_stream`] with the bytes it applied, verbatim, so its
//! sub-replicas see the same offsets; its own commands are then not
//! encoded (see [`propagating`]).
//!
//! # Offsets, by example
//!
//! The backlog is created when the first replica asks to sync, at the
//! current `master_repl_offset` (say 0). A `SET a 1` in db 0 feeds
//! `*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n` (23 bytes) then the SET (29 bytes):
//! `master_repl_offset` is now 52. A replica that acknowledged 23 asks
//! `PSYNC <replid> 24` after a drop and receives the 29 bytes of the SET.
//!
//! # Full resync
//!
//! Disk-backed, as Redis's `repl-diskless-sync no`: a `BGSAVE` writes
//! `dbfilename` (with the replication aux fields); replicas that asked
//! meanwhile wait for it (`wait_bgsave`), their stream held from the
//! snapshot's offset; when the save ends each gets `$<len>\r\n` and the
//! file, read chunk by chunk through its own handle as its socket drains
//! (`send_bulk`, see [`super::transfer`]), then goes online and sends the
//! stream. A replica arriving while another waits for the same save shares
//! it; one arriving during a save it cannot share waits for the next,
//! which the cron starts.
//!
//! Diskless, as `repl-diskless-sync yes` (the default) when every waiting
//! replica sent `capa eof`: once the longest waiting one waited
//! `repl-diskless-sync-delay` seconds (or `repl-diskless-sync-max-replicas`
//! wait), the host forks a child streaming the snapshot through a pipe
//! ([`super::Host::start_socket_save`]); each replica gets
//! `$EOF:<40 hex chars>\r\n`, the bytes as they arrive
//! ([`super::Engine::socket_save_data`], read from the pipe only as fast as
//! the slowest replica takes them), the same 40 characters last: the child
//! writes them after the snapshot, as Redis's does, so a replica has the
//! whole transfer as soon as the child wrote it, not when the child's exit
//! is noticed (a cron tick later). It is online once the child exited,
//! but its stream starts only at its first `REPLCONF ACK`, so
//! nothing is glued to the end mark. No keep-alive newline interleaves with
//! a streamed snapshot, and no replica arriving meanwhile shares it.
//!
//! A replica whose snapshot transfer makes no progress for `repl-timeout`
//! seconds is disconnected.
//!
//! Never here: sockets and files (the host opens the dump,
//! [`super::Host::open_rdb_file`]), and the replica's side of the link
//! ([`crate::repl::ReplicaLink`]).

use super::client::{client_flag, ClientState};
use super::clients::ClientHandle;
use super::transfer::{FileProgress, FileTransfer, SocketTransfer};
use super::{persistence, Server};
use crate::config::Id;
use crate::keyspace::Keyspace;
use crate::repl::psync::{self, Decision, FullResyncReason, Request};
use crate::repl::{Backlog, ReplId};
use crate::resp::reply::Reply;
use crate::resp::request::Args;
use crate::util::rng::Rng;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Where a replica is in its synchronization (`SLAVE_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaState {
    /// Sent `REPLCONF` but no `SYNC`/`PSYNC` yet: not a replica yet.
    Handshake,
    /// Waits for a snapshot to start (`wait_bgsave`).
    WaitBgsaveStart,
    /// Its snapshot is being written (or streamed to it, diskless); the
    /// stream since is held for it (`wait_bgsave`).
    WaitBgsaveEnd,
    /// Its snapshot file is being sent (`send_bulk`).
    SendBulk,
    /// Receives the stream (`online`).
    Online,
}

impl ReplicaState {
    /// The word `INFO` shows.
    fn info_word(self) -> &'static str {
        match self {
            ReplicaState::Handshake | ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }
}

/// One replica (or a client in the replication handshake).
#[derive(Debug)]
pub struct Replica {
    /// Its client id.
    pub id: u64,
    /// Its client's handle, to wake its connection.
    handle: Option<ClientHandle>,
    /// Its synchronization state.
    pub state: ReplicaState,
    /// The address it announced (`REPLCONF ip-address`) or its peer IP.
    pub ip: String,
    /// `REPLCONF listening-port` (0 until given).
    pub listening_port: u16,
    /// `REPLCONF capa eof`.
    pub capa_eof: bool,
    /// `REPLCONF capa psync2`.
    pub capa_psync2: bool,
    /// Legacy `SYNC`: no `+FULLRESYNC` line, no ACKs expected.
    pub pre_psync: bool,
    /// The last `REPLCONF ACK` offset.
    pub ack_offset: i64,
    /// When the last ACK (or the sync's end) arrived (Unix ms).
    pub ack_time_ms: i64,
    /// The offset its snapshot corresponds to (`psync_initial_offset`).
    pub initial_offset: i64,
    /// The next stream offset it sends; the backlog keeps the stream from
    /// there. `None` until its snapshot starts.
    stream_pos: Option<i64>,
    /// Its snapshot streams from a child through its socket (diskless).
    socket: bool,
    /// Its position in the streamed snapshot while it is sent.
    socket_pos: Option<u64>,
    /// Its snapshot file while it is sent (`send_bulk`).
    file: Option<FileTransfer>,
    /// When its snapshot transfer last moved (Unix ms).
    progress_ms: i64,
    /// Online after a streamed snapshot, its stream held until its first
    /// `REPLCONF ACK` (`repl_start_cmd_stream_on_ack`).
    stream_on_ack: bool,
    /// It acknowledged while its streamed snapshot was still counted as
    /// in transfer: it had read the end mark and loaded before the master
    /// noticed the child's exit, so its stream need not wait for another
    /// ACK (a second later).
    acked_in_transfer: bool,
    /// A browser replica ([`super::browser`]): served diskless only and
    /// left out of `connected_slaves`.
    pub browser: bool,
}

impl Replica {
    /// `ip:port`, as Redis names a replica in its log.
    pub fn name(&self) -> String {
        if self.listening_port == 0 {
            format!("{}:<unknown-replica-port>", self.ip)
        } else {
            format!("{}:{}", self.ip, self.listening_port)
        }
    }
}

/// A client blocked in `WAIT`.
#[derive(Debug)]
struct Waiter {
    id: u64,
    /// The offset replicas must acknowledge.
    offset: i64,
    /// How many must.
    replicas: i64,
    /// Unix ms, 0 for none.
    deadline_ms: i64,
}

/// The master's replication state.
#[derive(Debug, Default)]
pub struct MasterState {
    /// Replicas and clients in the handshake, in arrival order.
    pub replicas: Vec<Replica>,
    /// The database of the last `SELECT` in the stream; `None` forces one
    /// before the next command (Redis's `slaveseldb = -1`).
    stream_db: Option<usize>,
    /// The running background save serves replicas.
    bgsave_for_replication: bool,
    /// `dbfilename` was last written for a replica's full sync, with
    /// `rdb-del-sync-files` on (Redis's `RDBGeneratedByReplication`).
    rdb_for_sync: bool,
    /// `sync_full`.
    pub sync_full: u64,
    /// `sync_partial_ok`.
    pub sync_partial_ok: u64,
    /// `sync_partial_err`.
    pub sync_partial_err: u64,
    /// When the once-a-second replication cron last ran.
    last_cron_ms: i64,
    /// When a replica was last seen attached (Unix ms; Redis's
    /// `repl_no_slaves_since`), for `repl-backlog-ttl`.
    replicas_seen_ms: i64,
    /// Runs of the replication cron (PING cadence).
    cron_loops: u64,
    /// Clients blocked in `WAIT`.
    waiters: Vec<Waiter>,
    /// Encoding buffer, reused.
    scratch: Vec<u8>,
    /// Every replica of the running streamed snapshot left: its child was
    /// ended.
    transfer_abandoned: bool,
    /// The snapshot a child streams, held once for its replicas.
    socket: SocketTransfer,
}

/// The length of a streamed snapshot's end mark (`RDB_EOF_MARK_SIZE`).
const EOF_MARK_LEN: usize = 40;

impl MasterState {
    /// Replicas past the handshake (`connected_slaves`).
    pub fn connected(&self) -> usize {
        self.replicas
            .iter()
            .filter(|r| r.state != ReplicaState::Handshake)
            .count()
    }

    fn find(&mut self, id: u64) -> Option<&mut Replica> {
        self.replicas.iter_mut().find(|r| r.id == id)
    }

    /// The oldest stream offset a replica still has to send.
    fn oldest_needed(&self) -> Option<i64> {
        self.replicas.iter().filter_map(|r| r.stream_pos).min()
    }

    /// The smallest position in the streamed snapshot among the replicas
    /// still receiving it.
    fn slowest_socket_position(&self) -> Option<u64> {
        self.replicas.iter().filter_map(|r| r.socket_pos).min()
    }
}

/// Whether commands are encoded into the stream: there is a backlog (a
/// replica attached once) and this server does not follow a master (a
/// replica forwards its master's stream verbatim with [`feed_stream`]).
pub(crate) fn propagating(server: &Server) -> bool {
    !server.replica.is_replica() && server.replication.backlog.is_some()
}

/// Feeds replication stream bytes to the backlog and to every replica:
/// the one entry point for both the commands this master encodes and a
/// replica forwarding its master's stream verbatim. Does nothing before
/// a backlog exists (no replica ever attached), as Redis.
pub fn feed_stream(server: &mut Server, bytes: &[u8]) {
    let Some(backlog) = server.replication.backlog.as_mut() else {
        return;
    };
    let idle_at = backlog.master_repl_offset() + 1;
    let end = backlog.master_repl_offset() + bytes.len() as i64 + 1;
    if backlog.feed(bytes) {
        // Once a block: free what no replica needs any more.
        let oldest_needed = server.master.oldest_needed();
        if let Some(backlog) = server.replication.backlog.as_mut() {
            backlog.trim(oldest_needed);
        }
    }
    // The limits count a replica's unsent replies too, but those are a
    // few handshake lines: a replica whose stream alone is under half the
    // lowest limit needs no client lookup. The cron rechecks everyone
    // (and the soft-limit timers) once a second.
    let limit = server.config.output_buffer_limits()[REPLICA_LIMITS];
    let lowest = match (limit.soft_bytes, limit.hard_bytes) {
        (0, 0) => u64::MAX,
        (0, hard) => hard,
        (soft, 0) => soft,
        (soft, hard) => soft.min(hard),
    };
    for index in 0..server.master.replicas.len() {
        let replica = &server.master.replicas[index];
        let Some(position) = replica.stream_pos else {
            continue;
        };
        // Replicas that had sent everything wait to be woken; the others
        // are still sending and reach the new bytes by themselves.
        if position == idle_at && sends_stream(replica) {
            if let Some(handle) = replica.handle {
                server.wakeups.push(handle);
            }
        }
        if (end - position) as u64 > lowest / 2 {
            enforce_limit(server, index);
        }
    }
}

/// Whether a replica sends stream bytes now: online, its snapshot sent.
fn sends_stream(replica: &Replica) -> bool {
    replica.state == ReplicaState::Online && !replica.stream_on_ack
}

/// The `client-output-buffer-limit` class of replicas.
const REPLICA_LIMITS: usize = 1;

/// Applies the replica output limit to `replicas[index]`: its replies not
/// yet sent plus the stream it has not sent (Redis counts the replication
/// buffer a replica holds, not its snapshot).
fn enforce_limit(server: &mut Server, index: usize) {
    let replica = &server.master.replicas[index];
    let (id, Some(position)) = (replica.id, replica.stream_pos) else {
        return;
    };
    let end = server.replication.offset() + 1;
    let Some(client) = server.clients.by_id_mut(id) else {
        return;
    };
    if client.state.has(client_flag::CLOSE_ASAP) {
        return;
    }
    let pending = client.reply.len() as u64 + (end - position).max(0) as u64;
    if super::pubsub::enforce_output_limit(server, id, REPLICA_LIMITS, pending) {
        server.wake(id);
    }
}

/// What replica `id` sends after its replies: its snapshot, then the
/// stream from its offset.
pub(crate) fn pending_output(server: &Server, id: u64) -> &[u8] {
    let Some(replica) = server.master.replicas.iter().find(|r| r.id == id) else {
        return &[];
    };
    if let Some(file) = &replica.file {
        return file.pending();
    }
    if let Some(position) = replica.socket_pos {
        return server.master.socket.chunk_at(position);
    }
    match (replica.stream_pos, &server.replication.backlog) {
        (Some(position), Some(backlog)) if sends_stream(replica) => backlog.chunk_from(position),
        _ => &[],
    }
}

/// Replica `id` sent `n` bytes of [`pending_output`].
pub(crate) fn consume_output(server: &mut Server, id: u64, n: usize) {
    let now = server.now_ms;
    let Some(index) = server.master.replicas.iter().position(|r| r.id == id) else {
        return;
    };
    let replica = &mut server.master.replicas[index];
    if let Some(file) = replica.file.as_mut() {
        replica.progress_ms = now;
        match file.advance(n) {
            FileProgress::More => {}
            FileProgress::Done => {
                replica.file = None;
                replica.state = ReplicaState::Online;
                replica.ack_time_ms = now;
                let name = replica.name();
                server.log(2, &format!("Synchronization with replica {} succeeded", name));
            }
            FileProgress::Failed(reason) => {
                let name = replica.name();
                server.master.replicas.remove(index);
                server.log(3, &format!("Read error sending DB to replica {}: {}", name, reason));
                if let Some(client) = server.clients.by_id_mut(id) {
                    client.state.flags |= client_flag::CLOSE_ASAP;
                }
            }
        }
        return;
    }
    if let Some(position) = replica.socket_pos.as_mut() {
        *position += n as u64;
        replica.progress_ms = now;
        let position = *position;
        if server.master.socket.complete && position >= server.master.socket.end() {
            socket_transfer_sent(server, index);
        }
        if let Some(slowest) = server.master.slowest_socket_position() {
            server.master.socket.trim(slowest);
        } else {
            server.master.socket.clear();
        }
        return;
    }
    if let Some(position) = replica.stream_pos.as_mut() {
        *position += n as i64;
    }
}

/// Appends `args` as a RESP multibulk.
pub(crate) fn encode_command<'a>(out: &mut Vec<u8>, args: impl ExactSizeIterator<Item = &'a [u8]>) {
    let mut number = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(number.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(number.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Encodes `server.pending` into the stream, wrapped in MULTI/EXEC when
/// `wrap` (Redis's `propagatePendingCommands` then `replicationFeedSlaves`).
/// The pending list is left as it is.
pub(crate) fn feed_pending(server: &mut Server, wrap: bool) {
    let mut out = core::mem::take(&mut server.master.scratch);
    out.clear();
    let mut stream_db = server.master.stream_db;
    let mut select = |out: &mut Vec<u8>, db: usize| {
        if stream_db != Some(db) {
            let mut number = itoa::Buffer::new();
            encode_command(out, [&b"SELECT"[..], number.format(db).as_bytes()].into_iter());
            stream_db = Some(db);
        }
    };
    if let Some(first) = server.pending.first() {
        if wrap {
            select(&mut out, first.db);
            encode_command(&mut out, [&b"MULTI"[..]].into_iter());
        }
    }
    for command in &server.pending {
        select(&mut out, command.db);
        encode_command(&mut out, command.args.as_args().iter());
    }
    if wrap {
        encode_command(&mut out, [&b"EXEC"[..]].into_iter());
    }
    server.master.stream_db = stream_db;
    feed_stream(server, &out);
    // Keep a modest buffer for the next command, not a huge one.
    if out.capacity() <= 64 * 1024 {
        server.master.scratch = out;
    }
}

/// Feeds one command without a `SELECT` (PING, `REPLCONF GETACK *`), as
/// Redis feeds them with `slaveseldb`.
fn feed_bare(server: &mut Server, args: &[&[u8]]) {
    let mut out = Vec::new();
    encode_command(&mut out, args.iter().copied());
    feed_stream(server, &out);
}

/// The replication fields an RDB gets (`rdbPopulateSaveInfo`): the
/// stream's database, the replication id and offset, when there is a
/// backlog.
pub fn save_info(server: &Server) -> Option<(usize, String, i64)> {
    server.replication.backlog.as_ref()?;
    let id = String::from(core::str::from_utf8(server.replication.ids.replid.as_bytes()).unwrap_or(""));
    Some((server.master.stream_db.unwrap_or(0), id, server.replication.offset()))
}

/// The client's peer IP (its `ip:port` address without the port).
fn peer_ip(state: &ClientState) -> String {
    let addr = state.conn.addr.as_str();
    let ip = match addr.rfind(':') {
        Some(i) => &addr[..i],
        None => addr,
    };
    String::from(ip.trim_start_matches('[').trim_end_matches(']'))
}

fn entry_for<'a>(server: &'a mut Server, state: &ClientState) -> &'a mut Replica {
    let id = state.id;
    if let Some(i) = server.master.replicas.iter().position(|r| r.id == id) {
        return &mut server.master.replicas[i];
    }
    let handle = server.clients.handle_of(id);
    server.master.replicas.push(Replica {
        id,
        handle,
        state: ReplicaState::Handshake,
        ip: peer_ip(state),
        listening_port: 0,
        capa_eof: false,
        capa_psync2: false,
        pre_psync: false,
        ack_offset: 0,
        ack_time_ms: server.now_ms,
        initial_offset: 0,
        stream_pos: None,
        socket: false,
        socket_pos: None,
        file: None,
        progress_ms: server.now_ms,
        stream_on_ack: false,
        acked_in_transfer: false,
        browser: state.has(client_flag::BROWSER),
    });
    let last = server.master.replicas.len() - 1;
    &mut server.master.replicas[last]
}

/// `REPLCONF <option> <value> [<option> <value> ...]`.
pub fn replconf(server: &mut Server, state: &mut ClientState, reply: &mut Reply, args: Args<'_>) {
    if args.len().is_multiple_of(2) {
        reply.error(crate::cmd::errors::SYNTAX);
        return;
    }
    let mut i = 1;
    while i < args.len() {
        let option = args.get(i);
        let value = args.get(i + 1);
        let is = |word: &str| option.eq_ignore_ascii_case(word.as_bytes());
        if is("listening-port") {
            let Some(port) = parse_integer(value).filter(|p| (0..=65535).contains(p)) else {
                reply.error(b"ERR value is not an integer or out of range");
                return;
            };
            entry_for(server, state).listening_port = port as u16;
        } else if is("ip-address") {
            if value.len() >= 46 {
                reply.error(b"ERR REPLCONF ip-address provided by replica instance is too long: 46 bytes or more");
                return;
            }
            entry_for(server, state).ip = String::from_utf8_lossy(value).into_owned();
        } else if is("capa") {
            let entry = entry_for(server, state);
            if value.eq_ignore_ascii_case(b"eof") {
                entry.capa_eof = true;
            } else if value.eq_ignore_ascii_case(b"psync2") {
                entry.capa_psync2 = true;
            }
        } else if is("ack") {
            // From a replica only, and never answered.
            let Some(offset) = parse_integer(value) else {
                return;
            };
            let now = server.now_ms;
            let id = state.id;
            let Some(replica) = server.master.find(id) else {
                return;
            };
            if replica.state == ReplicaState::Handshake {
                return;
            }
            if offset > replica.ack_offset {
                replica.ack_offset = offset;
            }
            replica.ack_time_ms = now;
            if replica.socket_pos.is_some() {
                replica.acked_in_transfer = true;
            }
            if replica.stream_on_ack && replica.state == ReplicaState::Online {
                // `replicaStartCommandStream`: the stream held since the
                // snapshot follows the end mark only now.
                replica.stream_on_ack = false;
            }
            serve_waiters(server, now);
            return;
        } else if is("getack") {
            // Asked of a replica by its master: the replica side answers
            // through its link. A master ignores it.
            return;
        } else if is("rdb-only") || is("rdb-filter-only") {
            // Accepted; this master always sends the whole dataset and stream.
        } else {
            let message = format!("ERR Unrecognized REPLCONF option: {}", String::from_utf8_lossy(option));
            reply.error(message.as_bytes());
            return;
        }
        i += 2;
    }
    reply.ok();
}

fn parse_integer(bytes: &[u8]) -> Option<i64> {
    core::str::from_utf8(bytes).ok()?.parse().ok()
}

/// `SYNC` and `PSYNC replid offset` (`syncCommand`).
pub fn sync(keyspace: &Keyspace, server: &mut Server, state: &mut ClientState, reply: &mut Reply, args: Args<'_>) {
    let id = state.id;
    if server
        .master
        .replicas
        .iter()
        .any(|r| r.id == id && r.state != ReplicaState::Handshake)
    {
        return;
    }
    let psync_request = args.get(0).eq_ignore_ascii_case(b"psync");
    let offset = if psync_request {
        match parse_integer(args.get(2)) {
            Some(offset) => Some(offset),
            None => {
                let name = entry_for(server, state).name();
                server.log(
                    3,
                    &format!("Replica {} asks for synchronization but with a wrong offset", name),
                );
                reply.error(b"ERR value is not an integer or out of range");
                return;
            }
        }
    } else {
        None
    };
    let name = entry_for(server, state).name();
    server.log(2, &format!("Replica {} asks for synchronization", name));
    let request = match offset {
        Some(offset) => Request::Psync {
            replid: args.get(1),
            offset,
        },
        None => Request::Sync,
    };
    let decision = psync::decide(&server.replication.ids, server.replication.backlog.as_ref(), request);
    for line in decision.log_lines(&server.replication.ids, &name) {
        server.log(2, &line);
    }
    let now = server.now_ms;
    if let Decision::Continue { offset, .. } = decision {
        let psync2 = entry_for(server, state).capa_psync2;
        let mut out = Vec::new();
        decision.reply(&server.replication.ids, psync2, &mut out);
        reply.raw(&out);
        // The backlog from `offset` follows, sent from the shared buffer.
        let replica = entry_for(server, state);
        replica.state = ReplicaState::Online;
        replica.stream_pos = Some(offset);
        replica.ack_time_ms = now;
        server.master.sync_partial_ok += 1;
        state.flags |= client_flag::REPLICA;
        return;
    }
    if let Decision::FullResync(reason) = &decision {
        if psync_request && !matches!(reason, FullResyncReason::Requested) && args.get(1).first() != Some(&b'?') {
            server.master.sync_partial_err += 1;
        }
    }
    server.master.sync_full += 1;
    {
        let replica = entry_for(server, state);
        replica.state = ReplicaState::WaitBgsaveStart;
        replica.pre_psync = !psync_request;
        replica.ack_time_ms = now;
    }
    state.flags |= client_flag::REPLICA;
    if server.replication.backlog.is_none() {
        let mut random = [0u8; 20];
        server.rng.fill(&mut random);
        server.replication.ids.change(random);
        server.replication.ids.clear_second();
        let size = server.config.int(Id::ReplBacklogSize).max(0) as usize;
        server.replication.backlog = Some(Backlog::new(size, server.replication.offset()));
        let line = format!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            server.replication.ids.replid, server.replication.ids.replid2
        );
        server.log(2, &line);
    }
    if server.persistence.bgsave_in_progress() {
        let sharable = server.master.bgsave_for_replication
            && !server.persistence.socket_target
            && server
                .master
                .replicas
                .iter()
                .any(|r| r.state == ReplicaState::WaitBgsaveEnd);
        if sharable {
            let initial = server
                .master
                .replicas
                .iter()
                .find(|r| r.state == ReplicaState::WaitBgsaveEnd)
                .map_or(0, |r| r.initial_offset);
            setup_full_resync(server, id, initial, Some(reply));
            server.log(2, "Waiting for end of BGSAVE for SYNC");
        } else {
            server.log(
                2,
                "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
            );
        }
        return;
    }
    let capa_eof = entry_for(server, state).capa_eof;
    if server.config.bool(Id::ReplDisklessSync) && capa_eof && server.config.int(Id::ReplDisklessSyncDelay) > 0 {
        // The cron forks once more replicas had their chance to arrive.
        server.log(2, "Delay next BGSAVE for diskless SYNC");
        return;
    }
    if server.aof.rewrite_started.is_some() {
        // One child at a time, as Redis: the cron starts it afterwards.
        server.log(
            2,
            "No BGSAVE in progress, but another BG operation is active. BGSAVE for replication delayed",
        );
        return;
    }
    start_bgsave_for_replication(keyspace, server, Some((id, reply)));
}

/// Puts replica `id` in `WaitBgsaveEnd` for a snapshot at `offset` and
/// sends it `+FULLRESYNC` (`replicationSetupSlaveForFullResync`); `reply`
/// is its output when it is the client running a command.
fn setup_full_resync(server: &mut Server, id: u64, offset: i64, reply: Option<&mut Reply>) {
    let Some(replica) = server.master.find(id) else {
        return;
    };
    replica.state = ReplicaState::WaitBgsaveEnd;
    replica.initial_offset = offset;
    replica.stream_pos = Some(offset + 1);
    let pre_psync = replica.pre_psync;
    // The stream restarts with a SELECT for whoever loads this snapshot.
    server.master.stream_db = None;
    if pre_psync {
        return;
    }
    let mut line = Vec::new();
    psync::fullresync_reply(&server.replication.ids, offset, &mut line);
    send_to(server, id, reply, &line);
}

/// Appends `bytes` to client `id`'s output: `reply` when it is the running
/// client, else through the client table.
fn send_to(server: &mut Server, id: u64, reply: Option<&mut Reply>, bytes: &[u8]) {
    match reply {
        Some(reply) => reply.raw(bytes),
        None => {
            if let Some(client) = server.clients.by_id_mut(id) {
                client.reply.raw(bytes);
            }
            server.wake(id);
        }
    }
}

fn close_client(server: &mut Server, id: u64) {
    if let Some(client) = server.clients.by_id_mut(id) {
        client.state.flags |= client_flag::CLOSE_AFTER_REPLY;
    }
    server.wake(id);
}

/// Starts a `BGSAVE` for the replicas waiting for one
/// (`startBgsaveForReplication`). `current` is the client running a
/// command, with its output.
/// Streams to the replicas' sockets (diskless) when `repl-diskless-sync`
/// is on and every waiting replica understands `$EOF:`, else writes the
/// dump to disk first.
fn start_bgsave_for_replication(keyspace: &Keyspace, server: &mut Server, current: Option<(u64, &mut Reply)>) {
    let waiting: Vec<u64> = server
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
        .map(|r| r.id)
        .collect();
    let all_eof = server
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::WaitBgsaveStart)
        .all(|r| r.capa_eof);
    // Browser replicas alone never make the master write to disk.
    let only_browsers = server
        .master
        .replicas
        .iter()
        .all(|r| r.state != ReplicaState::WaitBgsaveStart || r.browser);
    let socket_target = (server.config.bool(Id::ReplDisklessSync) || only_browsers) && all_eof;
    let target = if socket_target { "replicas sockets" } else { "disk" };
    server.log(2, &format!("Starting BGSAVE for SYNC with target: {}", target));
    let mark = socket_target.then(|| eof_mark(&mut server.rng));
    let started = match &mark {
        Some(mark) => persistence::socket_save(keyspace, server, mark).is_ok(),
        None => persistence::background_save(keyspace, server).is_ok(),
    };
    let (current_id, mut current_reply) = match current {
        Some((id, reply)) => (Some(id), Some(reply)),
        None => (None, None),
    };
    if !started {
        server.log(3, "BGSAVE for replication failed");
        for id in waiting {
            server.master.replicas.retain(|r| r.id != id);
            let error = b"-ERR BGSAVE failed, replication can't continue\r\n";
            let reply = if current_id == Some(id) {
                current_reply.as_deref_mut()
            } else {
                None
            };
            send_to(server, id, reply, error);
            close_client(server, id);
        }
        return;
    }
    server.master.bgsave_for_replication = true;
    if !socket_target && server.config.bool(Id::RdbDelSyncFiles) {
        server.master.rdb_for_sync = true;
    }
    let offset = server.replication.offset();
    let mut preamble = Vec::new();
    if let Some(mark) = &mark {
        server.master.transfer_abandoned = false;
        server.master.socket.start();
        preamble.extend_from_slice(b"$EOF:");
        preamble.extend_from_slice(mark);
        preamble.extend_from_slice(b"\r\n");
    }
    for id in waiting {
        let mut reply = if current_id == Some(id) {
            current_reply.as_deref_mut()
        } else {
            None
        };
        setup_full_resync(server, id, offset, reply.as_deref_mut());
        if socket_target {
            let now = server.now_ms;
            if let Some(replica) = server.master.find(id) {
                replica.socket = true;
                replica.socket_pos = Some(0);
                replica.progress_ms = now;
            }
            send_to(server, id, reply, &preamble);
        }
    }
}

/// The 40 characters around a streamed snapshot (`$EOF:<mark>` before it,
/// the mark after it): random hex, as Redis's `getRandomHexChars`.
fn eof_mark(rng: &mut Rng) -> [u8; EOF_MARK_LEN] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut mark = [0u8; EOF_MARK_LEN];
    rng.fill(&mut mark);
    for byte in &mut mark {
        *byte = HEX[usize::from(*byte & 15)];
    }
    mark
}

/// The replicas receiving the streamed snapshot.
fn socket_replicas(server: &Server) -> Vec<u64> {
    server
        .master
        .replicas
        .iter()
        .filter(|r| r.socket_pos.is_some())
        .map(|r| r.id)
        .collect()
}

/// Snapshot bytes a diskless child streamed: held once for every
/// replica it serves, each woken to send them.
/// With none left, the child is ended (`rdbPipeReadHandler`).
pub(crate) fn socket_save_data(server: &mut Server, bytes: &[u8]) {
    let serving = socket_replicas(server);
    if serving.is_empty() {
        if !server.master.transfer_abandoned && server.persistence.socket_target {
            server.master.transfer_abandoned = true;
            server.master.socket.clear();
            server.log(3, "Diskless rdb transfer, last replica dropped, killing fork child.");
            persistence::kill_background_save(server);
        }
        return;
    }
    server.master.socket.push(bytes);
    for id in serving {
        server.wake(id);
    }
}

/// Whether the host may read more of the streamed snapshot: the slowest
/// replica receiving it is less than a window behind.
pub(crate) fn socket_save_wants_data(server: &Server) -> bool {
    server.master.socket.wants_data(server.master.slowest_socket_position())
}

/// The child streamed the whole snapshot and its end mark: each replica
/// goes online once it sent them, at once if it already has.
fn socket_transfer_complete(server: &mut Server) {
    server.master.socket.complete = true;
    let end = server.master.socket.end();
    for index in 0..server.master.replicas.len() {
        let replica = &server.master.replicas[index];
        let (Some(position), id) = (replica.socket_pos, replica.id) else {
            continue;
        };
        if position >= end {
            socket_transfer_sent(server, index);
        }
        server.wake(id);
    }
}

/// `replicas[index]` sent the whole streamed snapshot: it is online, its
/// stream held until its first ACK.
fn socket_transfer_sent(server: &mut Server, index: usize) {
    let now = server.now_ms;
    let replica = &mut server.master.replicas[index];
    replica.state = ReplicaState::Online;
    replica.socket = false;
    replica.socket_pos = None;
    replica.stream_on_ack = !replica.acked_in_transfer;
    replica.ack_time_ms = now;
    let name = replica.name();
    server.log(
        2,
        &format!(
            "Streamed RDB transfer with replica {} succeeded (socket). Waiting for REPLCONF ACK from slave to enable streaming",
            name
        ),
    );
    server.log(2, &format!("Synchronization with replica {} succeeded", name));
}

/// Closes replica `id` after a failed full resync, logging `message`.
fn fail_sync(server: &mut Server, id: u64, message: &str) {
    server.master.replicas.retain(|r| r.id != id);
    server.log(3, message);
    if let Some(client) = server.clients.by_id_mut(id) {
        client.state.flags |= client_flag::CLOSE_ASAP;
    }
    server.wake(id);
}

/// The background save ended (`updateSlavesWaitingBgsave`): each replica
/// waiting for it starts receiving the file through its own handle
/// (`send_bulk`), or, for a streamed snapshot, gets its end mark.
pub(crate) fn background_save_done(server: &mut Server, ok: bool) {
    server.master.bgsave_for_replication = false;
    let waiting: Vec<u64> = server
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::WaitBgsaveEnd)
        .map(|r| r.id)
        .collect();
    if waiting.is_empty() {
        server.master.socket.clear();
        return;
    }
    let socket = server
        .master
        .replicas
        .iter()
        .any(|r| waiting.contains(&r.id) && r.socket);
    if socket && ok {
        socket_transfer_complete(server);
        return;
    }
    server.master.socket.clear();
    let filename = String::from(server.config.text(Id::Dbfilename));
    let now = server.now_ms;
    for id in waiting {
        if !ok {
            fail_sync(server, id, "SYNC failed. BGSAVE child returned an error");
            continue;
        }
        let opened = server.host.open_rdb_file(&filename).and_then(FileTransfer::new);
        let file = match opened {
            Ok(file) => file,
            Err(error) => {
                let message = format!("SYNC failed. Can't open/stat DB after BGSAVE: {}", error);
                fail_sync(server, id, &message);
                continue;
            }
        };
        let mut preamble = Vec::new();
        preamble.push(b'$');
        preamble.extend_from_slice(itoa::Buffer::new().format(file.len()).as_bytes());
        preamble.extend_from_slice(b"\r\n");
        let Some(replica) = server.master.find(id) else {
            continue;
        };
        replica.state = ReplicaState::SendBulk;
        replica.file = Some(file);
        replica.progress_ms = now;
        send_to(server, id, None, &preamble);
    }
}

/// Closes the replicas whose next stream byte the backlog no longer
/// holds: after this server took a new history from its own master (a
/// full sync), its sub-replicas must resync from that history.
pub(crate) fn close_replicas_off_history(server: &mut Server) {
    let Some(backlog) = server.replication.backlog.as_ref() else {
        return;
    };
    let stale: Vec<u64> = server
        .master
        .replicas
        .iter()
        .filter(|r| r.stream_pos.is_some_and(|p| !backlog.covers(p)))
        .map(|r| r.id)
        .collect();
    for id in stale {
        close_client(server, id);
    }
}

/// A master restarted from a dump with replication fields keeps that
/// history as its second id, valid up to `offset`, and continues the
/// offset with a backlog (Redis's `loadDataFromDisk`): the replicas of
/// the master it was continue with a partial resync.
pub(crate) fn restore_history(server: &mut Server, replid: ReplId, offset: i64) {
    server.replication.ids.replid2 = replid;
    server.replication.ids.second_replid_offset = offset + 1;
    server.replication.set_offset(offset);
    let size = server.config.int(Id::ReplBacklogSize).max(0) as usize;
    server.replication.backlog = Some(Backlog::new(size, offset));
    server.master.replicas_seen_ms = server.now_ms;
}

/// Forgets a departing client (`freeClient` for a replica).
pub(crate) fn forget(server: &mut Server, id: u64) {
    server.master.waiters.retain(|w| w.id != id);
    let Some(index) = server.master.replicas.iter().position(|r| r.id == id) else {
        return;
    };
    let replica = server.master.replicas.remove(index);
    if replica.state != ReplicaState::Handshake {
        server.log(2, &format!("Connection with replica {} lost.", replica.name()));
    }
}

/// The master part of the replication cron, run from the engine's cron:
/// starts a snapshot replicas wait for, and once a second pings replicas
/// (`repl-ping-replica-period`), keeps those waiting for their snapshot
/// alive with a newline, and drops replicas silent for `repl-timeout`.
/// A master without replicas for `repl-backlog-ttl` seconds frees its
/// backlog and changes its id (`replicationCron`). A replica keeps its
/// backlog: it may be promoted and asked for a partial resync.
fn free_idle_backlog(server: &mut Server, now_ms: i64) {
    if !server.master.replicas.is_empty() || server.master.replicas_seen_ms == 0 {
        server.master.replicas_seen_ms = now_ms;
        return;
    }
    let ttl = server.config.int(Id::ReplBacklogTtl);
    let idle_s = (now_ms - server.master.replicas_seen_ms) / 1000;
    if ttl == 0 || server.replication.backlog.is_none() || server.replica.is_replica() || idle_s <= ttl {
        return;
    }
    let mut random = [0u8; 20];
    server.rng.fill(&mut random);
    server.replication.free_backlog(random);
    server.log(
        2,
        &format!("Replication backlog freed after {ttl} seconds without connected replicas."),
    );
}

pub(crate) fn cron(keyspace: &Keyspace, server: &mut Server, now_ms: i64) {
    if should_start_fork(server, now_ms) {
        start_bgsave_for_replication(keyspace, server, None);
    }
    if now_ms - server.master.last_cron_ms < 1000 {
        return;
    }
    server.master.last_cron_ms = now_ms;
    let loops = server.master.cron_loops;
    server.master.cron_loops += 1;
    free_idle_backlog(server, now_ms);
    remove_rdb_used_for_sync(server);
    if server.master.connected() == 0 {
        return;
    }
    let period = server.config.int(Id::ReplPingReplicaPeriod).max(1) as u64;
    if loops.is_multiple_of(period) && propagating(server) {
        feed_bare(server, &[b"PING"]);
    }
    let timeout_ms = server.config.int(Id::ReplTimeout) * 1000;
    let mut timed_out = Vec::new();
    let mut newline = Vec::new();
    let socket_end = server.master.socket.end();
    for replica in &mut server.master.replicas {
        // A replica that took every streamed byte so far is not stalled:
        // the child is.
        if replica.socket_pos == Some(socket_end) {
            replica.progress_ms = now_ms;
        }
        let transferring = replica.file.is_some() || replica.socket_pos.is_some();
        match replica.state {
            _ if transferring && now_ms - replica.progress_ms > timeout_ms => {
                timed_out.push((replica.id, replica.name(), "full sync"))
            }
            // Nothing may interleave with a snapshot being sent.
            ReplicaState::WaitBgsaveEnd if replica.socket => {}
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => newline.push(replica.id),
            ReplicaState::Online if !replica.pre_psync && now_ms - replica.ack_time_ms > timeout_ms => {
                timed_out.push((replica.id, replica.name(), "streaming sync"))
            }
            _ => {}
        }
    }
    for id in newline {
        send_to(server, id, None, b"\n");
    }
    // A replica that stopped reading is over its soft limit for long
    // enough even when no new write arrives (`clientsCron`).
    for index in 0..server.master.replicas.len() {
        enforce_limit(server, index);
    }
    for (id, name, phase) in timed_out {
        server.log(3, &format!("Disconnecting timedout replica ({}): {}", phase, name));
        server.master.replicas.retain(|r| r.id != id);
        if let Some(client) = server.clients.by_id_mut(id) {
            client.state.flags |= client_flag::CLOSE_ASAP;
        }
        server.wake(id);
    }
}

/// `rdb-del-sync-files` (`removeRDBUsedToSyncReplicas`): a server without
/// persistence removes the RDB file it wrote only to feed replicas, once
/// no replica waits for a snapshot or still reads one.
fn remove_rdb_used_for_sync(server: &mut Server) {
    if !server.config.bool(Id::RdbDelSyncFiles) {
        // Turned off meanwhile: a later CONFIG SET yes must not remove a
        // file written for another reason.
        server.master.rdb_for_sync = false;
        return;
    }
    if !server.master.rdb_for_sync || !server.config.persistence_disabled() {
        return;
    }
    let busy = server.master.replicas.iter().any(|r| {
        matches!(
            r.state,
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd | ReplicaState::SendBulk
        )
    });
    if busy {
        return;
    }
    let filename = String::from(server.config.text(Id::Dbfilename));
    if server.host.remove_rdb_file(&filename) {
        server.master.rdb_for_sync = false;
        server.log(
            2,
            "Removing the RDB file used to feed replicas in a persistence-less instance",
        );
    }
}

/// Whether replicas wait for a snapshot that can start now
/// (`shouldStartChildForReplication`): with `repl-diskless-sync`, once the
/// longest waiting one waited `repl-diskless-sync-delay` seconds or
/// `repl-diskless-sync-max-replicas` wait.
fn should_start_fork(server: &Server, now_ms: i64) -> bool {
    if server.persistence.bgsave_in_progress() || server.aof.rewrite_started.is_some() {
        return false;
    }
    let mut waiting = 0;
    let mut max_idle_ms = 0;
    for replica in &server.master.replicas {
        if replica.state == ReplicaState::WaitBgsaveStart {
            waiting += 1;
            max_idle_ms = max_idle_ms.max(now_ms - replica.ack_time_ms);
        }
    }
    if waiting == 0 {
        return false;
    }
    if !server.config.bool(Id::ReplDisklessSync) {
        return true;
    }
    let max_replicas = server.config.int(Id::ReplDisklessSyncMaxReplicas);
    (max_replicas > 0 && waiting >= max_replicas) || max_idle_ms / 1000 >= server.config.int(Id::ReplDisklessSyncDelay)
}

/// Whether writes may run under `min-replicas-to-write` /
/// `min-replicas-max-lag` (`checkGoodReplicasStatus`): always on a replica
/// or with either set to 0; else enough online replicas must have
/// acknowledged within the lag (counted when asked, where Redis refreshes
/// its count once a second).
pub fn enough_good_replicas(server: &Server) -> bool {
    let needed = server.config.int(Id::MinReplicasToWrite);
    let max_lag = server.config.int(Id::MinReplicasMaxLag);
    if needed == 0 || max_lag == 0 || server.replica.is_replica() {
        return true;
    }
    let good = server
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Online && !r.browser && (server.now_ms - r.ack_time_ms) / 1000 <= max_lag)
        .count();
    good as i64 >= needed
}

/// The refusal of a write when [`enough_good_replicas`] says no.
pub const NOREPLICAS: &[u8] = b"NOREPLICAS Not enough good replicas to write.";

/// `connected_slaves` and the `slaveN:` lines of `INFO replication`.
pub fn write_info(server: &Server, out: &mut String) {
    use core::fmt::Write;
    let tcp_replicas = server.master.connected() - super::browser::count(server);
    let _ = write!(out, "connected_slaves:{}\r\n", tcp_replicas);
    let now = server.now_ms;
    let mut n = 0;
    for replica in &server.master.replicas {
        if replica.state == ReplicaState::Handshake || replica.browser {
            continue;
        }
        let _ = write!(
            out,
            "slave{}:ip={},port={},state={},offset={},lag={}\r\n",
            n,
            replica.ip,
            replica.listening_port,
            replica.state.info_word(),
            replica.ack_offset,
            (now - replica.ack_time_ms).max(0) / 1000
        );
        n += 1;
    }
    super::browser::write_info(server, out);
}

/// Replicas that acknowledged `offset` or more (`replicationCountAcksByOffset`).
/// Browser replicas are no copies to count on: `WAIT` and
/// `min-replicas-to-write` ignore them.
fn acks_at(server: &Server, offset: i64) -> i64 {
    server
        .master
        .replicas
        .iter()
        .filter(|r| r.state == ReplicaState::Online && !r.browser && r.ack_offset >= offset)
        .count() as i64
}

/// `WAIT numreplicas timeout`: replies how many replicas acknowledged
/// every write so far, blocking until `numreplicas` did or the timeout.
pub fn wait(server: &mut Server, state: &mut ClientState, reply: &mut Reply, replicas: i64, deadline_ms: i64) {
    let offset = server.replication.offset();
    let acked = acks_at(server, offset);
    if acked >= replicas || state.has(client_flag::MULTI | client_flag::DENY_BLOCKING) {
        reply.integer(acked);
        return;
    }
    server.master.waiters.push(Waiter {
        id: state.id,
        offset,
        replicas,
        deadline_ms,
    });
    state.flags |= client_flag::BLOCKED;
    // Ask the replicas where they are now (Redis does it before sleeping).
    if propagating(server) {
        feed_bare(server, &[b"REPLCONF", b"GETACK", b"*"]);
    }
}

/// Unblocks `WAIT` clients whose replicas acknowledged enough, or whose
/// deadline passed at `now_ms`.
pub(crate) fn serve_waiters(server: &mut Server, now_ms: i64) {
    if server.master.waiters.is_empty() {
        return;
    }
    let mut done = Vec::new();
    let mut i = 0;
    while i < server.master.waiters.len() {
        let waiter = &server.master.waiters[i];
        let acked = acks_at(server, waiter.offset);
        let expired = waiter.deadline_ms > 0 && now_ms >= waiter.deadline_ms;
        if acked >= waiter.replicas || expired {
            done.push((server.master.waiters.remove(i).id, acked));
        } else {
            i += 1;
        }
    }
    for (id, acked) in done {
        if let Some(client) = server.clients.by_id_mut(id) {
            client.reply.integer(acked);
            client.state.flags &= !client_flag::BLOCKED;
            client.state.flags |= client_flag::UNBLOCKED;
            server.resume.push_back(id);
        }
        server.wake(id);
    }
}

/// Applies a `CONFIG SET` of replication directives: `repl-backlog-size`
/// resizes the backlog, keeping the newest bytes that fit (and those a
/// replica has yet to send).
pub fn config_changed(server: &mut Server, changed: &[Id]) {
    if changed.contains(&Id::ReplBacklogSize) {
        let size = server.config.int(Id::ReplBacklogSize).max(0) as usize;
        let oldest_needed = server.master.oldest_needed();
        if let Some(backlog) = server.replication.backlog.as_mut() {
            backlog.resize(size);
            backlog.trim(oldest_needed);
        }
    }
}

/// The earliest `WAIT` deadline.
pub(crate) fn next_deadline(server: &Server) -> Option<i64> {
    server
        .master
        .waiters
        .iter()
        .filter(|w| w.deadline_ms > 0)
        .map(|w| w.deadline_ms)
        .min()
}

#[cfg(test)]
mod tests {
    use crate::engine::tests::{connect, engine_with_client, send, take_output};
    use crate::repl::Backlog;
    use alloc::string::String;

    #[test]
    fn partial_resync_then_stream_with_select_and_multi() {
        let (mut engine, client) = engine_with_client();
        engine.server.replication.backlog = Some(Backlog::new(0, 0));
        let replica = connect(&mut engine);
        assert_eq!(send(&mut engine, replica, "REPLCONF listening-port 6380"), b"+OK\r\n");
        assert_eq!(send(&mut engine, replica, "REPLCONF capa eof capa psync2"), b"+OK\r\n");
        assert_eq!(
            send(&mut engine, replica, "REPLCONF bogus 1"),
            b"-ERR Unrecognized REPLCONF option: bogus\r\n"
        );
        assert_eq!(send(&mut engine, replica, "REPLCONF ack"), b"-ERR syntax error\r\n");
        let replid = String::from_utf8(engine.server.replication.ids.replid.as_bytes().to_vec()).unwrap();
        let out = send(&mut engine, replica, &alloc::format!("PSYNC {replid} 1"));
        assert_eq!(out, alloc::format!("+CONTINUE {replid}\r\n").as_bytes());
        assert_eq!(engine.server.master.sync_partial_ok, 1);
        send(&mut engine, client, "SET a 1");
        send(&mut engine, client, "SELECT 2");
        send(&mut engine, client, "MULTI");
        send(&mut engine, client, "INCR n");
        send(&mut engine, client, "INCR n");
        send(&mut engine, client, "EXEC");
        send(&mut engine, client, "GET a");
        let stream = take_output(&mut engine, replica);
        let expected: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n";
        assert_eq!(stream, expected);
        assert_eq!(engine.server.replication.offset(), expected.len() as i64);
        // WAIT: nobody acknowledged yet, and a timeout of 0 would block.
        assert_eq!(send(&mut engine, client, "WAIT 0 0"), b":0\r\n");
        let end = expected.len() as i64;
        send(&mut engine, client, "WAIT 1 0");
        assert_eq!(take_output(&mut engine, client), b"");
        // The blocked WAIT asked the replica for an ACK.
        assert_eq!(
            take_output(&mut engine, replica),
            b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
        );
        assert_eq!(send(&mut engine, replica, &alloc::format!("REPLCONF ACK {end}")), b"");
        assert_eq!(take_output(&mut engine, client), b":1\r\n");
        let info = String::from_utf8(send(&mut engine, client, "INFO replication")).unwrap();
        assert!(info.contains("connected_slaves:1\r\n"), "{info}");
        assert!(
            info.contains(&alloc::format!(
                "slave0:ip=127.0.0.1,port=6380,state=online,offset={end},lag=0\r\n"
            )),
            "{info}"
        );
        let list = String::from_utf8(send(&mut engine, client, "CLIENT LIST TYPE replica")).unwrap();
        assert!(list.contains(" flags=S "), "{list}");
        assert_eq!(
            send(&mut engine, client, "CONFIG SET repl-backlog-size 20000"),
            b"+OK\r\n"
        );
        assert_eq!(engine.server.replication.backlog.as_ref().unwrap().size(), 20000);
        // A second PSYNC on a replica is ignored.
        assert_eq!(send(&mut engine, replica, "PSYNC ? -1"), b"");
    }

    #[test]
    fn a_replica_past_its_output_limit_is_closed() {
        use crate::engine::CloseState;
        let (mut engine, client) = engine_with_client();
        engine.server.replication.backlog = Some(Backlog::new(0, 0));
        assert_eq!(
            send(
                &mut engine,
                client,
                "CONFIG SET client-output-buffer-limit \"replica 300 100 10\""
            ),
            b"+OK\r\n"
        );
        let replica = connect(&mut engine);
        let replid = String::from_utf8(engine.server.replication.ids.replid.as_bytes().to_vec()).unwrap();
        send(&mut engine, replica, &alloc::format!("PSYNC {replid} 1"));
        // Under the limits, or read in time: kept.
        send(&mut engine, client, "SET a 1");
        assert_eq!(engine.close_state(replica), CloseState::Open);
        take_output(&mut engine, replica);
        let value = "v".repeat(200);
        send(&mut engine, client, &alloc::format!("SET a {value}"));
        assert_eq!(engine.close_state(replica), CloseState::Open);
        take_output(&mut engine, replica);
        // Not read: past the hard limit.
        send(&mut engine, client, &alloc::format!("SET b {value}"));
        send(&mut engine, client, &alloc::format!("SET c {value}"));
        assert_eq!(engine.close_state(replica), CloseState::Now);
        // Normal clients have no limit by default.
        assert_eq!(engine.close_state(client), CloseState::Open);
    }

    #[test]
    fn a_replica_over_its_soft_limit_too_long_is_closed_by_the_cron() {
        use crate::engine::CloseState;
        let (mut engine, client) = engine_with_client();
        engine.server.replication.backlog = Some(Backlog::new(0, 0));
        let limit = "CONFIG SET client-output-buffer-limit \"replica 0 100 2\"";
        assert_eq!(send(&mut engine, client, limit), b"+OK\r\n");
        let replica = connect(&mut engine);
        let replid = String::from_utf8(engine.server.replication.ids.replid.as_bytes().to_vec()).unwrap();
        send(&mut engine, replica, &alloc::format!("PSYNC {replid} 1"));
        let value = "v".repeat(200);
        send(&mut engine, client, &alloc::format!("SET a {value}"));
        let start = 1_700_000_000_000;
        engine.cron(start + 1000);
        assert_eq!(engine.close_state(replica), CloseState::Open);
        engine.cron(start + 2000);
        assert_eq!(engine.close_state(replica), CloseState::Open);
        engine.cron(start + 3500);
        assert_eq!(engine.close_state(replica), CloseState::Now);
    }

    #[test]
    fn full_resync_needs_a_snapshot_and_fails_without_one() {
        let (mut engine, client) = engine_with_client();
        let out = send(&mut engine, client, "PSYNC ? -1");
        assert_eq!(out, b"-ERR BGSAVE failed, replication can't continue\r\n");
        assert_eq!(engine.server.master.sync_full, 1);
        assert_eq!(engine.server.master.sync_partial_err, 0);
        assert!(engine.server.replication.backlog.is_some());
        let other = connect(&mut engine);
        assert_eq!(
            send(&mut engine, other, "PSYNC abc notanumber"),
            b"-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            send(&mut engine, other, "WAIT 1 abc"),
            b"-ERR timeout is not an integer or out of range\r\n"
        );
        assert_eq!(send(&mut engine, other, "WAIT 1 -1"), b"-ERR timeout is negative\r\n");
    }
}
