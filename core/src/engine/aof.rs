//! The append-only file, Redis 7.0's multi-part format (`aof.c`): what
//! the engine decides and encodes, never a file. The host owns the
//! directory, writes and fsyncs.
//!
//! # The directory
//!
//! `appenddirname` holds a manifest (`<appendfilename>.manifest`) naming,
//! in load order, at most one base file (the dataset when the last
//! rewrite started: an RDB with `aof-use-rdb-preamble yes`, otherwise
//! commands), the history files (replaced by a rewrite, soon deleted) and
//! the incremental files (every write since). [`Manifest`] parses and
//! renders it byte for byte as Redis does, so either server opens the
//! other's directory:
//!
//! ```text
//! file appendonly.aof.2.base.rdb seq 2 type b
//! file appendonly.aof.1.incr.aof seq 1 type h
//! file appendonly.aof.2.incr.aof seq 2 type i
//! ```
//!
//! # Feeding
//!
//! Every write's effects (the same `Propagated` commands the replication
//! stream carries) are appended to [`Aof::buffer`] as RESP, with a
//! `SELECT` when the database differs from the last one written and
//! MULTI/EXEC around a command's several effects (`feedAppendOnlyFile`).
//! The host takes the buffer ([`super::Engine::take_aof_buffer`]) and
//! writes it before it sends any reply produced since, fsyncing first
//! under `appendfsync always`.
//!
//! # Loading
//!
//! [`AofReplay`] runs a file's commands through the engine's own command
//! path as a client without a connection (Redis's fake AOF client): one
//! semantics for clients, replicas and the AOF. It separates a file cut
//! short (the host may truncate it, `aof-load-truncated`) from a file
//! that can never parse.

use super::client::{client_flag, ClientState};
use super::persistence::{ChildExit, SIGUSR1};
use super::{Engine, Propagated, Server};
use crate::config::Id;
use crate::keyspace::Keyspace;
use crate::resp::reply::Reply;
use crate::resp::request::{split_args, Args};
use alloc::string::String;
use alloc::vec::Vec;
use core::ops::Range;

// ---------------------------------------------------------------------------
// The manifest
// ---------------------------------------------------------------------------

/// What a file of the manifest is (its `type` letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// `b`: the dataset when the last rewrite started.
    Base,
    /// `h`: replaced by a rewrite, waiting to be deleted.
    History,
    /// `i`: writes since the base.
    Incr,
}

