//! `ReplicaLink`: the replica's side of one connection to its master, as a
//! sans-IO state machine (Redis's `syncWithMaster`, `readSyncBulkPayload`,
//! `slaveTryPartialResynchronization`, `replicationSendAck` and the replica
//! half of `replicationCron`).
//!
//! # How to drive it
//!
//! 1. The host opens a connection to the master and calls
//!    [`ReplicaLink::handle_connected`].
//! 2. Whenever bytes arrive: [`ReplicaLink::handle_input`] returns an
//!    [`Input`]; call [`Input::next_event`] until it returns `None`, acting on
//!    each [`Event`] before asking for the next (chunks borrow the input).
//! 3. After every input, timeout or applied command: send what
//!    [`ReplicaLink::poll_output`] appends.
//! 4. Call [`ReplicaLink::handle_timeout`] at [`ReplicaLink::poll_timeout`]
//!    (or once a second, as Redis's cron does); it sends the periodic
//!    `REPLCONF ACK` and decides `repl-timeout`. Its events come from
//!    [`ReplicaLink::poll_event`].
//! 5. On [`Event::Failed`] (or when the socket closes, after
//!    [`ReplicaLink::handle_closed`]) the host closes the connection. To
//!    retry, it makes a new link with [`LinkConfig::resume`] set from
//!    [`ReplicaLink::resume_point`] so the next handshake asks
//!    `PSYNC <replid> <offset+1>`.
//!
//! # Events, in order
//!
//! `Connected`, `Handshake(..)` steps, then either `FullResync { replid,
//! offset }`, `RdbStart`, `RdbChunk`s, `RdbEnd` (the host feeds the chunks to
//! [`crate::rdb::load::Loader`] and must have finished loading when it takes
//! `RdbEnd`), or `Continue { new_replid }`; then `Stream` chunks forever.
//!
//! # The stream and its offsets
//!
//! `Stream` bytes are the master's command stream, verbatim. The link
//! counts every byte received (`read_reploff`, Redis's
//! `slave_read_repl_offset`). The engine parses and applies the commands
//! as the master's client and reports each applied command's byte length
//! with [`ReplicaLink::handle_applied`] (inside `MULTI`, the whole
//! transaction at `EXEC`), which advances `reploff` (`slave_repl_offset`):
//! the offset `REPLCONF ACK` reports and a later PSYNC resumes from. When the
//! engine applies `REPLCONF GETACK *` from the master it calls
//! [`ReplicaLink::send_ack`] *before* reporting that command's length, as
//! Redis acknowledges the offset before the GETACK itself.
//!
//! Never: no sockets, no clock (times are `now_ms` arguments), no keyspace
//! (loading the RDB and applying commands is the host's and engine's job).

use super::id::{ReplId, REPLID_LEN};
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Longest handshake reply line accepted.
pub const MAX_LINE: usize = 64 * 1024;

/// What the link needs to know to connect.
#[derive(Clone, Debug, Default)]
pub struct LinkConfig {
    /// `masteruser`: sent as `AUTH <user> <pass>` with `masterauth`.
    pub masteruser: Option<Vec<u8>>,
    /// `masterauth`: `AUTH` is sent only when set.
    pub masterauth: Option<Vec<u8>>,
    /// The port announced by `REPLCONF listening-port`
    /// (`replica-announce-port`, else `port`).
    pub listening_port: u16,
    /// `replica-announce-ip`: `REPLCONF ip-address` is sent only when set.
    pub announce_ip: Option<Vec<u8>>,
    /// `repl-timeout` in milliseconds.
    pub timeout_ms: i64,
    /// The history we already hold, to continue partially: the master's
    /// replid and the offset applied so far (`cached_master`).
    pub resume: Option<(ReplId, i64)>,
}

/// Where the link is (Redis's `repl_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Not connected yet (`REPL_STATE_CONNECTING`).
    Connecting,
    /// `PING` sent.
    ReceivePingReply,
    /// `AUTH` sent.
    ReceiveAuthReply,
    /// `REPLCONF listening-port` sent.
    ReceivePortReply,
    /// `REPLCONF ip-address` sent.
    ReceiveIpReply,
    /// `REPLCONF capa` sent.
    ReceiveCapaReply,
    /// `PSYNC` sent.
    ReceivePsyncReply,
    /// Receiving the RDB (`master_sync_in_progress:1`).
    Transfer,
    /// Streaming (`master_link_status:up`).
    Connected,
    /// Failed or closed; make a new link to retry.
    Closed,
}

