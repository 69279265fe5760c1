//! A connected client as the engine sees it: identity, protocol, selected
//! database, transaction, subscriptions, blocking, and its input and output
//! buffers. The host only moves bytes in and out of those buffers.

use crate::cmd::table::CommandEntry;
use crate::keyspace::CompactBytes;
use crate::resp::reply::Reply;
use crate::resp::request::{OwnedArgs, RequestParser};
use alloc::string::String;
use alloc::vec::Vec;

/// Client flags (`CLIENT_*`), with the letters `CLIENT LIST` shows.
pub mod client_flag {
    /// Inside MULTI (`x`).
    pub const MULTI: u32 = 1 << 0;
    /// A watched key was touched: EXEC will fail (`d`).
    pub const DIRTY_CAS: u32 = 1 << 1;
    /// A command failed to queue: EXEC will fail.
    pub const DIRTY_EXEC: u32 = 1 << 2;
    /// Subscribed to something (`P`).
    pub const PUBSUB: u32 = 1 << 3;
    /// Close once the pending reply is written (`c`).
    pub const CLOSE_AFTER_REPLY: u32 = 1 << 4;
    /// Close as soon as possible, dropping output (`A`).
    pub const CLOSE_ASAP: u32 = 1 << 5;
    /// Blocked on keys or by a pause (`b`).
    pub const BLOCKED: u32 = 1 << 6;
    /// Unblocked and waiting to resume its input (`u`).
    pub const UNBLOCKED: u32 = 1 << 7;
    /// CLIENT REPLY OFF.
    pub const REPLY_OFF: u32 = 1 << 8;
    /// CLIENT REPLY SKIP: skip the next reply.
    pub const REPLY_SKIP_NEXT: u32 = 1 << 9;
    /// Skipping the current reply.
    pub const REPLY_SKIP: u32 = 1 << 10;
    /// Connected through a Unix socket (`U`).
    pub const UNIX_SOCKET: u32 = 1 << 11;
    /// CLIENT NO-EVICT on (`e`).
    pub const NO_EVICT: u32 = 1 << 12;
    /// A protocol error happened.
    pub const PROTOCOL_ERROR: u32 = 1 << 13;
    /// Running EXEC: blocking commands answer at once instead of waiting.
    pub const DENY_BLOCKING: u32 = 1 << 14;
    /// The master's client on a replica: its commands obey the master
    /// (no `-READONLY`, no replies).
    pub const MASTER: u32 = 1 << 24;
    /// A replica of this server, past SYNC/PSYNC (`S`).
    pub const REPLICA: u32 = 1 << 25;
    /// Came through the WebSocket listener: may only replicate
    /// (see [`crate::engine::browser`]).
    pub const BROWSER: u32 = 1 << 26;
}

/// How the host reached the client.
#[derive(Clone, Debug, Default)]
pub struct ConnInfo {
    /// Peer `ip:port` (or path for Unix sockets).
    pub addr: String,
    /// Local `ip:port`.
    pub laddr: String,
    /// The file descriptor number, for `CLIENT LIST fd=`.
    pub fd: i64,
    /// Whether the peer is on the loopback interface (protected mode).
    pub is_local: bool,
    /// A Unix-socket connection.
    pub unix_socket: bool,
}

/// Why a client is blocked.
#[derive(Debug)]
pub enum BlockReason {
    /// Waiting for one of `keys` (in `db`) to receive data.
    Keys {
        /// The database of the keys.
        db: usize,
        /// The keys, in argument order.
        keys: Vec<CompactBytes>,
    },
    /// Held by CLIENT PAUSE.
    Pause,
}

/// A blocked client's pending command.
#[derive(Debug)]
pub struct Blocked {
    /// Why it waits.
    pub reason: BlockReason,
    /// The command to run again when woken (set once registered).
    pub command: Option<&'static CommandEntry>,
    /// Its arguments.
    pub args: OwnedArgs,
    /// Absolute deadline in ms, or 0 for none.
    pub deadline_ms: i64,
}

