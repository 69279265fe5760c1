//! From input bytes to replies: the request loop (`processInputBuffer`),
//! the checks before a command runs (`processCommand`) and running it with
//! its side effects (`call`). This is the hot path: no allocation for a
//! plain command, no lookup beyond one hash probe for the name.

use super::client::{client_flag, BlockReason, Client, ClientState, MultiState};
use super::{Engine, Propagated, Server};
use crate::cmd::table::{CommandEntry, LookupError};
use crate::cmd::{errors, spec::flag, Ctx, Effects};
use crate::keyspace::{KeyEvent, Keyspace};
use crate::resp::reply::Reply;
use crate::resp::request::{Args, OwnedArgs, Parsed, RequestLimits};
use alloc::format;
use alloc::vec::Vec;

impl Engine {
    /// Runs every complete command in `handle`'s input buffer.
    pub fn process_input(&mut self, handle: super::ClientHandle, now_ms: i64) {
        self.set_clock(now_ms);
        let Some(mut client) = self.server.clients.checkout(handle) else {
            return;
        };
        client.state.last_interaction_ms = now_ms;
        self.server.clock_us = self.server.host.monotonic_us();
        run_input(&mut self.keyspace, &mut self.server, &mut client);
        self.server.clients.checkin(handle, client);
        self.resume_unblocked();
    }

    /// Processes the pending input of clients that were unblocked
    /// (Redis's `processUnblockedClients`).
    pub(crate) fn resume_unblocked(&mut self) {
        while let Some(id) = self.server.resume.pop_front() {
            let Some(handle) = self.server.clients.handle_of(id) else {
                continue;
            };
            let Some(mut client) = self.server.clients.checkout(handle) else {
                continue;
            };
            client.state.flags &= !client_flag::UNBLOCKED;
            if let Some(pending) = client.state.blocked.take() {
                // A paused command runs now that the pause is over.
                if matches!(pending.reason, BlockReason::Pause) {
                    let entry = self.server.commands.lookup(&pending.args.as_args()).ok();
                    if let Some(entry) = entry {
                        let Client { reply, state, .. } = &mut *client;
                        process_command_entry(
                            &mut self.keyspace,
                            &mut self.server,
                            state,
                            reply,
                            entry,
                            pending.args.as_args(),
                        );
                    }
                } else {
                    client.state.blocked = Some(pending);
                }
            }
            run_input(&mut self.keyspace, &mut self.server, &mut client);
            self.server.wakeups.push(handle);
            self.server.clients.checkin(handle, client);
        }
    }
}

/// Parses and runs commands until the buffer is exhausted or the client
/// blocks or is closing.
pub(crate) fn run_input(keyspace: &mut Keyspace, server: &mut Server, client: &mut Client) {
    let limit = server.config.hot().client_query_buffer_limit;
    client.state.query_peak = client.state.query_peak.max(client.query.len());
    if client.query.len() > limit {
        let info = client_info_line(&client.state, client.query.len(), client.reply.len());
        let sample = format!("{}", client.query[..client.query.len().min(64)].escape_ascii());
        server.log(
            3,
            &format!(
                "Closing client that reached max query buffer length: {} (qbuf initial bytes: \"{}\")",
                info, sample
            ),
        );
        client.state.flags |= client_flag::CLOSE_ASAP;
        client.query = Vec::new();
        return;
    }
    loop {
        if client
            .state
            .has(client_flag::BLOCKED | client_flag::CLOSE_AFTER_REPLY | client_flag::CLOSE_ASAP)
        {
            break;
        }
        if client.parser.position() >= client.query.len() {
            break;
        }
        let limits = RequestLimits {
            max_bulk_len: server.config.hot().proto_max_bulk_len,
            // A browser replica only ever sends short commands: Redis's
            // limits for unauthenticated clients bound what a page buffers.
            unauthenticated: !client.state.authenticated || client.state.has(client_flag::BROWSER),
        };
        let Client {
            query,
            parser,
            reply,
            state,
            ..
        } = client;
        match parser.parse(query, &limits) {
            Parsed::Command => {
                let args = parser.args(query);
                process_command(keyspace, server, state, reply, args);
            }
            Parsed::Empty => {}
            Parsed::Incomplete => break,
            Parsed::Error(error) => {
                let mut message = Vec::new();
                error.reply(&mut message);
                reply.error(&message);
                state.flags |= client_flag::CLOSE_AFTER_REPLY | client_flag::PROTOCOL_ERROR;
                let info = client_info_line(state, query.len(), reply.len());
                server.log(
                    1,
                    &format!("Protocol error ({}) from client: {}.", error.log_reason(), info),
                );
                break;
            }
        }
    }
    let consumed = client.parser.consumable();
    if consumed > 0 {
        if consumed >= client.query.len() {
            client.query.clear();
        } else {
            client.query.drain(..consumed);
        }
        client.parser.rebase(consumed);
    }
    // A huge buffer emptied: give its memory back.
    if client.query.is_empty() && client.query.capacity() > 64 * 1024 {
        client.query = Vec::new();
    }
}

