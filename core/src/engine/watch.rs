//! WATCH: optimistic locking for MULTI/EXEC. A watched key touched by any
//! client (or expiring, or flushed) marks its watchers dirty, and their
//! next EXEC fails. Rules as Redis 7.0's `multi.c`, including keys that
//! were already expired when watched.

use super::client::{client_flag, ClientState};
use super::Server;
use crate::keyspace::{CompactBytes, Keyspace};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// One client watching one key.
#[derive(Clone, Copy, Debug)]
struct Watcher {
    client: u64,
    /// The key was logically expired when WATCH ran.
    expired: bool,
}

/// Every watched key and its watchers.
#[derive(Default)]
pub struct Watches {
    keys: BTreeMap<(usize, CompactBytes), Vec<Watcher>>,
}

impl Watches {
    /// Number of distinct watched keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Tells the keyspace how many keys are watched and blocked on, so it only
/// records events someone listens to.
pub(crate) fn sync_listeners(server: &Server, keyspace: &mut Keyspace) {
    keyspace.set_listeners(server.watches.len(), server.blocking.key_count());
}

fn logically_expired(keyspace: &Keyspace, db: usize, key: &[u8]) -> bool {
    keyspace.db_ref(db).is_expired(key, keyspace.now_ms())
}

/// WATCH `key` in the client's database.
pub fn watch(server: &mut Server, keyspace: &mut Keyspace, state: &mut ClientState, key: &[u8]) {
    let db = state.db;
    if state.watched.iter().any(|(d, k)| *d == db && k.as_bytes() == key) {
        return;
    }
    let key = CompactBytes::new(key);
    let expired = logically_expired(keyspace, db, &key);
    server.watches.keys.entry((db, key.clone())).or_default().push(Watcher {
        client: state.id,
        expired,
    });
    state.watched.push((db, key));
    sync_listeners(server, keyspace);
}

/// UNWATCH (and the end of every EXEC/DISCARD).
pub fn unwatch_all(server: &mut Server, keyspace: &mut Keyspace, state: &mut ClientState) {
    if state.watched.is_empty() {
        return;
    }
    for (db, key) in state.watched.drain(..) {
        if let Some(watchers) = server.watches.keys.get_mut(&(db, key.clone())) {
            watchers.retain(|w| w.client != state.id);
            if watchers.is_empty() {
                server.watches.keys.remove(&(db, key));
            }
        }
    }
    sync_listeners(server, keyspace);
}

fn mark_dirty(server: &mut Server, keyspace: &mut Keyspace, current: &mut ClientState, client: u64) {
    if client == current.id {
        current.flags |= client_flag::DIRTY_CAS;
        unwatch_all(server, keyspace, current);
    } else if let Some(other) = server.clients.by_id_mut(client) {
        other.state.flags |= client_flag::DIRTY_CAS;
        let mut state = core::mem::take(&mut other.state.watched);
        let id = other.state.id;
        for (db, key) in state.drain(..) {
            if let Some(watchers) = server.watches.keys.get_mut(&(db, key.clone())) {
                watchers.retain(|w| w.client != id);
                if watchers.is_empty() {
                    server.watches.keys.remove(&(db, key));
                }
            }
        }
        sync_listeners(server, keyspace);
    }
}

/// A write touched `key` in `db` (`touchWatchedKey`).
pub fn touch(server: &mut Server, keyspace: &mut Keyspace, current: &mut ClientState, db: usize, key: &[u8]) {
    if server.watches.is_empty() {
        return;
    }
    let map_key = (db, CompactBytes::new(key));
    let Some(watchers) = server.watches.keys.get_mut(&map_key) else {
        return;
    };
    let exists = keyspace.db_ref(db).peek(key).is_some();
    let mut to_dirty = Vec::new();
    for watcher in watchers.iter_mut() {
        if watcher.expired {
            if !exists {
                // The expired key was deleted: logically no change.
                watcher.expired = false;
                continue;
            }
            // Redis stops at the first still-expired watcher here.
            break;
        }
        to_dirty.push(watcher.client);
    }
    for client in to_dirty {
        mark_dirty(server, keyspace, current, client);
    }
}

/// FLUSHDB / FLUSHALL / SWAPDB are about to empty `emptied` (replacing it
/// with `replaced_with`): touch the watched keys that change
/// (`touchAllWatchedKeysInDb`).
pub fn touch_all_in_db(
    server: &mut Server,
    keyspace: &mut Keyspace,
    current: &mut ClientState,
    emptied: usize,
    replaced_with: Option<usize>,
) {
    if server.watches.is_empty() {
        return;
    }
    let mut to_dirty = Vec::new();
    let now = keyspace.now_ms();
    for ((db, key), watchers) in server.watches.keys.iter_mut() {
        if *db != emptied {
            continue;
        }
        let exists_in_emptied = keyspace.db_ref(emptied).peek(key).is_some();
        let replacement = replaced_with.and_then(|r| keyspace.db_ref(r).peek(key));
        if !exists_in_emptied && replacement.is_none() {
            continue;
        }
        let replacement_expired = replaced_with.is_some_and(|r| keyspace.db_ref(r).is_expired(key, now));
        for watcher in watchers.iter_mut() {
            if watcher.expired {
                if replacement.is_none() {
                    watcher.expired = false;
                    continue;
                } else if replacement_expired {
                    continue;
                }
            } else if !exists_in_emptied && replacement_expired {
                watcher.expired = true;
                continue;
            }
            to_dirty.push(watcher.client);
        }
    }
    for client in to_dirty {
        mark_dirty(server, keyspace, current, client);
    }
}

/// Whether a watched key expired since WATCH (`isWatchedKeyExpired`).
pub fn watched_key_expired(server: &Server, keyspace: &Keyspace, state: &ClientState) -> bool {
    state.watched.iter().any(|(db, key)| {
        let was_expired = server
            .watches
            .keys
            .get(&(*db, key.clone()))
            .and_then(|ws| ws.iter().find(|w| w.client == state.id))
            .is_some_and(|w| w.expired);
        !was_expired && logically_expired(keyspace, *db, key)
    })
}