/// A queued MULTI transaction.
#[derive(Debug, Default)]
pub struct MultiState {
    /// The queued commands.
    pub commands: Vec<(&'static CommandEntry, OwnedArgs)>,
    /// Union of the queued commands' flags.
    pub flags: u64,
    /// Bytes of queued arguments (`multi-mem`).
    pub args_memory: usize,
}

/// The engine's view of one client.
pub struct Client {
    /// Unique, increasing id (`CLIENT ID`).
    pub id: u64,
    /// Pending output.
    pub reply: Reply,
    /// Received bytes not yet consumed.
    pub query: Vec<u8>,
    /// Parse state of `query`.
    pub parser: RequestParser,
    /// Everything else.
    pub state: ClientState,
}

/// A client's logical state (what commands read and change).
pub struct ClientState {
    /// Same as [`Client::id`].
    pub id: u64,
    /// `client_flag::*`.
    pub flags: u32,
    /// Selected database.
    pub db: usize,
    /// Protocol version, 2 or 3 (HELLO); the reply buffer follows it.
    pub resp: u8,
    /// CLIENT SETNAME.
    pub name: Option<CompactBytes>,
    /// Authenticated (always true without `requirepass`).
    pub authenticated: bool,
    /// The transaction being queued.
    pub multi: Option<MultiState>,
    /// Watched keys, as (db, key).
    pub watched: Vec<(usize, CompactBytes)>,
    /// Subscribed channels, in subscription order.
    pub channels: Vec<CompactBytes>,
    /// Subscribed patterns, in subscription order.
    pub patterns: Vec<CompactBytes>,
    /// Subscribed shard channels (SSUBSCRIBE).
    pub shard_channels: Vec<CompactBytes>,
    /// The blocked command, if blocked.
    pub blocked: Option<Blocked>,
    /// Connection details.
    pub conn: ConnInfo,
    /// Creation time (ms).
    pub created_ms: i64,
    /// Last command time (ms).
    pub last_interaction_ms: i64,
    /// Full name of the last command run (`cmd=`).
    pub last_command: &'static str,
    /// Peak size of the query buffer since the last cron.
    pub query_peak: usize,
    /// Since when the output has been above the soft limit.
    pub soft_limit_since_ms: Option<i64>,
}

impl ClientState {
    /// A fresh client in database 0.
    pub fn new(id: u64, conn: ConnInfo, now_ms: i64, authenticated: bool) -> Self {
        ClientState {
            id,
            flags: if conn.unix_socket { client_flag::UNIX_SOCKET } else { 0 },
            db: 0,
            resp: 2,
            name: None,
            authenticated,
            multi: None,
            watched: Vec::new(),
            channels: Vec::new(),
            patterns: Vec::new(),
            shard_channels: Vec::new(),
            blocked: None,
            conn,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            last_command: "NULL",
            query_peak: 0,
            soft_limit_since_ms: None,
        }
    }

    /// Whether any flag in `mask` is set.
    #[inline]
    pub fn has(&self, mask: u32) -> bool {
        self.flags & mask != 0
    }

    /// Whether a command may block this client (not inside EXEC).
    pub fn may_block(&self) -> bool {
        !self.has(client_flag::DENY_BLOCKING | client_flag::MULTI)
    }

    /// Number of channel and pattern subscriptions.
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// The `flags=` letters of CLIENT LIST.
    pub fn flag_letters(&self) -> String {
        let mut letters = String::new();
        for (mask, letter) in [
            (client_flag::REPLICA, 'S'),
            (client_flag::MASTER, 'M'),
            (client_flag::PUBSUB, 'P'),
            (client_flag::MULTI, 'x'),
            (client_flag::BLOCKED, 'b'),
            (client_flag::DIRTY_CAS, 'd'),
            (client_flag::CLOSE_AFTER_REPLY, 'c'),
            (client_flag::UNBLOCKED, 'u'),
            (client_flag::CLOSE_ASAP, 'A'),
            (client_flag::UNIX_SOCKET, 'U'),
            (client_flag::NO_EVICT, 'e'),
        ] {
            if self.has(mask) {
                letters.push(letter);
            }
        }
        if letters.is_empty() {
            letters.push('N');
        }
        letters
    }
}

impl Client {
    /// A new client.
    pub fn new(id: u64, conn: ConnInfo, now_ms: i64, authenticated: bool) -> Self {
        Client {
            id,
            reply: Reply::new(),
            query: Vec::new(),
            parser: RequestParser::new(),
            state: ClientState::new(id, conn, now_ms, authenticated),
        }
    }
}