/// `processCommand`: every check before a command runs, then queuing
/// (inside MULTI) or running it.
pub(crate) fn process_command(
    keyspace: &mut Keyspace,
    server: &mut Server,
    state: &mut ClientState,
    reply: &mut Reply,
    args: Args<'_>,
) {
    let name = args.get(0);
    if name.eq_ignore_ascii_case(b"host:") || name.eq_ignore_ascii_case(b"post") {
        server.log(3, "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.");
        state.flags |= client_flag::CLOSE_ASAP;
        return;
    }
    let entry = match server.commands.lookup(&args) {
        Ok(entry) => entry,
        Err(error) => {
            reject_unknown(server, state, reply, args, error);
            return;
        }
    };
    process_command_entry(keyspace, server, state, reply, entry, args);
}

fn reject_unknown(server: &mut Server, state: &mut ClientState, reply: &mut Reply, args: Args<'_>, error: LookupError) {
    let mut message = Vec::new();
    match error {
        LookupError::UnknownSubcommand => {
            message.extend_from_slice(b"ERR unknown subcommand '");
            message.extend_from_slice(c_string(args.get(1), 128));
            message.extend_from_slice(b"'. Try ");
            message.extend(c_string(args.get(0), usize::MAX).iter().map(u8::to_ascii_uppercase));
            message.extend_from_slice(b" HELP.");
        }
        LookupError::Unknown => {
            message.extend_from_slice(b"ERR unknown command '");
            message.extend_from_slice(c_string(args.get(0), 128));
            message.extend_from_slice(b"', with args beginning with: ");
            let mut excerpt: Vec<u8> = Vec::new();
            for arg in args.iter().skip(1) {
                if excerpt.len() >= 128 {
                    break;
                }
                let room = 128 - excerpt.len();
                excerpt.push(b'\'');
                excerpt.extend_from_slice(&c_string(arg, usize::MAX)[..c_string(arg, usize::MAX).len().min(room)]);
                excerpt.extend_from_slice(b"' ");
            }
            message.extend_from_slice(&excerpt);
        }
    }
    reply.error(&message);
    flag_transaction(state);
    server.stats.record_errors(reply);
}

/// A C string view: up to the first NUL byte (Redis formats arguments with
/// `%s`), at most `max` bytes.
fn c_string(bytes: &[u8], max: usize) -> &[u8] {
    let end = bytes.iter().position(|&c| c == 0).unwrap_or(bytes.len()).min(max);
    &bytes[..end]
}

/// Marks a transaction as failed to queue (EXEC will abort).
fn flag_transaction(state: &mut ClientState) {
    if state.has(client_flag::MULTI) {
        state.flags |= client_flag::DIRTY_EXEC;
    }
}

fn reject(server: &mut Server, state: &mut ClientState, reply: &mut Reply, entry: &CommandEntry, message: &[u8]) {
    reply.error(message);
    flag_transaction(state);
    server.stats.command_rejected(entry.index);
    server.stats.record_errors(reply);
}

