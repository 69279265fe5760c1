//! Blocked clients: BLPOP and friends waiting for keys, and clients held by
//! CLIENT PAUSE.
//!
//! A command that must wait records what it waits for and returns without
//! a reply. When a list or sorted set appears under one of its keys, the
//! command runs again for the longest-waiting client first, with the key
//! that became ready as a hint ([`Blocking::serving_key`]); if it still
//! cannot be served it keeps waiting with its original deadline. A timeout
//! answers with a null array, as Redis does for every key-blocked command.

use super::client::{client_flag, BlockReason, Blocked, ClientState};
use super::process;
use super::{Engine, Server};
use crate::cmd::spec::{acl, flag, Command};
use crate::cmd::table::CommandEntry;
use crate::keyspace::{CompactBytes, Keyspace, ValueType};
use crate::resp::request::Args;
use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;

/// CLIENT PAUSE in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pause {
    /// Only commands that may write are held (PAUSE … WRITE).
    pub write_only: bool,
    /// When the pause ends (Unix ms).
    pub end_ms: i64,
}

/// Who waits for what.
#[derive(Default)]
pub struct Blocking {
    keys: BTreeMap<(usize, CompactBytes), VecDeque<u64>>,
    deadlines: BTreeSet<(i64, u64)>,
    ready: VecDeque<(usize, CompactBytes)>,
    /// The pause in force, if any.
    pub pause: Option<Pause>,
    paused: Vec<u64>,
    /// While a blocked command runs again, the key that became ready.
    pub serving_key: Option<CompactBytes>,
    blocked_clients: usize,
}

impl Blocking {
    /// Number of distinct keys clients wait on.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Clients blocked on keys (`blocked_clients` in INFO).
    pub fn blocked_clients(&self) -> usize {
        self.blocked_clients
    }

    /// Whether some key became ready.
    #[inline]
    pub fn has_ready_keys(&self) -> bool {
        !self.ready.is_empty()
    }

    /// `key` in `db` received a list or sorted set.
    pub fn mark_ready(&mut self, db: usize, key: CompactBytes) {
        let entry = (db, key);
        if self.keys.contains_key(&entry) && !self.ready.contains(&entry) {
            self.ready.push_back(entry);
        }
    }