impl FileType {
    fn letter(self) -> char {
        match self {
            FileType::Base => 'b',
            FileType::History => 'h',
            FileType::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AofFile {
    /// File name inside the AOF directory (never a path).
    pub name: String,
    /// Sequence number (`seq`).
    pub seq: i64,
    /// Its role.
    pub kind: FileType,
}

/// The manifest: the files of the AOF directory, in load order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    /// The base file, loaded first.
    pub base: Option<AofFile>,
    /// Files a rewrite replaced, to delete.
    pub history: Vec<AofFile>,
    /// Incremental files, loaded after the base in this order; the last
    /// one is the file being appended to.
    pub incr: Vec<AofFile>,
    /// Highest base sequence number given so far.
    pub base_seq: i64,
    /// Highest incremental sequence number given so far.
    pub incr_seq: i64,
}

/// Why a manifest is refused, with Redis's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    /// The offending line's number (from 1) and text, when there is one.
    pub line: Option<(usize, String)>,
    /// What is wrong (`aofLoadManifestFromFile`'s message).
    pub reason: &'static str,
}

/// Longest manifest line Redis reads (`MANIFEST_MAX_LINE`).
const MANIFEST_MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses a manifest's bytes as `aofLoadManifestFromFile` does:
    /// `#` comments, `key value` pairs in any order (unknown keys ignored
    /// for forward compatibility), one base at most, strictly increasing
    /// incremental sequence numbers.
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut manifest = Manifest::default();
        if text.is_empty() {
            return Err(ManifestError {
                line: None,
                reason: "Found an empty AOF manifest",
            });
        }
        let mut rest = text;
        let mut number = 0;
        while !rest.is_empty() {
            number += 1;
            let newline = rest.iter().position(|&c| c == b'\n');
            let raw = &rest[..newline.unwrap_or(rest.len())];
            rest = newline.map_or(&[][..], |n| &rest[n + 1..]);
            if raw.first() == Some(&b'#') {
                continue;
            }
            let line = String::from_utf8_lossy(trim(raw)).into_owned();
            let fail = |reason| ManifestError {
                line: Some((number, line.clone())),
                reason,
            };
            if newline.is_none() || raw.len() >= MANIFEST_MAX_LINE {
                return Err(fail("The AOF manifest file contains too long line"));
            }
            if trim(raw).is_empty() {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut bytes, mut ranges) = (Vec::new(), Vec::new());
            if split_args(trim(raw), &mut bytes, &mut ranges).is_err() || ranges.len() < 6 || ranges.len() % 2 != 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0i64, 0u8);
            for pair in ranges.chunks(2) {
                let (key, value) = (&bytes[pair[0].clone()], &bytes[pair[1].clone()]);
                if key.eq_ignore_ascii_case(b"file") {
                    if value.contains(&b'/') {
                        return Err(fail("File can't be a path, just a filename"));
                    }
                    name = Some(String::from_utf8_lossy(value).into_owned());
                } else if key.eq_ignore_ascii_case(b"seq") {
                    seq = atoll(value);
                } else if key.eq_ignore_ascii_case(b"type") {
                    kind = value.first().copied().unwrap_or(0);
                }
            }
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                return Err(fail("Invalid AOF manifest file format"));
            };
            if seq == 0 || kind == 0 {
                return Err(fail("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if manifest.base.is_some() {
                        return Err(fail("Found duplicate base file information"));
                    }
                    manifest.base_seq = seq;
                    manifest.base = Some(AofFile {
                        name,
                        seq,
                        kind: FileType::Base,
                    });
                }
                b'h' => manifest.history.push(AofFile {
                    name,
                    seq,
                    kind: FileType::History,
                }),
                b'i' => {
                    if seq <= manifest.incr.last().map_or(0, |f| f.seq) {
                        return Err(fail("Found a non-monotonic sequence number"));
                    }
                    manifest.incr_seq = seq;
                    manifest.incr.push(AofFile {
                        name,
                        seq,
                        kind: FileType::Incr,
                    });
                }
                _ => return Err(fail("Unknown AOF file type")),
            }
        }
        Ok(manifest)
    }

    /// The manifest's text (`getAofManifestAsString`): base, history,
    /// then incremental files, one `file … seq … type …` line each.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for file in self.base.iter().chain(&self.history).chain(&self.incr) {
            out.push_str("file ");
            push_file_name(&mut out, &file.name);
            out.push_str(" seq ");
            out.push_str(itoa::Buffer::new().format(file.seq));
            out.push_str(" type ");
            out.push(file.kind.letter());
            out.push('\n');
        }
        out
    }

    /// Whether there is anything to load (a base or an incremental file).
    pub fn has_data_files(&self) -> bool {
        self.base.is_some() || !self.incr.is_empty()
    }

    /// The files to load, in order: the base, then the incremental files.
    pub fn data_files(&self) -> impl Iterator<Item = &AofFile> {
        self.base.iter().chain(&self.incr)
    }

    /// Names a new base file `<prefix>.<seq>.base.rdb|aof` and turns the
    /// current base into history (`getNewBaseFileNameAndMarkPreAsHistory`).
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileType::History;
            self.history.insert(0, old);
        }
        self.base_seq += 1;
        let suffix = if rdb { ".base.rdb" } else { ".base.aof" };
        let name = alloc::format!("{}.{}{}", prefix, self.base_seq, suffix);
        self.base = Some(AofFile {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileType::Base,
        });
        name
    }

    /// Appends a new incremental file `<prefix>.<seq>.incr.aof`
    /// (`getNewIncrAofName`).
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = alloc::format!("{}.{}.incr.aof", prefix, self.incr_seq);
        self.incr.push(AofFile {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileType::Incr,
        });
        name
    }

    /// The incremental file to append to: the last one, or a new one
    /// (`getLastIncrAofName`).
    pub fn last_incr(&mut self, prefix: &str) -> String {
        match self.incr.last() {
            Some(file) => file.name.clone(),
            None => self.new_incr(prefix),
        }
    }

    /// After a rewrite: every incremental file but the one being appended
    /// to (when `keep_last`) becomes history (`markRewrittenIncrAofAsHistory`).
    pub fn mark_rewritten_incr_as_history(&mut self, keep_last: bool) {
        let keep = usize::from(keep_last && !self.incr.is_empty());
        let cut = self.incr.len() - keep;
        for mut file in self.incr.drain(..cut).rev() {
            file.kind = FileType::History;
            self.history.insert(0, file);
        }
    }
}

fn trim(line: &[u8]) -> &[u8] {
    let is_blank = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|c| !is_blank(c)).unwrap_or(line.len());
    let end = line.iter().rposition(|c| !is_blank(c)).map_or(start, |e| e + 1);
    &line[start..end]
}

/// C's `atoll`: optional blanks and sign, then digits; 0 when none.
fn atoll(bytes: &[u8]) -> i64 {
    let text = core::str::from_utf8(bytes).unwrap_or("").trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let mut value: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        value = value.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if negative {
        -value
    } else {
        value
    }
}

/// A file name as the manifest writes it: bare, or quoted and escaped
/// when it holds a blank, a quote or a non-printable byte (`sdscatrepr`).
fn push_file_name(out: &mut String, name: &str) {
    let needs_quotes = name
        .bytes()
        .any(|c| matches!(c, b'\\' | b'"') || !(0x21..0x7f).contains(&c));
    if !needs_quotes {
        out.push_str(name);
        return;
    }
    crate::util::repr::push_quoted(out, name.as_bytes());
}

// ---------------------------------------------------------------------------
// Feeding
// ---------------------------------------------------------------------------