/// The checks of `processCommand` for a known command, then run or queue.
pub(crate) fn process_command_entry(
    keyspace: &mut Keyspace,
    server: &mut Server,
    state: &mut ClientState,
    reply: &mut Reply,
    entry: &'static CommandEntry,
    args: Args<'_>,
) {
    let command = entry.command;
    if !command.arity_ok(args.len()) {
        let message = format!("ERR wrong number of arguments for '{}' command", entry.fullname);
        reject(server, state, reply, entry, message.as_bytes());
        return;
    }
    if command.has(flag::PROTECTED) {
        let setting = server.config.int(crate::config::Id::EnableDebugCommand);
        let allowed = setting == 1 || (setting == 2 && state.conn.is_local);
        if !allowed {
            reject(
                server,
                state,
                reply,
                entry,
                b"ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
            );
            return;
        }
    }
    if !state.authenticated && !command.has(flag::NO_AUTH) {
        reject(server, state, reply, entry, errors::NOAUTH);
        return;
    }
    if let Some(message) = super::browser::refusal(server, state, entry) {
        return reject(server, state, reply, entry, &message);
    }
    if state.has(client_flag::MULTI) && command.has(flag::NO_MULTI) {
        reject(
            server,
            state,
            reply,
            entry,
            b"ERR Command not allowed inside a transaction",
        );
        return;
    }
    if super::persistence::writes_denied(server) && (is_write(state, entry) || entry.fullname == "ping") {
        let mut message = Vec::with_capacity(super::persistence::MISCONF.len());
        message.extend_from_slice(super::persistence::MISCONF);
        reject(server, state, reply, entry, &message);
        return;
    }
    if is_write(state, entry) && !super::master::enough_good_replicas(server) {
        return reject(server, state, reply, entry, super::master::NOREPLICAS);
    }
    if let Some(message) = super::replica::refusal(server, state, entry, is_write(state, entry)) {
        return reject(server, state, reply, entry, message);
    }
    if state.has(client_flag::PUBSUB) && !reply.is_resp3() && !allowed_in_resp2_pubsub(entry) {
        let message = format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            entry.fullname
        );
        reject(server, state, reply, entry, message.as_bytes());
        return;
    }
    if server.blocking.pause_applies(command) {
        super::blocking::block_for_pause(server, state, entry, args);
        return;
    }
    if state.has(client_flag::MULTI) && !is_transaction_control(entry) {
        queue_multi(state, reply, entry, args);
        return;
    }
    call(keyspace, server, state, reply, entry, args);
}

/// Whether the command writes: a write command, or EXEC of a
/// transaction holding one.
fn is_write(state: &ClientState, entry: &CommandEntry) -> bool {
    entry.command.has(flag::WRITE)
        || (entry.fullname == "exec" && state.multi.as_ref().is_some_and(|m| m.flags & flag::WRITE != 0))
}

fn allowed_in_resp2_pubsub(entry: &CommandEntry) -> bool {
    entry.parent.is_none()
        && matches!(
            entry.command.name,
            "ping"
                | "subscribe"
                | "ssubscribe"
                | "unsubscribe"
                | "sunsubscribe"
                | "psubscribe"
                | "punsubscribe"
                | "quit"
                | "reset"
        )
}

fn is_transaction_control(entry: &CommandEntry) -> bool {
    entry.parent.is_none()
        && matches!(
            entry.command.name,
            "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
        )
}

pub(crate) fn queue_multi(state: &mut ClientState, reply: &mut Reply, entry: &'static CommandEntry, args: Args<'_>) {
    let multi = state.multi.get_or_insert_with(MultiState::default);
    multi.flags |= entry.command.flags;
    multi.args_memory += args.byte_len();
    multi.commands.push((entry, args.to_owned()));
    reply.raw(b"+QUEUED\r\n");
}