/// A handshake step done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The master answered `PING` acceptably (`+…`, `-NOAUTH`, `-NOPERM`).
    PingReplied,
    /// `AUTH` accepted.
    Authenticated,
    /// A `REPLCONF` answered; the error, if any, is not fatal.
    Replconf {
        /// `listening-port`, `ip-address` or `capa`.
        what: &'static str,
        /// The error line, if the master refused it.
        error: Option<Vec<u8>>,
    },
    /// `PSYNC` sent, asking to continue `resume` or (`None`) for `? -1`.
    PsyncSent {
        /// The history and offset asked for.
        resume: Option<(ReplId, i64)>,
    },
    /// The master did not understand `PSYNC`: legacy `SYNC` sent.
    SyncFallback {
        /// The master's reply to PSYNC.
        reply: Vec<u8>,
    },
}

impl Step {
    /// Redis's log lines for the step.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        match self {
            Step::PingReplied => lines.push("Master replied to PING, replication can continue...".into()),
            Step::Authenticated => {}
            Step::Replconf { what, error } => {
                if let Some(error) = error {
                    lines.push(format!(
                        "(Non critical) Master does not understand REPLCONF {what}: {}",
                        String::from_utf8_lossy(error)
                    ));
                }
            }
            Step::PsyncSent {
                resume: Some((replid, offset)),
            } => lines.push(format!(
                "Trying a partial resynchronization (request {replid}:{}).",
                offset + 1
            )),
            Step::PsyncSent { resume: None } => {
                lines.push("Partial resynchronization not possible (no cached master)".into())
            }
            Step::SyncFallback { reply } => {
                let reply = String::from_utf8_lossy(reply);
                if reply.starts_with("-ERR") {
                    lines.push(format!(
                        "Master does not support PSYNC or is in error state (reply: {reply})"
                    ));
                } else {
                    lines.push(format!("Unexpected reply to PSYNC from master: {reply}"));
                }
                lines.push("Retrying with SYNC...".into());
            }
        }
        lines
    }
}

/// Why the link failed; [`Failure::log_line`] gives Redis's words.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// `PING` got an error other than an authentication one.
    PingError(Vec<u8>),
    /// `AUTH` refused.
    AuthError(Vec<u8>),
    /// `-NOMASTERLINK` / `-LOADING` to PSYNC: retry later.
    PsyncTryLater(Vec<u8>),
    /// `+FULLRESYNC` without a 40-byte id and an offset.
    BadFullResync(Vec<u8>),
    /// `+CONTINUE` though we asked for no history.
    UnexpectedContinue,
    /// An error line where the RDB's `$` header was due.
    MasterAborted(Vec<u8>),
    /// Neither `$` nor an error where the RDB's header was due.
    BadBulkHeader(Vec<u8>),
    /// A handshake line longer than [`MAX_LINE`].
    LineTooLong,
    /// No reply in `repl-timeout` during the handshake.
    HandshakeTimeout,
    /// No RDB bytes in `repl-timeout`.
    TransferTimeout,
    /// No data nor PING from the streaming master in `repl-timeout`.
    MasterTimeout,
    /// The connection closed during the handshake.
    NoResponse,
    /// The connection closed during the transfer.
    TransferLost,
    /// The connection closed while streaming.
    ConnectionLost,
}

impl Failure {
    /// Redis's log line.
    pub fn log_line(&self) -> String {
        let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
        match self {
            Failure::PingError(e) => format!("Error reply to PING from master: '{}'", text(e)),
            Failure::AuthError(e) => format!("Unable to AUTH to MASTER: {}", text(e)),
            Failure::PsyncTryLater(e) => {
                format!("Master is currently unable to PSYNC but should be in the future: {}", text(e))
            }
            Failure::BadFullResync(_) => "Master replied with wrong +FULLRESYNC syntax.".into(),
            Failure::UnexpectedContinue => "Unexpected +CONTINUE from master: no partial resynchronization was asked".into(),
            Failure::MasterAborted(e) => {
                format!("MASTER aborted replication with an error: {}", text(e).get(1..).unwrap_or(""))
            }
            Failure::BadBulkHeader(e) => format!(
                "Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?",
                text(e)
            ),
            Failure::LineTooLong => "Protocol error from MASTER: reply line too long".into(),
            Failure::HandshakeTimeout => "Timeout connecting to the MASTER...".into(),
            Failure::TransferTimeout => "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value.".into(),
            Failure::MasterTimeout => "MASTER timeout: no data nor PING received...".into(),
            Failure::NoResponse => "Master did not respond to command during SYNC handshake".into(),
            Failure::TransferLost => "I/O error trying to sync with MASTER: connection lost".into(),
            Failure::ConnectionLost => "Connection with master lost.".into(),
        }
    }
}