/// The engine's AOF state (Redis's `aof_state`, `aof_buf`,
/// `aof_selected_db` and the INFO figures).
#[derive(Debug)]
pub struct Aof {
    /// Effects are being fed (`appendonly yes` and the host opened the
    /// files). Off while loading, so a loaded EXEC is not written back.
    pub on: bool,
    /// Encoded effects the host has not taken yet (`aof_buf`).
    pub buffer: Vec<u8>,
    /// The database of the last command fed; `None` forces a `SELECT`
    /// (after a rewrite switched files).
    pub selected_db: Option<usize>,
    /// Bytes ever fed: the host compares what it made durable with it.
    pub fed: u64,
    /// `aof_current_size`: base plus incremental files, as written.
    pub current_size: u64,
    /// `aof_base_size`: the size at the last rewrite (auto-rewrite
    /// growth is measured from it).
    pub base_size: u64,
    /// `aof_last_write_status`.
    pub last_write_ok: bool,
    /// `aof_last_bgrewrite_status`.
    pub last_rewrite_ok: bool,
    /// `aof_rewrites`.
    pub rewrites: u64,
    /// `aof_rewrites_consecutive_failures`.
    pub rewrite_failures: u64,
    /// When the running rewrite started (Unix seconds).
    pub rewrite_started: Option<i64>,
    /// `aof_last_rewrite_time_sec`, -1 before the first.
    pub last_rewrite_seconds: i64,
    /// `aof_rewrite_scheduled`: a rewrite waits for another child.
    pub rewrite_scheduled: bool,
    /// `appendonly` was turned on at run time and the first rewrite has
    /// not installed a base yet (Redis's `AOF_WAIT_REWRITE`): effects go
    /// to a temporary incremental file the manifest does not name yet.
    pub enabling: bool,
}

impl Default for Aof {
    fn default() -> Self {
        Aof {
            on: false,
            buffer: Vec::new(),
            selected_db: None,
            fed: 0,
            current_size: 0,
            base_size: 0,
            last_write_ok: true,
            last_rewrite_ok: true,
            rewrites: 0,
            rewrite_failures: 0,
            rewrite_started: None,
            last_rewrite_seconds: -1,
            rewrite_scheduled: false,
            enabling: false,
        }
    }
}

/// Encodes `pending` into `out` as the stream carries it: a `SELECT` when
/// a command's database differs from `*selected_db`, and MULTI/EXEC
/// around them when `wrap` (Redis's `propagatePendingCommands`).
fn encode_effects(out: &mut Vec<u8>, pending: &[Propagated], wrap: bool, selected_db: &mut Option<usize>) {
    let mut select = |out: &mut Vec<u8>, db: usize| {
        if *selected_db != Some(db) {
            let mut number = itoa::Buffer::new();
            super::master::encode_command(out, [&b"SELECT"[..], number.format(db).as_bytes()].into_iter());
            *selected_db = Some(db);
        }
    };
    let Some(first) = pending.first() else {
        return;
    };
    if wrap {
        select(out, first.db);
        super::master::encode_command(out, [&b"MULTI"[..]].into_iter());
    }
    for command in pending {
        select(out, command.db);
        super::master::encode_command(out, command.args.as_args().iter());
    }
    if wrap {
        super::master::encode_command(out, [&b"EXEC"[..]].into_iter());
    }
}

/// Appends the top-level command's effects to the AOF buffer
/// (`feedAppendOnlyFile`); call before `server.pending` is consumed.
pub(crate) fn feed(server: &mut Server, wrap: bool) {
    let aof = &mut server.aof;
    // While the AOF is being turned on, only writes after the rewrite's
    // fork are fed: earlier ones are in the base it writes.
    if !aof.on || (aof.enabling && aof.rewrite_started.is_none()) {
        return;
    }
    let before = aof.buffer.len();
    encode_effects(&mut aof.buffer, &server.pending, wrap, &mut aof.selected_db);
    aof.fed += (aof.buffer.len() - before) as u64;
}

impl Engine {
    /// Starts feeding writes to the AOF (the host opened its incremental
    /// file); the first command written gets a `SELECT`.
    pub fn aof_start(&mut self) {
        let aof = &mut self.server.aof;
        aof.on = true;
        aof.selected_db = None;
    }

    /// Hands the encoded effects over to the host for writing, leaving
    /// `into`'s (emptied) allocation for the next ones.
    pub fn take_aof_buffer(&mut self, into: &mut Vec<u8>) {
        into.clear();
        core::mem::swap(into, &mut self.server.aof.buffer);
    }

    /// Bytes ever fed to the AOF ([`Aof::fed`]).
    pub fn aof_fed(&self) -> u64 {
        self.server.aof.fed
    }

    /// The AOF state, for the host to record what it wrote.
    pub fn aof_mut(&mut self) -> &mut Aof {
        &mut self.server.aof
    }

    /// The AOF state.
    pub fn aof(&self) -> &Aof {
        &self.server.aof
    }
}

// ---------------------------------------------------------------------------
// Background rewrite (BGREWRITEAOF, auto-aof-rewrite-*, CONFIG SET appendonly)
// ---------------------------------------------------------------------------

/// Why a rewrite could not start; the details are in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RewriteFailed;