/// `call`: runs a command and applies what follows from it: statistics,
/// propagation, CLIENT REPLY OFF/SKIP, and reactions to the keys it
/// touched (WATCH, blocked clients).
pub(crate) fn call(
    keyspace: &mut Keyspace,
    server: &mut Server,
    state: &mut ClientState,
    reply: &mut Reply,
    entry: &'static CommandEntry,
    args: Args<'_>,
) {
    let Some(handler) = entry.command.handler else {
        return;
    };
    let reply_start = reply.len();
    let skip_reply = state.has(client_flag::REPLY_OFF | client_flag::REPLY_SKIP_NEXT);
    if state.has(client_flag::REPLY_SKIP_NEXT) {
        state.flags = (state.flags & !client_flag::REPLY_SKIP_NEXT) | client_flag::REPLY_SKIP;
    }
    let mut effects = Effects::default();
    let db_before = state.db;
    // One clock read per command: a command starts when the previous one
    // of the batch ended (`process_input` reads the clock at batch start).
    let started_us = server.clock_us;
    server.call_depth += 1;
    {
        let mut ctx = Ctx {
            keyspace: &mut *keyspace,
            server: &mut *server,
            client: &mut *state,
            effects: &mut effects,
        };
        handler(&mut ctx, args, reply);
    }
    server.call_depth -= 1;
    state.last_command = entry.fullname.as_str();
    let blocked = state.has(client_flag::BLOCKED);
    if !blocked {
        let now_us = server.host.monotonic_us();
        server.clock_us = now_us;
        let usec = now_us.saturating_sub(started_us);
        server.stats.command_called(entry.index, reply.has_error_codes(), usec);
    }
    server.stats.record_errors(reply);
    if skip_reply && state.has(client_flag::REPLY_OFF | client_flag::REPLY_SKIP) && !is_client_reply(entry) {
        reply.truncate(reply_start);
    }
    state.flags &= !client_flag::REPLY_SKIP;
    if blocked {
        super::blocking::register_blocked(server, keyspace, state, entry, args);
        return;
    }
    server.stats.dirty += effects.dirty;
    if keyspace.has_events() {
        handle_key_events(keyspace, server, state);
    }
    if server.propagated.is_some() || super::master::propagating(server) || server.aof.on {
        for extra in effects.extra.drain(..) {
            server.pending.push(Propagated {
                db: db_before,
                args: extra,
            });
        }
        if (effects.dirty > 0 || effects.force) && !effects.suppress_own {
            let own = effects.rewritten.take().unwrap_or_else(|| args.to_owned());
            server.pending.push(Propagated {
                db: db_before,
                args: own,
            });
        }
    }
    if server.call_depth == 0 {
        // Expired keys deleted by SCAN or RANDOMKEY are no transaction.
        let atomic = !entry.command.has(crate::cmd::spec::flag::TOUCHES_ARBITRARY_KEYS);
        flush_propagation(server, atomic);
        if server.blocking.has_ready_keys() {
            super::blocking::serve_ready_keys(keyspace, server);
        }
    }
}

/// Moves what the top-level command propagated into the stream, wrapped
/// in MULTI/EXEC when it is more than one command and `atomic`, so
/// replicas apply it atomically (Redis's `propagatePendingCommands`).
pub(crate) fn flush_propagation(server: &mut Server, atomic: bool) {
    if server.pending.is_empty() {
        return;
    }
    let wrap = atomic && server.pending.len() > 1;
    super::aof::feed(server, wrap);
    if super::master::propagating(server) {
        super::master::feed_pending(server, wrap);
    }
    let Some(stream) = server.propagated.as_mut() else {
        server.pending.clear();
        return;
    };
    let db = server.pending[0].db;
    if wrap {
        stream.push(Propagated {
            db,
            args: OwnedArgs::from_slices([&b"MULTI"[..]]),
        });
    }
    stream.append(&mut server.pending);
    if wrap {
        stream.push(Propagated {
            db,
            args: OwnedArgs::from_slices([&b"EXEC"[..]]),
        });
    }
}

fn is_client_reply(entry: &CommandEntry) -> bool {
    entry.fullname == "client|reply"
}

/// Handles keys deleted by active expiry.
pub(crate) fn propagate_expired(keyspace: &mut Keyspace, server: &mut Server) {
    if keyspace.has_events() {
        let mut nobody = ClientState::new(0, Default::default(), 0, true);
        handle_key_events(keyspace, server, &mut nobody);
        // Each expired key is its own propagated DEL, never a transaction.
        super::aof::feed(server, false);
        if super::master::propagating(server) {
            super::master::feed_pending(server, false);
        }
        if let Some(stream) = server.propagated.as_mut() {
            stream.append(&mut server.pending);
        }
        server.pending.clear();
    }
}