/// What the link tells the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// The connection is up and `PING` is queued.
    Connected,
    /// A handshake step completed.
    Handshake(Step),
    /// `+FULLRESYNC`: an RDB of history `replid` at `offset` follows.
    FullResync {
        /// The master's replication id, ours from now on.
        replid: ReplId,
        /// The offset the RDB corresponds to.
        offset: i64,
    },
    /// The RDB starts; `size` when sent as `$<len>`, `None` for the
    /// diskless `$EOF:<mark>` framing. (Log: `MASTER <-> REPLICA sync:
    /// receiving <size> bytes from master to parser` / `receiving streamed
    /// RDB from master with EOF to parser`.)
    RdbStart {
        /// Announced length.
        size: Option<u64>,
    },
    /// Bytes of the RDB, in order.
    RdbChunk(&'a [u8]),
    /// The RDB is complete. The host finishes loading before taking the
    /// next event; the stream follows.
    RdbEnd,
    /// `+CONTINUE`: the stream continues from our offset; `new_replid` when
    /// the master has a new id (it was promoted): adopt it, keeping the old
    /// one as `replid2` ([`super::ReplicationIds::shift_to`]).
    Continue {
        /// The master's new id, if it changed.
        new_replid: Option<ReplId>,
    },
    /// Bytes of the command stream.
    Stream(&'a [u8]),
    /// The link failed; close the connection.
    Failed(Failure),
}

#[derive(Clone, Copy, Debug)]
enum Transfer {
    /// Waiting for the `$` line.
    Header,
    /// `$<len>`: bytes still to come.
    Sized(u64),
    /// `$EOF:<mark>`.
    Mark([u8; REPLID_LEN]),
}

/// The replica side of a replication connection. See the module doc for
/// the call order.
#[derive(Debug)]
pub struct ReplicaLink {
    config: LinkConfig,
    state: State,
    transfer: Transfer,
    /// A partial reply line (handshake), or the up-to-40 bytes at the end
    /// of the received RDB that may be the start of the EOF mark.
    held: Vec<u8>,
    notices: VecDeque<Event<'static>>,
    output: Vec<u8>,
    /// The master's replid, once known.
    master_replid: Option<ReplId>,
    /// Legacy `SYNC`: no offsets, no ACKs.
    pre_psync: bool,
    /// The stream was reached (after the RDB or `+CONTINUE`).
    streamed: bool,
    read_reploff: i64,
    reploff: i64,
    last_io_ms: i64,
    last_ack_ms: i64,
}

fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    let mut num = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(num.format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        out.push(b'$');
        out.extend_from_slice(num.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// C's `strtoll`: optional sign and leading digits, 0 when none.
fn strtoll(text: &[u8]) -> i64 {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    if negative {
        -n
    } else {
        n
    }
}

impl ReplicaLink {
    /// A link, not yet connected.
    pub fn new(config: LinkConfig) -> Self {
        ReplicaLink {
            config,
            state: State::Connecting,
            transfer: Transfer::Header,
            held: Vec::new(),
            notices: VecDeque::new(),
            output: Vec::new(),
            master_replid: None,
            pre_psync: false,
            streamed: false,
            read_reploff: 0,
            reploff: 0,
            last_io_ms: 0,
            last_ack_ms: 0,
        }
    }

    /// Where the link is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The master's replid, once known (`+FULLRESYNC` or `+CONTINUE`).
    pub fn master_replid(&self) -> Option<ReplId> {
        self.master_replid
    }

    /// Offset of the last stream byte received (`slave_read_repl_offset`).
    pub fn read_reploff(&self) -> i64 {
        self.read_reploff
    }

    /// Offset of the last stream byte applied (`slave_repl_offset`).
    pub fn reploff(&self) -> i64 {
        self.reploff
    }

    /// When the master was last heard from (`master_last_io_seconds_ago`).
    pub fn last_io_ms(&self) -> i64 {
        self.last_io_ms
    }

    /// What a new link should ask to continue, once this one streamed:
    /// the master's replid and our applied offset.
    pub fn resume_point(&self) -> Option<(ReplId, i64)> {
        match (self.state, self.master_replid) {
            (State::Connected | State::Closed, Some(replid)) if !self.pre_psync && self.streamed => {
                Some((replid, self.reploff))
            }
            _ => None,
        }
    }

    /// The connection to the master is open: sends `PING`.
    pub fn handle_connected(&mut self, now_ms: i64) {
        if self.state != State::Connecting {
            return;
        }
        self.last_io_ms = now_ms;
        command(&mut self.output, &[b"PING"]);
        self.state = State::ReceivePingReply;
        self.notices.push_back(Event::Connected);
    }

    /// Bytes received from the master; take the events from the returned
    /// [`Input`].
    pub fn handle_input<'l, 'b>(&'l mut self, now_ms: i64, bytes: &'b [u8]) -> Input<'l, 'b> {
        if !bytes.is_empty() {
            self.last_io_ms = now_ms;
        }
        Input {
            link: self,
            input: bytes,
            pos: 0,
            scratch: [0; REPLID_LEN],
        }
    }

    /// The connection closed (by the peer or on an I/O error).
    pub fn handle_closed(&mut self) {
        let failure = match self.state {
            State::Connecting | State::Closed => return,
            State::Transfer => Failure::TransferLost,
            State::Connected => Failure::ConnectionLost,
            _ => Failure::NoResponse,
        };
        self.fail(failure);
    }

    /// The engine applied `len` bytes of the stream (one command, or a
    /// whole `MULTI`…`EXEC`).
    pub fn handle_applied(&mut self, len: usize) {
        self.reploff = self.reploff.saturating_add(len as i64);
    }

    /// Queues `REPLCONF ACK <reploff>` (Redis's `replicationSendAck`). Does
    /// nothing before the stream starts or for a legacy `SYNC` master.
    pub fn send_ack(&mut self) {
        if self.state == State::Connected && !self.pre_psync {
            let mut num = itoa::Buffer::new();
            command(
                &mut self.output,
                &[b"REPLCONF", b"ACK", num.format(self.reploff).as_bytes()],
            );
        }
    }

    /// Queues a lone newline: the keepalive a replica sends while it loads
    /// a large RDB, so the master does not time it out.
    pub fn send_newline(&mut self) {
        if self.state == State::Transfer {
            self.output.push(b'\n');
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<i64> {
        match self.state {
            State::Connecting | State::Closed => None,
            State::Connected if !self.pre_psync => {
                Some((self.last_io_ms + self.config.timeout_ms + 1).min(self.last_ack_ms + 1000))
            }
            _ => Some(self.last_io_ms + self.config.timeout_ms + 1),
        }
    }

    /// Time passed: decides `repl-timeout` and sends the once-a-second ACK.
    /// A failure is then reported by [`poll_event`](Self::poll_event).
    pub fn handle_timeout(&mut self, now_ms: i64) {
        let silent = now_ms - self.last_io_ms > self.config.timeout_ms;
        match self.state {
            State::Connecting | State::Closed => {}
            State::Transfer if silent => self.fail(Failure::TransferTimeout),
            State::Connected if silent => self.fail(Failure::MasterTimeout),
            State::Connected if now_ms - self.last_ack_ms >= 1000 => {
                self.last_ack_ms = now_ms;
                self.send_ack();
            }
            State::Transfer => {}
            _ if silent => self.fail(Failure::HandshakeTimeout),
            _ => {}
        }
    }

    /// An event not tied to received bytes (after `handle_connected` or
    /// `handle_timeout`).
    pub fn poll_event(&mut self) -> Option<Event<'static>> {
        self.notices.pop_front()
    }

    /// Appends the bytes to send to the master to `out`; whether there were
    /// any.
    pub fn poll_output(&mut self, out: &mut Vec<u8>) -> bool {
        if self.output.is_empty() {
            return false;
        }
        out.extend_from_slice(&self.output);
        self.output.clear();
        true
    }

    fn fail(&mut self, failure: Failure) {
        if self.state != State::Closed {
            self.state = State::Closed;
            self.held.clear();
            self.notices.push_back(Event::Failed(failure));
        }
    }

    /// Handles one reply line during the handshake.
    fn handle_line(&mut self, line: Vec<u8>) {
        let error = line.first() == Some(&b'-');
        match self.state {
            State::ReceivePingReply => {
                let acceptable = line.first() == Some(&b'+')
                    || line.starts_with(b"-NOAUTH")
                    || line.starts_with(b"-NOPERM")
                    || line.starts_with(b"-ERR operation not permitted");
                if !acceptable {
                    return self.fail(Failure::PingError(line));
                }
                self.notices.push_back(Event::Handshake(Step::PingReplied));
                self.send_handshake();
            }
            State::ReceiveAuthReply => {
                if error {
                    return self.fail(Failure::AuthError(line));
                }
                self.notices.push_back(Event::Handshake(Step::Authenticated));
                self.state = State::ReceivePortReply;
            }
            State::ReceivePortReply | State::ReceiveIpReply | State::ReceiveCapaReply => {
                let what = match self.state {
                    State::ReceivePortReply => "listening-port",
                    State::ReceiveIpReply => "ip-address",
                    _ => "capa",
                };
                let error = error.then_some(line);
                self.notices.push_back(Event::Handshake(Step::Replconf { what, error }));
                self.state = match self.state {
                    State::ReceivePortReply if self.config.announce_ip.is_some() => State::ReceiveIpReply,
                    State::ReceivePortReply | State::ReceiveIpReply => State::ReceiveCapaReply,
                    _ => {
                        self.send_psync();
                        State::ReceivePsyncReply
                    }
                };
            }
            State::ReceivePsyncReply => self.handle_psync_reply(line),
            State::Transfer => self.handle_bulk_header(line),
            _ => {}
        }
    }

    fn send_handshake(&mut self) {
        if let Some(pass) = &self.config.masterauth {
            match &self.config.masteruser {
                Some(user) => command(&mut self.output, &[b"AUTH", user, pass]),
                None => command(&mut self.output, &[b"AUTH", pass]),
            }
        }
        let mut num = itoa::Buffer::new();
        let port = num.format(self.config.listening_port);
        command(&mut self.output, &[b"REPLCONF", b"listening-port", port.as_bytes()]);
        if let Some(ip) = &self.config.announce_ip {
            command(&mut self.output, &[b"REPLCONF", b"ip-address", ip]);
        }
        command(&mut self.output, &[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"]);
        self.state = if self.config.masterauth.is_some() {
            State::ReceiveAuthReply
        } else {
            State::ReceivePortReply
        };
    }

    fn send_psync(&mut self) {
        let resume = self.config.resume;
        match resume {
            Some((replid, offset)) => {
                let mut num = itoa::Buffer::new();
                let next = num.format(offset.saturating_add(1));
                command(&mut self.output, &[b"PSYNC", replid.as_bytes(), next.as_bytes()]);
            }
            None => command(&mut self.output, &[b"PSYNC", b"?", b"-1"]),
        }
        self.notices.push_back(Event::Handshake(Step::PsyncSent { resume }));
    }

    fn handle_psync_reply(&mut self, line: Vec<u8>) {
        if line.is_empty() {
            return; // keepalive newline before the reply
        }
        if line.starts_with(b"+FULLRESYNC") {
            let mut parts = line.splitn(3, |&b| b == b' ').skip(1);
            let replid = parts.next().and_then(ReplId::parse);
            let offset = parts.next();
            let (Some(replid), Some(offset)) = (replid, offset) else {
                return self.fail(Failure::BadFullResync(line));
            };
            let offset = strtoll(offset);
            self.master_replid = Some(replid);
            self.read_reploff = offset;
            self.reploff = offset;
            self.notices.push_back(Event::FullResync { replid, offset });
            self.state = State::Transfer;
            self.transfer = Transfer::Header;
            return;
        }
        if line.starts_with(b"+CONTINUE") {
            let Some((cached, offset)) = self.config.resume else {
                return self.fail(Failure::UnexpectedContinue);
            };
            let rest = line.get(10..).unwrap_or(&[]);
            let new_replid = ReplId::parse(rest).filter(|id| *id != cached);
            self.master_replid = Some(new_replid.unwrap_or(cached));
            self.read_reploff = offset;
            self.reploff = offset;
            self.state = State::Connected;
            self.streamed = true;
            self.notices.push_back(Event::Continue { new_replid });
            return;
        }
        if line.starts_with(b"-NOMASTERLINK") || line.starts_with(b"-LOADING") {
            return self.fail(Failure::PsyncTryLater(line));
        }
        // Not understood: fall back to SYNC, as Redis does.
        self.output.extend_from_slice(b"SYNC\r\n");
        self.pre_psync = true;
        self.notices
            .push_back(Event::Handshake(Step::SyncFallback { reply: line }));
        self.state = State::Transfer;
        self.transfer = Transfer::Header;
    }

    fn handle_bulk_header(&mut self, line: Vec<u8>) {
        match line.first() {
            None => {} // keepalive newline while the master prepares the RDB
            Some(b'-') => self.fail(Failure::MasterAborted(line)),
            Some(b'$') => {
                let text = &line[1..];
                if text.starts_with(b"EOF:") && text.len() >= 4 + REPLID_LEN {
                    let mut mark = [0; REPLID_LEN];
                    mark.copy_from_slice(&text[4..4 + REPLID_LEN]);
                    self.transfer = Transfer::Mark(mark);
                    self.notices.push_back(Event::RdbStart { size: None });
                } else {
                    match u64::try_from(strtoll(text)) {
                        Ok(size) => {
                            self.transfer = Transfer::Sized(size);
                            self.notices.push_back(Event::RdbStart { size: Some(size) });
                            if size == 0 {
                                self.rdb_done(false);
                            }
                        }
                        Err(_) => self.fail(Failure::BadBulkHeader(line)),
                    }
                }
            }
            Some(_) => self.fail(Failure::BadBulkHeader(line)),
        }
    }

    /// The whole RDB arrived.
    fn rdb_done(&mut self, with_mark: bool) {
        self.notices.push_back(Event::RdbEnd);
        self.state = State::Connected;
        self.streamed = true;
        self.transfer = Transfer::Sized(0);
        // A diskless master starts the stream only once it has our first
        // ACK (`repl_start_cmd_stream_on_ack`).
        if with_mark {
            self.send_ack();
        }
    }
}

/// Received bytes being turned into events; see [`ReplicaLink::handle_input`].
pub struct Input<'l, 'b> {
    link: &'l mut ReplicaLink,
    input: &'b [u8],
    pos: usize,
    /// Held-back RDB bytes released from the link's buffer are copied here
    /// (at most 40) so the event can borrow them.
    scratch: [u8; REPLID_LEN],
}

/// RDB bytes an `$EOF:` step releases.
enum Release {
    /// The first `n` bytes of `scratch`.
    Scratch(usize),
    /// `input[start..end]`.
    Input(usize, usize),
}

impl<'b> Input<'_, 'b> {
    /// The next event, or `None` when all input is consumed.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        let input: &'b [u8] = self.input;
        loop {
            if let Some(event) = self.link.notices.pop_front() {
                return Some(event);
            }
            let rest = &input[self.pos..];
            match (self.link.state, self.link.transfer) {
                (State::Connecting | State::Closed, _) => {
                    self.pos = self.input.len();
                    return None;
                }
                (State::Connected, _) => {
                    if !self.link.held.is_empty() {
                        // Bytes that followed the EOF mark in held data.
                        let n = self.link.held.len();
                        self.scratch[..n].copy_from_slice(&self.link.held);
                        self.link.held.clear();
                        self.link.read_reploff += n as i64;
                        return Some(Event::Stream(&self.scratch[..n]));
                    }
                    if rest.is_empty() {
                        return None;
                    }
                    self.pos = self.input.len();
                    self.link.read_reploff += rest.len() as i64;
                    return Some(Event::Stream(rest));
                }
                (State::Transfer, Transfer::Sized(remaining)) if remaining > 0 => {
                    if rest.is_empty() {
                        return None;
                    }
                    let n = usize::try_from(remaining).unwrap_or(usize::MAX).min(rest.len());
                    self.pos += n;
                    let left = remaining - n as u64;
                    self.link.transfer = Transfer::Sized(left);
                    if left == 0 {
                        self.link.rdb_done(false);
                    }
                    return Some(Event::RdbChunk(&rest[..n]));
                }
                (State::Transfer, Transfer::Mark(mark)) => {
                    match self.eof_step(&mark) {
                        Some(Release::Scratch(n)) => return Some(Event::RdbChunk(&self.scratch[..n])),
                        Some(Release::Input(start, end)) => return Some(Event::RdbChunk(&input[start..end])),
                        None => {}
                    }
                    if self.link.notices.is_empty() {
                        return None;
                    }
                }
                _ => {
                    // A reply line.
                    if rest.is_empty() {
                        return None;
                    }
                    match rest.iter().position(|&b| b == b'\n') {
                        None => {
                            if self.link.held.len() + rest.len() > MAX_LINE {
                                self.link.fail(Failure::LineTooLong);
                            } else {
                                self.link.held.extend_from_slice(rest);
                                self.pos = self.input.len();
                            }
                        }
                        Some(end) => {
                            self.pos += end + 1;
                            let mut line = core::mem::take(&mut self.link.held);
                            line.extend_from_slice(&rest[..end]);
                            if line.last() == Some(&b'\r') {
                                line.pop();
                            }
                            self.link.handle_line(line);
                        }
                    }
                }
            }
        }
    }

    /// One step of an `$EOF:` transfer: the RDB so far is `held ++ rest`;
    /// release what cannot be part of the mark, or finish at the mark.
    fn eof_step(&mut self, mark: &[u8; REPLID_LEN]) -> Option<Release> {
        let input: &'b [u8] = self.input;
        let rest = &input[self.pos..];
        let held_len = self.link.held.len();
        let total = held_len + rest.len();
        let at = |i: usize| -> u8 {
            if i < held_len {
                self.link.held[i]
            } else {
                rest[i - held_len]
            }
        };
        // Where the mark starts, searching the part that involves held
        // bytes first, then `rest` alone.
        let mut found = None;
        for start in 0..held_len.min(total.saturating_sub(REPLID_LEN - 1)) {
            if (0..REPLID_LEN).all(|i| at(start + i) == mark[i]) {
                found = Some(start);
                break;
            }
        }
        if found.is_none() && rest.len() >= REPLID_LEN {
            found = find_mark(rest, mark).map(|p| p + held_len);
        }
        let release = match found {
            Some(start) => start,
            None => total.saturating_sub(REPLID_LEN),
        };
        if release > 0 {
            if held_len > 0 {
                let n = release.min(held_len);
                self.scratch[..n].copy_from_slice(&self.link.held[..n]);
                self.link.held.drain(..n);
                return Some(Release::Scratch(n));
            }
            let start = self.pos;
            self.pos += release;
            return Some(Release::Input(start, self.pos));
        }
        if found.is_some() {
            // The mark starts at the first unreleased byte: consume it.
            let from_held = held_len.min(REPLID_LEN);
            self.link.held.drain(..from_held);
            self.pos += REPLID_LEN - from_held;
            self.link.rdb_done(true);
            return None;
        }
        // Fewer than 40 bytes in all: keep them.
        self.link.held.extend_from_slice(rest);
        self.pos = self.input.len();
        None
    }
}

/// Where `mark` first occurs in `haystack` (Horspool's search: a
/// snapshot is megabytes, and a window that ends in a byte the mark does
/// not hold cannot overlap an occurrence, so the search moves on by the
/// mark's whole length).
fn find_mark(haystack: &[u8], mark: &[u8; REPLID_LEN]) -> Option<usize> {
    let last = REPLID_LEN - 1;
    let mut shift = [REPLID_LEN as u8; 256];
    for (i, &byte) in mark[..last].iter().enumerate() {
        shift[usize::from(byte)] = (last - i) as u8;
    }
    let mut at = 0;
    while let Some(window) = haystack.get(at..at + REPLID_LEN) {
        if window[last] == mark[last] && window == mark {
            return Some(at);
        }
        at += usize::from(shift[usize::from(window[last])]);
    }
    None
}