/// Starts a background rewrite (`rewriteAppendOnlyFileBackground`): the
/// host writes the buffer out, switches appends to a new incremental file
/// and forks a child writing a new base from this moment's keyspace.
pub fn start_rewrite(keyspace: &Keyspace, server: &mut Server) -> Result<(), RewriteFailed> {
    server.aof.selected_db = None;
    let result = server.host.start_aof_rewrite(keyspace, &server.config, &mut server.aof);
    match result {
        Ok(pid) => {
            server.persistence.forks += 1;
            server.log(
                2,
                &alloc::format!("Background append only file rewriting started by pid {}", pid),
            );
            let aof = &mut server.aof;
            aof.rewrites += 1;
            aof.rewrite_scheduled = false;
            aof.rewrite_started = Some(server.now_ms / 1000);
            Ok(())
        }
        Err(message) => {
            server.log(3, &message);
            server.aof.last_rewrite_ok = false;
            Err(RewriteFailed)
        }
    }
}

/// The rewrite child ended (`backgroundRewriteDoneHandler`): on success
/// the host installs the new base and switches the manifest.
fn rewrite_done(server: &mut Server, exit: ChildExit) {
    let Some(started) = server.aof.rewrite_started.take() else {
        return;
    };
    let mut ok = false;
    match exit {
        ChildExit::Exited(0) => {
            server.log(2, "Background AOF rewrite terminated with success");
            match server.host.finish_aof_rewrite(&server.config, &mut server.aof, true) {
                Ok(()) => {
                    server.log(2, "Background AOF rewrite finished successfully");
                    ok = true;
                }
                Err(message) => server.log(3, &message),
            }
        }
        ChildExit::Exited(_) => server.log(3, "Background AOF rewrite terminated with error"),
        ChildExit::Signaled(signal) => server.log(
            3,
            &alloc::format!("Background AOF rewrite terminated by signal {}", signal),
        ),
    }
    if !ok {
        let _ = server.host.finish_aof_rewrite(&server.config, &mut server.aof, false);
    }
    let aof = &mut server.aof;
    let killed = exit == ChildExit::Signaled(SIGUSR1);
    if ok {
        aof.last_rewrite_ok = true;
        aof.rewrite_failures = 0;
        aof.enabling = false;
    } else if !killed {
        aof.last_rewrite_ok = false;
        aof.rewrite_failures += 1;
    }
    // Turning the AOF on waits for a rewrite that succeeds.
    if aof.enabling {
        aof.rewrite_scheduled = true;
    }
    aof.last_rewrite_seconds = server.now_ms / 1000 - started;
}

/// Ends a running rewrite child on purpose (SHUTDOWN, `appendonly no`);
/// it counts as no failure.
pub fn kill_rewrite(server: &mut Server) {
    if server.aof.rewrite_started.is_some() {
        server.log(2, "Killing running AOF rewrite child");
        server.host.kill_aof_rewrite();
        rewrite_done(server, ChildExit::Signaled(SIGUSR1));
    }
}

/// Periodic AOF work (`serverCron`): reap the rewrite child, start a
/// scheduled rewrite, or one when the AOF grew by
/// `auto-aof-rewrite-percentage` over its size at the last rewrite.
pub fn cron(keyspace: &Keyspace, server: &mut Server) {
    if server.aof.rewrite_started.is_some() {
        if let Some(exit) = server.host.poll_aof_rewrite() {
            rewrite_done(server, exit);
        }
        return;
    }
    if server.persistence.bgsave_in_progress() {
        return;
    }
    if server.aof.rewrite_scheduled {
        let _ = start_rewrite(keyspace, server);
        return;
    }
    let percentage = server.config.int(Id::AutoAofRewritePercentage) as u64;
    let aof = &server.aof;
    let min_size = server.config.int(Id::AutoAofRewriteMinSize) as u64;
    if !aof.on || aof.enabling || percentage == 0 || aof.current_size <= min_size || aof.rewrite_failures >= 3 {
        return;
    }
    let base = aof.base_size.max(1);
    let growth = aof.current_size.saturating_sub(base) * 100 / base;
    if growth >= percentage {
        server.log(
            2,
            &alloc::format!("Starting automatic rewriting of AOF on {}% growth", growth),
        );
        let _ = start_rewrite(keyspace, server);
    }
}