/// Reacts to what happened to keys: watched keys touched, lists and sorted
/// sets appearing for blocked clients, expired keys propagated as `DEL`.
pub(crate) fn handle_key_events(keyspace: &mut Keyspace, server: &mut Server, current: &mut ClientState) {
    for event in keyspace.take_events() {
        match event {
            KeyEvent::Modified(db, key) => super::watch::touch(server, keyspace, current, db, &key),
            KeyEvent::Ready(db, key) => server.blocking.mark_ready(db, key),
            KeyEvent::Expired(db, key) => {
                if server.propagated.is_some() || super::master::propagating(server) || server.aof.on {
                    server.pending.push(Propagated {
                        db,
                        args: OwnedArgs::from_slices([&b"DEL"[..], key.as_bytes()]),
                    });
                }
                super::watch::touch(server, keyspace, current, db, &key);
            }
        }
    }
}

/// Forgets everything a departing client held: subscriptions, watches,
/// blocking.
pub(crate) fn release_client_state(keyspace: &mut Keyspace, server: &mut Server, state: &mut ClientState) {
    super::watch::unwatch_all(server, keyspace, state);
    server.pubsub.unsubscribe_all(state);
    super::blocking::forget(server, keyspace, state);
}

/// Closes clients idle for more than `timeout_s` seconds (`timeout`),
/// sparing blocked and subscribed ones as Redis does.
pub(crate) fn close_idle_clients(server: &mut Server, now_ms: i64, timeout_s: i64) {
    let mut idle = Vec::new();
    for handle in server.clients.handles() {
        if let Some(client) = server.clients.get(handle) {
            let state = &client.state;
            if !state.has(client_flag::BLOCKED | client_flag::PUBSUB)
                && now_ms - state.last_interaction_ms > timeout_s * 1000
            {
                idle.push(handle);
            }
        }
    }
    for handle in idle {
        if let Some(client) = server.clients.get_mut(handle) {
            client.state.flags |= client_flag::CLOSE_ASAP;
        }
        server.log(1, "Closing idle client");
        server.wakeups.push(handle);
    }
}

/// The `CLIENT LIST` line of a client (`catClientInfoString`).
pub fn client_info_line(state: &ClientState, query_len: usize, output_len: usize) -> alloc::string::String {
    client_info_line_at(state, query_len, output_len, state.last_interaction_ms)
}

/// [`client_info_line`] computed at time `now_ms`.
pub fn client_info_line_at(
    state: &ClientState,
    query_len: usize,
    output_len: usize,
    now_ms: i64,
) -> alloc::string::String {
    let name = state
        .name
        .as_ref()
        .map(|n| alloc::string::String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let multi = state.multi.as_ref().map_or(-1, |m| m.commands.len() as i64);
    let multi_mem = state.multi.as_ref().map_or(0, |m| m.args_memory);
    format!(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem={} rbs=1024 rbp=0 obl={} oll=0 omem=0 tot-mem={} events=r cmd={} user=default redir=-1 resp={}",
        state.id,
        state.conn.addr,
        state.conn.laddr,
        state.conn.fd,
        name,
        (now_ms - state.created_ms) / 1000,
        (now_ms - state.last_interaction_ms) / 1000,
        state.flag_letters(),
        state.db,
        state.channels.len(),
        state.patterns.len(),
        if state.has(client_flag::MULTI) { multi } else { -1 },
        query_len,
        0,
        multi_mem,
        output_len,
        1024 + query_len + output_len + multi_mem,
        state.last_command,
        state.resp,
    )
}

/// RESET (`clearClientConnectionState`): discards the transaction, the
/// watches and the subscriptions, selects db 0, RESP2, no name, replies
/// on, and authentication as for a new connection.
pub(crate) fn reset_client(ctx: &mut Ctx<'_>) {
    ctx.client.multi = None;
    ctx.client.flags &= !(client_flag::MULTI
        | client_flag::DIRTY_CAS
        | client_flag::DIRTY_EXEC
        | client_flag::REPLY_OFF
        | client_flag::REPLY_SKIP_NEXT
        | client_flag::NO_EVICT);
    super::watch::unwatch_all(ctx.server, ctx.keyspace, ctx.client);
    ctx.server.pubsub.unsubscribe_all(ctx.client);
    ctx.client.db = 0;
    ctx.client.resp = 2;
    ctx.client.name = None;
    ctx.client.authenticated = super::browser::required_password(&ctx.server.config, ctx.client).is_none();
}