    /// The earliest deadline of a blocked client or pause.
    pub fn next_deadline(&self) -> Option<i64> {
        let blocked = self.deadlines.first().map(|(d, _)| *d);
        let pause = self.pause.map(|p| p.end_ms);
        match (blocked, pause) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the pause in force holds `command`.
    pub fn pause_applies(&self, command: &Command) -> bool {
        match self.pause {
            None => false,
            Some(pause) => !pause.write_only || command.has(flag::WRITE | flag::MAY_REPLICATE),
        }
    }

    fn unregister(&mut self, id: u64, blocked: &Blocked) {
        if let BlockReason::Keys { db, keys } = &blocked.reason {
            for key in keys {
                let map_key = (*db, key.clone());
                if let Some(waiters) = self.keys.get_mut(&map_key) {
                    waiters.retain(|&w| w != id);
                    if waiters.is_empty() {
                        self.keys.remove(&map_key);
                    }
                }
            }
            self.blocked_clients = self.blocked_clients.saturating_sub(1);
        }
        if blocked.deadline_ms > 0 {
            self.deadlines.remove(&(blocked.deadline_ms, id));
        }
        self.paused.retain(|&p| p != id);
    }
}

/// Called by a handler that must wait for `keys` of the client's database
/// until `deadline_ms` (0: forever). The handler then returns without a
/// reply. Inside MULTI/EXEC a command never blocks; handlers check
/// [`ClientState::may_block`] first.
pub fn block_on_keys(state: &mut ClientState, keys: Vec<CompactBytes>, deadline_ms: i64) {
    state.flags |= client_flag::BLOCKED;
    state.blocked = Some(Blocked {
        reason: BlockReason::Keys { db: state.db, keys },
        command: None,
        args: Default::default(),
        deadline_ms,
    });
}

/// Completes the registration of a client whose handler just blocked.
pub(crate) fn register_blocked(
    server: &mut Server,
    keyspace: &mut Keyspace,
    state: &mut ClientState,
    entry: &'static CommandEntry,
    args: Args<'_>,
) {
    let Some(blocked) = state.blocked.as_mut() else {
        return;
    };
    blocked.command = Some(entry);
    blocked.args = args.to_owned();
    if let BlockReason::Keys { db, keys } = &blocked.reason {
        for key in keys {
            let waiters = server.blocking.keys.entry((*db, key.clone())).or_default();
            if !waiters.contains(&state.id) {
                waiters.push_back(state.id);
            }
        }
        server.blocking.blocked_clients += 1;
    }
    if blocked.deadline_ms > 0 {
        server.blocking.deadlines.insert((blocked.deadline_ms, state.id));
    }
    super::watch::sync_listeners(server, keyspace);
}

/// Holds a command until CLIENT PAUSE ends.
pub(crate) fn block_for_pause(
    server: &mut Server,
    state: &mut ClientState,
    entry: &'static CommandEntry,
    args: Args<'_>,
) {
    state.flags |= client_flag::BLOCKED;
    state.blocked = Some(Blocked {
        reason: BlockReason::Pause,
        command: Some(entry),
        args: args.to_owned(),
        deadline_ms: 0,
    });
    server.blocking.paused.push(state.id);
}

/// Starts or extends a pause (CLIENT PAUSE).
pub fn pause(server: &mut Server, write_only: bool, end_ms: i64) {
    let pause = match server.blocking.pause {
        // A pause never shortens or narrows one in force.
        Some(current) => Pause {
            write_only: current.write_only && write_only,
            end_ms: current.end_ms.max(end_ms),
        },
        None => Pause { write_only, end_ms },
    };
    server.blocking.pause = Some(pause);
}

/// Ends the pause (CLIENT UNPAUSE or timeout): held clients resume.
pub fn unpause(server: &mut Server) {
    server.blocking.pause = None;
    for id in core::mem::take(&mut server.blocking.paused) {
        if let Some(client) = server.clients.by_id_mut(id) {
            client.state.flags = (client.state.flags & !client_flag::BLOCKED) | client_flag::UNBLOCKED;
        }
        server.resume.push_back(id);
    }
}

/// Serves clients blocked on keys that became ready, oldest first.
pub(crate) fn serve_ready_keys(keyspace: &mut Keyspace, server: &mut Server) {
    while let Some((db, key)) = server.blocking.ready.pop_front() {
        let waiters: Vec<u64> = server
            .blocking
            .keys
            .get(&(db, key.clone()))
            .map(|w| w.iter().copied().collect())
            .unwrap_or_default();
        for id in waiters {
            let Some(ready_type) = keyspace.db_ref(db).peek(&key).map(|e| e.value.value_type()) else {
                break;
            };
            let Some(handle) = server.clients.handle_of(id) else {
                continue;
            };
            let Some(mut client) = server.clients.checkout(handle) else {
                continue;
            };
            let waits_for_it = client
                .state
                .blocked
                .as_ref()
                .is_some_and(|b| b.command.is_some_and(|entry| waits_for(entry.command, ready_type)));
            if !waits_for_it {
                server.clients.checkin(handle, client);
                continue;
            }
            if let Some(blocked) = client.state.blocked.take() {
                server.blocking.unregister(id, &blocked);
                client.state.flags &= !client_flag::BLOCKED;
                server.blocking.serving_key = Some(key.clone());
                let deadline = blocked.deadline_ms;
                if let Some(entry) = blocked.command {
                    let super::client::Client { reply, state, .. } = &mut *client;
                    process::call(keyspace, server, state, reply, entry, blocked.args.as_args());
                }
                server.blocking.serving_key = None;
                if client.state.has(client_flag::BLOCKED) {
                    // Still nothing for it: keep waiting with the original deadline.
                    if let Some(again) = client.state.blocked.as_mut() {
                        if again.deadline_ms != deadline {
                            server.blocking.deadlines.remove(&(again.deadline_ms, id));
                            again.deadline_ms = deadline;
                            if deadline > 0 {
                                server.blocking.deadlines.insert((deadline, id));
                            }
                        }
                    }
                } else {
                    client.state.flags |= client_flag::UNBLOCKED;
                    server.resume.push_back(id);
                    server.wakeups.push(handle);
                }
            }
            server.clients.checkin(handle, client);
        }
    }
    super::watch::sync_listeners(server, keyspace);
}

/// Whether a blocked `command` is served by a key of type `ready`: list
/// pops by lists, sorted-set pops by sorted sets, as Redis serves each
/// ready key only to the clients blocked for its type. A command's data
/// type is its ACL category.
fn waits_for(command: &Command, ready: ValueType) -> bool {
    match ready {
        ValueType::List => command.acl & acl::LIST != 0,
        ValueType::ZSet => command.acl & acl::SORTEDSET != 0,
        _ => false,
    }
}

/// Marks ready every key of `db` that clients wait on and that now holds
/// a value (SWAPDB brought in another database's keys:
/// `scanDatabaseForReadyKeys`).
pub(crate) fn mark_db_ready(server: &mut Server, keyspace: &Keyspace, db: usize) {
    let blocking = &mut server.blocking;
    let start = (db, CompactBytes::new(b""));
    let present: Vec<(usize, CompactBytes)> = blocking
        .keys
        .range(start..)
        .take_while(|((d, _), _)| *d == db)
        .filter(|((_, key), _)| keyspace.db_ref(db).peek(key).is_some())
        .map(|(k, _)| k.clone())
        .collect();
    for (db, key) in present {
        blocking.mark_ready(db, key);
    }
}

/// Ends a client's blocking with the timeout reply (or an error), as a
/// deadline or CLIENT UNBLOCK does. Returns whether it was blocked on keys.
pub fn unblock_client(server: &mut Server, keyspace: &mut Keyspace, id: u64, error: bool) -> bool {
    let Some(client) = server.clients.by_id_mut(id) else {
        return false;
    };
    let Some(blocked) = client
        .state
        .blocked
        .take_if(|b| matches!(b.reason, BlockReason::Keys { .. }))
    else {
        return false;
    };
    client.state.flags = (client.state.flags & !client_flag::BLOCKED) | client_flag::UNBLOCKED;
    if error {
        client.reply.error(b"UNBLOCKED client unblocked via CLIENT UNBLOCK");
    } else {
        client.reply.null_array();
    }
    if let Some(entry) = blocked.command {
        client.state.last_command = entry.fullname.as_str();
        server.stats.command_called(entry.index, error, 0);
    }
    server.blocking.unregister(id, &blocked);
    server.resume.push_back(id);
    server.wake(id);
    super::watch::sync_listeners(server, keyspace);
    true
}

/// Times out blocked clients and ends the pause when due.
pub(crate) fn handle_timeouts(engine: &mut Engine, now_ms: i64) {
    let server = &mut engine.server;
    if server.blocking.pause.is_some_and(|p| p.end_ms <= now_ms) {
        unpause(server);
    }
    while let Some(&(deadline, id)) = server.blocking.deadlines.first() {
        if deadline > now_ms {
            break;
        }
        server.blocking.deadlines.pop_first();
        unblock_client(server, &mut engine.keyspace, id, false);
    }
}

/// A disconnecting client stops waiting.
pub(crate) fn forget(server: &mut Server, keyspace: &mut Keyspace, state: &mut ClientState) {
    if let Some(blocked) = state.blocked.take() {
        server.blocking.unregister(state.id, &blocked);
        super::watch::sync_listeners(server, keyspace);
    }
}