/// `CONFIG SET appendonly` changed (`updateAppendonly`).
pub fn config_changed(keyspace: &Keyspace, server: &mut Server) -> Result<(), RewriteFailed> {
    let wanted = server.config.bool(Id::Appendonly);
    let running = server.aof.on || server.aof.enabling;
    match (wanted, running) {
        (true, false) => start(keyspace, server),
        (false, true) => {
            stop(server);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A replica loaded its master's snapshot (`restartAOFAfterSYNC`): the
/// AOF starts over from a rewrite of the new dataset.
pub fn restart_after_sync(keyspace: &Keyspace, server: &mut Server) {
    if server.aof.on || server.aof.enabling {
        stop(server);
        if start(keyspace, server).is_err() {
            server.log(
                3,
                "Failed enabling the AOF after successful master synchronization! Trying it again in one second.",
            );
            server.aof.enabling = true;
            server.aof.on = true;
            server.aof.rewrite_scheduled = true;
        }
    }
}

/// Writes what is pending and closes the file (`stopAppendOnly`).
fn stop(server: &mut Server) {
    kill_rewrite(server);
    server.host.stop_aof(&server.config, &mut server.aof);
    let aof = &mut server.aof;
    aof.on = false;
    aof.enabling = false;
    aof.rewrite_scheduled = false;
    aof.selected_db = None;
    aof.buffer.clear();
}

/// Turns the AOF on with a rewrite whose base the new incremental file
/// will follow (`startAppendOnly`).
fn start(keyspace: &Keyspace, server: &mut Server) -> Result<(), RewriteFailed> {
    if server.aof.rewrite_started.is_some() {
        server.log(3, "AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
        kill_rewrite(server);
    }
    server.aof.enabling = true;
    server.aof.on = true;
    if server.persistence.bgsave_in_progress() {
        server.aof.rewrite_scheduled = true;
        server.log(3, "AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
        return Ok(());
    }
    if start_rewrite(keyspace, server).is_err() {
        let aof = &mut server.aof;
        aof.enabling = false;
        aof.on = false;
        server.log(3, "Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
        return Err(RewriteFailed);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Rewriting as commands
// ---------------------------------------------------------------------------

/// Elements per command of a rewritten aggregate (`AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_COMMAND: usize = 64;

/// Writes `*<count>\r\n` then the first arguments of a command.
fn command_head(out: &mut Vec<u8>, count: usize, words: &[&[u8]]) {
    let mut number = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(number.format(count).as_bytes());
    out.extend_from_slice(b"\r\n");
    for word in words {
        bulk(out, word);
    }
}

fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut number = itoa::Buffer::new();
    out.push(b'$');
    out.extend_from_slice(number.format(bytes.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Writes `items` as commands `name key item…` of at most
/// [`ITEMS_PER_COMMAND`] items each (`item` writes one item's arguments).
fn batched<T>(
    out: &mut Vec<u8>,
    name: &[u8],
    key: &[u8],
    arguments_per_item: usize,
    (mut left, items): (usize, impl Iterator<Item = T>),
    mut item: impl FnMut(&mut Vec<u8>, T),
) {
    let mut in_command = 0;
    for element in items {
        if in_command == 0 {
            let count = left.min(ITEMS_PER_COMMAND);
            command_head(out, 2 + count * arguments_per_item, &[name, key]);
        }
        item(out, element);
        left -= 1;
        in_command += 1;
        if in_command == ITEMS_PER_COMMAND {
            in_command = 0;
        }
    }
}

/// The commands that rebuild `keyspace` (`rewriteAppendOnlyFileRio`): per
/// non-empty database a `SELECT`, then per key `SET`, `RPUSH`, `SADD`,
/// `ZADD` or `HMSET` (in batches) and `PEXPIREAT` for a deadline. The
/// bytes are handed to `sink` a key at a time.
pub fn rewrite_commands<E>(
    keyspace: &crate::keyspace::Keyspace,
    mut sink: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    use crate::keyspace::value::Value;
    let mut out = Vec::new();
    let mut number = itoa::Buffer::new();
    for (index, db) in keyspace.dbs().iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        command_head(&mut out, 2, &[b"SELECT", number.format(index).as_bytes()]);
        for (key, entry) in db.iter() {
            let key = key.as_bytes();
            match &entry.value {
                Value::List(list) => batched(
                    &mut out,
                    b"RPUSH",
                    key,
                    1,
                    (list.len(), list.items.iter()),
                    |out, item| bulk(out, item.as_bytes()),
                ),
                Value::Set(set) => batched(&mut out, b"SADD", key, 1, (set.len(), set.iter()), |out, member| {
                    member.with_bytes(|b| bulk(out, b))
                }),
                Value::ZSet(zset) => batched(
                    &mut out,
                    b"ZADD",
                    key,
                    2,
                    (zset.len(), zset.iter()),
                    |out, (score, member)| {
                        let mut text = Vec::new();
                        crate::util::number::write_double(&mut text, *score);
                        bulk(out, &text);
                        bulk(out, member.as_bytes());
                    },
                ),
                Value::Hash(hash) => batched(
                    &mut out,
                    b"HMSET",
                    key,
                    2,
                    (hash.len(), hash.iter()),
                    |out, (field, value)| {
                        bulk(out, field.as_bytes());
                        bulk(out, value.as_bytes());
                    },
                ),
                string => {
                    command_head(&mut out, 3, &[b"SET", key]);
                    if let Some(bytes) = string.as_str() {
                        bytes.with_bytes(|b| bulk(&mut out, b));
                    }
                }
            }
            if let Some(at) = db.expire_at(key) {
                command_head(&mut out, 3, &[b"PEXPIREAT", key, number.format(at).as_bytes()]);
            }
            sink(&out)?;
            out.clear();
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// Why a file's commands cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplayError {
    /// Bytes that are not the AOF's RESP (`Bad file format`).
    Format,
    /// A command this server does not know, by name.
    UnknownCommand(String),
}

/// How a file's commands ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayEnd {
    /// Every command was complete.
    Complete,
    /// The file stops inside a command (or inside MULTI without its
    /// EXEC): what came after `valid_up_to` bytes was not applied.
    Truncated {
        /// Length of the part that was loaded.
        valid_up_to: u64,
        /// It was an unfinished MULTI (`Revert incomplete MULTI/EXEC`).
        in_multi: bool,
    },
}

/// Loads one file's commands into an engine, chunk by chunk, as Redis's
/// fake AOF client: each command runs through the normal command path
/// without a connection; its replies are dropped; it never blocks.
///
/// Drive it with [`Engine::replay_aof`] for each chunk of the file, then
/// [`Engine::finish_replay`].
pub struct AofReplay {
    client: ClientState,
    reply: Reply,
    /// Bytes received and not yet run.
    pending: Vec<u8>,
    ranges: Vec<Range<usize>>,
    /// File offset of `pending[0]`.
    offset: u64,
    /// File offset after the last command run.
    valid_up_to: u64,
    /// File offset before the open MULTI.
    valid_before_multi: u64,
    /// Commands run.
    commands: u64,
}

impl Default for AofReplay {
    fn default() -> Self {
        let mut client = ClientState::new(u64::MAX, Default::default(), 0, true);
        client.flags |= client_flag::DENY_BLOCKING;
        AofReplay {
            client,
            reply: Reply::new(),
            pending: Vec::new(),
            ranges: Vec::new(),
            offset: 0,
            valid_up_to: 0,
            valid_before_multi: 0,
            commands: 0,
        }
    }
}

impl AofReplay {
    /// Starts a file whose first `offset` bytes were loaded otherwise (an
    /// RDB preamble).
    pub fn at_offset(offset: u64) -> Self {
        AofReplay {
            offset,
            valid_up_to: offset,
            ..AofReplay::default()
        }
    }

    /// Commands run so far.
    pub fn commands(&self) -> u64 {
        self.commands
    }
}

/// One command parsed from the front of a buffer.
enum Parse {
    /// `argc` arguments in `ranges`; the command ends at this offset.
    Command(usize),
    /// An annotation line (`#…`) ending at this offset.
    Annotation(usize),
    /// More bytes are needed.
    Incomplete,
    /// Not the AOF's format.
    Bad,
}

/// A `\r\n`-ended line at `at`: its content and the offset after it.
fn line(buffer: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buffer.get(at..)?;
    let newline = rest.iter().position(|&c| c == b'\n')?;
    let content = &rest[..newline];
    Some((content.strip_suffix(b"\r").unwrap_or(content), at + newline + 1))
}

/// Parses the command at the front of `buffer` as `loadSingleAppendOnlyFile`
/// reads it: `*<argc>` then `argc` times `$<len>`, the bytes and two more.
fn parse_command(buffer: &[u8], ranges: &mut Vec<Range<usize>>) -> Parse {
    ranges.clear();
    let Some((header, mut at)) = line(buffer, 0) else {
        return Parse::Incomplete;
    };
    match header.first() {
        Some(b'#') => return Parse::Annotation(at),
        Some(b'*') => {}
        _ => return Parse::Bad,
    }
    let argc = atoll(&header[1..]);
    if argc < 1 {
        return Parse::Bad;
    }
    for _ in 0..argc {
        let Some((length, after)) = line(buffer, at) else {
            return Parse::Incomplete;
        };
        if length.first() != Some(&b'$') {
            return Parse::Bad;
        }
        let Ok(len) = usize::try_from(atoll(&length[1..])) else {
            return Parse::Bad;
        };
        let Some(end) = after
            .checked_add(len)
            .filter(|end| end.saturating_add(2) <= buffer.len())
        else {
            return Parse::Incomplete;
        };
        ranges.push(after..end);
        at = end + 2;
    }
    Parse::Command(at)
}

impl Engine {
    /// Runs the complete commands of the next chunk of an AOF file; an
    /// incomplete command at its end waits for the next chunk.
    pub fn replay_aof(&mut self, replay: &mut AofReplay, chunk: &[u8], now_ms: i64) -> Result<(), ReplayError> {
        self.set_clock(now_ms);
        replay.pending.extend_from_slice(chunk);
        let mut start = 0;
        let result = loop {
            let buffer = &replay.pending[start..];
            let end = match parse_command(buffer, &mut replay.ranges) {
                Parse::Incomplete => break Ok(()),
                Parse::Bad => break Err(ReplayError::Format),
                Parse::Annotation(end) => {
                    start += end;
                    continue;
                }
                Parse::Command(end) => end,
            };
            let args = Args::new(buffer, &replay.ranges);
            let Ok(entry) = self.server.commands.lookup(&args) else {
                break Err(ReplayError::UnknownCommand(
                    String::from_utf8_lossy(args.get(0)).into_owned(),
                ));
            };
            if entry.fullname == "multi" {
                replay.valid_before_multi = replay.valid_up_to;
            }
            let (keyspace, server) = (&mut self.keyspace, &mut self.server);
            if replay.client.has(client_flag::MULTI) && entry.fullname != "exec" {
                super::process::queue_multi(&mut replay.client, &mut replay.reply, entry, args);
            } else {
                super::process::call(keyspace, server, &mut replay.client, &mut replay.reply, entry, args);
            }
            replay.reply.truncate(0);
            replay.commands += 1;
            start += end;
            replay.valid_up_to = replay.offset + start as u64;
        };
        replay.pending.drain(..start);
        replay.offset += start as u64;
        result
    }

    /// The end of a file: whether it stopped inside a command or inside a
    /// transaction (whose queued commands are then dropped).
    pub fn finish_replay(&mut self, replay: AofReplay) -> ReplayEnd {
        if replay.client.has(client_flag::MULTI) {
            return ReplayEnd::Truncated {
                valid_up_to: replay.valid_before_multi,
                in_multi: true,
            };
        }
        if replay.pending.is_empty() {
            ReplayEnd::Complete
        } else {
            ReplayEnd::Truncated {
                valid_up_to: replay.valid_up_to,
                in_multi: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{connect, engine_with_client, send};

    fn engine() -> Engine {
        engine_with_client().0
    }

    #[test]
    fn manifest_round_trips_redis_text() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\nfile appendonly.aof.3.incr.aof seq 3 type i\n";
        let manifest = Manifest::parse(text).expect("valid");
        assert_eq!(manifest.base.as_ref().map(|b| b.seq), Some(2));
        assert_eq!(manifest.history.len(), 1);
        assert_eq!(manifest.incr.len(), 2);
        assert_eq!(manifest.incr_seq, 3);
        assert_eq!(manifest.render().as_bytes(), &text[..]);
    }

    #[test]
    fn manifest_accepts_comments_any_key_order_and_unknown_keys() {
        let text = b"# made by hand\ntype i seq 7 file a.aof extra 1\n";
        let manifest = Manifest::parse(text).expect("valid");
        assert_eq!(manifest.incr[0].name, "a.aof");
        assert_eq!(manifest.render(), "file a.aof seq 7 type i\n");
    }

    #[test]
    fn manifest_errors_use_redis_words() {
        let reason = |text: &[u8]| Manifest::parse(text).map(|_| ()).unwrap_err().reason;
        assert_eq!(reason(b""), "Found an empty AOF manifest");
        assert_eq!(reason(b"file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(reason(b"\n"), "Invalid AOF manifest file format");
        assert_eq!(
            reason(b"file a seq 1 type i"),
            "The AOF manifest file contains too long line"
        );
        assert_eq!(
            reason(b"file d/a seq 1 type i\n"),
            "File can't be a path, just a filename"
        );
        assert_eq!(
            reason(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            "Found duplicate base file information"
        );
        assert_eq!(
            reason(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            "Found a non-monotonic sequence number"
        );
        assert_eq!(reason(b"file a seq 1 type x\n"), "Unknown AOF file type");
        let error = Manifest::parse(b"file a seq 0 type i\n").unwrap_err();
        assert_eq!(error.line, Some((1, String::from("file a seq 0 type i"))));
    }

    #[test]
    fn file_names_with_blanks_are_quoted_and_read_back() {
        let mut manifest = Manifest::default();
        manifest.new_incr("my file");
        let text = manifest.render();
        assert_eq!(text, "file \"my file.1.incr.aof\" seq 1 type i\n");
        assert_eq!(Manifest::parse(text.as_bytes()).expect("valid"), manifest);
    }

    #[test]
    fn a_rewrite_turns_base_and_old_incr_files_into_history() {
        let mut manifest = Manifest::default();
        assert_eq!(manifest.new_base("appendonly.aof", true), "appendonly.aof.1.base.rdb");
        assert_eq!(manifest.last_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        assert_eq!(manifest.new_incr("appendonly.aof"), "appendonly.aof.2.incr.aof");
        assert_eq!(manifest.new_base("appendonly.aof", false), "appendonly.aof.2.base.aof");
        manifest.mark_rewritten_incr_as_history(true);
        assert_eq!(
            manifest.render(),
            "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.1.base.rdb seq 1 type h\nfile appendonly.aof.2.incr.aof seq 2 type i\n"
        );
    }

    fn fed(engine: &mut Engine) -> Vec<u8> {
        let mut out = Vec::new();
        engine.take_aof_buffer(&mut out);
        out
    }

    #[test]
    fn writes_are_fed_with_select_and_transactions_wrapped() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "SET before 1");
        engine.aof_start();
        send(&mut engine, client, "SET a 1");
        send(&mut engine, client, "GET a");
        send(&mut engine, client, "SET b 2");
        let first = fed(&mut engine);
        assert_eq!(
            first,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        send(&mut engine, client, "SELECT 3");
        send(&mut engine, client, "MULTI");
        send(&mut engine, client, "INCR n");
        send(&mut engine, client, "SPOP nothing");
        send(&mut engine, client, "RPUSH l x");
        send(&mut engine, client, "EXEC");
        let second = fed(&mut engine);
        assert_eq!(
            second,
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*3\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n*1\r\n$4\r\nEXEC\r\n"
        );
        assert_eq!(engine.aof_fed(), (first.len() + second.len()) as u64);
    }

    fn replay(engine: &mut Engine, bytes: &[u8], chunk: usize) -> (Result<(), ReplayError>, ReplayEnd) {
        let mut replay = AofReplay::default();
        for piece in bytes.chunks(chunk) {
            if let Err(error) = engine.replay_aof(&mut replay, piece, 0) {
                return (Err(error), engine.finish_replay(replay));
            }
        }
        (Ok(()), engine.finish_replay(replay))
    }

    const FILE: &[u8] = b"#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\x00b\r\n*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n";

    #[test]
    fn replay_runs_commands_in_any_chunking() {
        for chunk in [1, 3, 7, FILE.len()] {
            let mut engine = engine();
            let (result, end) = replay(&mut engine, FILE, chunk);
            assert_eq!(result, Ok(()));
            assert_eq!(end, ReplayEnd::Complete);
            let client = connect(&mut engine);
            send(&mut engine, client, "SELECT 2");
            assert_eq!(send(&mut engine, client, "GET k"), b"$3\r\na\x00b\r\n");
            assert_eq!(send(&mut engine, client, "GET n"), b"$1\r\n1\r\n");
        }
    }

    #[test]
    fn replay_reports_a_cut_command_and_an_open_transaction() {
        let cut = FILE.len() - 20;
        let mut engine = engine();
        let (result, end) = replay(&mut engine, &FILE[..cut], 5);
        assert_eq!(result, Ok(()));
        assert_eq!(
            end,
            ReplayEnd::Truncated {
                valid_up_to: 68,
                in_multi: true
            }
        );
        let (_, end) = replay(&mut engine, &FILE[..70], 5);
        assert_eq!(
            end,
            ReplayEnd::Truncated {
                valid_up_to: 68,
                in_multi: false
            }
        );
    }

    #[test]
    fn replay_refuses_bad_bytes_and_unknown_commands() {
        let mut engine = engine();
        assert_eq!(
            replay(&mut engine, b"*1\r\n$4\r\nPING\r\nxyz\r\n", 4).0,
            Err(ReplayError::Format)
        );
        assert_eq!(replay(&mut engine, b"*0\r\n", 4).0, Err(ReplayError::Format));
        assert_eq!(
            replay(&mut engine, b"*1\r\n#4\r\nPING\r\n", 4).0,
            Err(ReplayError::Format)
        );
        assert_eq!(
            replay(&mut engine, b"*1\r\n$5\r\nNOPE!\r\n", 4).0,
            Err(ReplayError::UnknownCommand(String::from("NOPE!")))
        );
    }

    #[test]
    fn a_blocking_command_in_the_file_does_not_block() {
        let mut engine = engine();
        let (result, end) = replay(
            &mut engine,
            b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n",
            64,
        );
        assert_eq!((result, end), (Ok(()), ReplayEnd::Complete));
        let client = connect(&mut engine);
        assert_eq!(send(&mut engine, client, "GET z"), b"$1\r\n1\r\n");
    }

    #[test]
    fn rewritten_commands_rebuild_the_dataset() {
        let mut source = engine();
        let client = connect(&mut source);
        send(&mut source, client, "SET s hello");
        send(&mut source, client, "SET i 42");
        send(&mut source, client, "PEXPIREAT i 99999999999999");
        for n in 0..150 {
            send(&mut source, client, &alloc::format!("RPUSH l e{n}"));
            send(&mut source, client, &alloc::format!("ZADD z {n}.5 m{n}"));
            send(&mut source, client, &alloc::format!("HSET h f{n} v{n}"));
            send(&mut source, client, &alloc::format!("SADD t {n}"));
        }
        send(&mut source, client, "SELECT 5");
        send(&mut source, client, "SADD w x y");
        send(&mut source, client, "SELECT 0");
        let mut bytes = Vec::new();
        rewrite_commands(source.keyspace(), |chunk| {
            bytes.extend_from_slice(chunk);
            Ok::<(), ()>(())
        })
        .expect("no sink error");
        let mut target = engine();
        let (result, end) = replay(&mut target, &bytes, 4096);
        assert_eq!((result, end), (Ok(()), ReplayEnd::Complete));
        let check = connect(&mut target);
        for query in [
            "GET s",
            "GET i",
            "PEXPIRETIME i",
            "LRANGE l 0 -1",
            "ZRANGE z 0 -1 WITHSCORES",
            "HGETALL h",
            "SCARD t",
            "OBJECT ENCODING t",
            "SELECT 5",
            "SISMEMBER w y",
        ] {
            assert_eq!(
                send(&mut target, check, query),
                send(&mut source, client, query),
                "{query}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, .. Default::default() })]

        /// Random bytes and random manifests, cut anywhere: replay and
        /// parse end in a result, never a panic.
        #[test]
        fn random_files_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            chunk in 1usize..64,
        ) {
            let mut engine = engine();
            let _ = replay(&mut engine, &bytes, chunk);
            let mut commands = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".to_vec();
            commands.extend_from_slice(&bytes);
            let _ = replay(&mut engine, &commands, chunk);
            let _ = Manifest::parse(&bytes);
        }
    }
}
