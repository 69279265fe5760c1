//! One logical database (`SELECT n`): the key table, the expiry index, and
//! access with Redis's lazy-expiry rules.

use super::compact::CompactBytes;
use super::dict::Dict;
use super::value::Value;
use super::{KeyEvent, KeyspaceShared};
use crate::util::rng::Rng;

/// A key's value with its metadata. 24 bytes, so a key-table node (key,
/// entry, chain link) is 56 bytes natively and 48 in the browser's wasm32.
/// The expiry is not here but in [`Db`]'s index of keys that have one, as
/// Redis keeps it in its `expires` dict: most keys have none, and every
/// key's node would otherwise carry 8 bytes for it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The value.
    pub value: Value,
    /// Last access, LRU or LFU ([`super::access`]): `OBJECT IDLETIME`
    /// and `OBJECT FREQ` read it.
    pub lru: u32,
}

/// A database: keys → entries, plus the keys that have an expiry with
/// their deadlines (what active expiry samples and `INFO keyspace` counts
/// as `expires`).
#[derive(Default)]
pub struct Db {
    pub(crate) entries: Dict<Entry>,
    /// Absolute expiries in Unix milliseconds, of keys in `entries` only.
    pub(crate) volatile: Dict<i64>,
    /// Where the active-expiry sweep continues (a `volatile` SCAN cursor).
    pub(crate) expire_cursor: u64,
    /// Running average TTL of sampled keys (`INFO keyspace avg_ttl`).
    pub(crate) avg_ttl: i64,
}

impl Db {
    /// Number of keys, expired ones not yet deleted included (as `DBSIZE`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Frees up to `budget` keys of a database emptied lazily, with their
    /// expiries; returns how many keys.
    pub(crate) fn free_some(&mut self, budget: usize) -> usize {
        self.volatile.free_some(budget);
        self.entries.free_some(budget)
    }

    /// Whether a database emptied lazily holds nothing more to free.
    pub(crate) fn is_freed(&self) -> bool {
        self.entries.is_empty() && self.volatile.is_empty()
    }

    /// Number of keys with an expiry.
    pub fn expires_len(&self) -> usize {
        self.volatile.len()
    }

    /// Average TTL of keys with an expiry, in ms, as sampled by active expiry.
    pub fn avg_ttl(&self) -> i64 {
        self.avg_ttl
    }

    /// The raw entry, ignoring expiry (for persistence and tests).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// The absolute expiry of `key` in Unix milliseconds, if it has one
    /// (expired or not). A database without expiries answers without
    /// hashing the key (an empty `Dict` does not).
    #[inline]
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.volatile.get(key).copied()
    }

    /// Whether `key` has an expiry that passed at `now_ms`.
    #[inline]
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.expire_at(key).is_some_and(|at| at < now_ms)
    }

    /// The raw entry for a change that is no access (SORT converting a
    /// sorted set's encoding): no expiry, statistics or LRU.
    pub fn peek_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.entries.get_mut(key)
    }

    /// Every key and entry, expired ones included.
    pub fn iter(&self) -> impl Iterator<Item = (&CompactBytes, &Entry)> {
        self.entries.iter()
    }
}

/// How expired keys are treated on access (Redis's `expireIfNeeded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpiryMode {
    /// A master: an expired key is deleted on access, and the deletion is
    /// reported so it can be propagated as `DEL`.
    Delete,
    /// A replica serving a normal client: an expired key reads as absent
    /// but stays until the master's `DEL` arrives.
    Hide,
    /// A replica applying its master's stream: keys are as the master says.
    Ignore,
}

/// Mutable access to one database with the keyspace's clock, expiry mode
/// and event log; what commands use.
///
/// Whole-key changes (`add`, `set`, `remove`, `delete`, `set_expiry`,
/// `remove_expiry`) signal the key as modified (for WATCH) by themselves.
/// A command that changes a value in place through `get_mut` or
/// `get_value_mut` must call [`DbMut::signal_modified`] itself, as Redis
/// commands call `signalModifiedKey`.
pub struct DbMut<'a> {
    pub(crate) index: usize,
    pub(crate) db: &'a mut Db,
    pub(crate) shared: &'a mut KeyspaceShared,
}

impl<'a> DbMut<'a> {
    /// This database's number.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The clock the current command runs at, in Unix ms.
    pub fn now_ms(&self) -> i64 {
        self.shared.now_ms
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.db.len()
    }

    /// Whether the database is empty.
    pub fn is_empty(&self) -> bool {
        self.db.is_empty()
    }

    /// Applies lazy expiry to `key`; returns whether it must be treated as
    /// absent.
    fn expire_if_needed(&mut self, key: &[u8]) -> bool {
        if !self.db.is_expired(key, self.shared.now_ms) {
            return false;
        }
        match self.shared.expiry_mode {
            ExpiryMode::Ignore => false,
            ExpiryMode::Hide => true,
            ExpiryMode::Delete => {
                self.delete_expired(key);
                true
            }
        }
    }

    pub(crate) fn delete_expired(&mut self, key: &[u8]) {
        if let Some((key, _)) = self.db.entries.remove(key) {
            self.db.volatile.remove(&key);
            self.shared.stats.expired_keys += 1;
            self.shared.events.push(KeyEvent::Expired(self.index, key));
        }
    }

    /// Looks a key up for reading (`lookupKeyRead`): lazy expiry, hit/miss
    /// statistics, LRU touch.
    #[inline]
    pub fn get(&mut self, key: &[u8]) -> Option<&Entry> {
        if self.expire_if_needed(key) {
            self.shared.stats.misses += 1;
            return None;
        }
        match self.db.entries.get_mut(key) {
            Some(entry) => {
                self.shared.stats.hits += 1;
                self.shared.access.touch(&mut entry.lru);
                Some(entry)
            }
            None => {
                self.shared.stats.misses += 1;
                None
            }
        }
    }

    /// The value under `key` for reading.
    #[inline]
    pub fn get_value(&mut self, key: &[u8]) -> Option<&Value> {
        self.get(key).map(|e| &e.value)
    }

    /// Looks a key up for writing (`lookupKeyWrite`): lazy expiry and LRU
    /// touch, no hit/miss statistics.
    #[inline]
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if self.expire_if_needed(key) {
            return None;
        }
        let entry = self.db.entries.get_mut(key)?;
        self.shared.access.touch(&mut entry.lru);
        Some(entry)
    }

    /// The value under `key` for writing.
    #[inline]
    pub fn get_value_mut(&mut self, key: &[u8]) -> Option<&mut Value> {
        self.get_mut(key).map(|e| &mut e.value)
    }

    /// Looks a key up for reading without recording an access
    /// (`LOOKUP_NOTOUCH`: TYPE, EXISTS, TTL, OBJECT): lazy expiry and
    /// hit/miss statistics apply, the LRU/LFU field stays.
    pub fn get_no_touch(&mut self, key: &[u8]) -> Option<&Entry> {
        self.lookup_no_touch(key)
    }

    /// [`DbMut::get_no_touch`] for a caller that keeps the entry beyond
    /// this accessor.
    pub fn into_no_touch(mut self, key: &[u8]) -> Option<&'a Entry> {
        self.lookup_no_touch(key)?;
        let db: &'a Db = self.db;
        db.entries.get(key)
    }

    fn lookup_no_touch(&mut self, key: &[u8]) -> Option<&Entry> {
        let entry = if self.expire_if_needed(key) {
            None
        } else {
            self.db.entries.get(key)
        };
        if entry.is_some() {
            self.shared.stats.hits += 1;
        } else {
            self.shared.stats.misses += 1;
        }
        entry
    }

    /// Whether `key` exists (lazy expiry applied; no statistics).
    pub fn contains(&mut self, key: &[u8]) -> bool {
        !self.expire_if_needed(key) && self.db.entries.contains_key(key)
    }

    /// The absolute expiry of `key` in Unix milliseconds, if it has one
    /// (no lazy expiry, statistics or LRU: the caller looked the key up).
    pub fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.db.expire_at(key)
    }

    /// Adds a key the caller checked is absent (`dbAdd`). Signals blocked
    /// clients when a list or sorted set appears.
    pub fn add(&mut self, key: &[u8], value: Value) -> &mut Value {
        let entry = Entry {
            value,
            lru: self.shared.access.initial(),
        };
        &mut self.add_entry(key, entry, None).value
    }

    /// Adds a key the caller checked is absent with the metadata it had
    /// elsewhere (RENAME and MOVE keep a value's expiry and access field).
    pub fn add_entry(&mut self, key: &[u8], entry: Entry, expire_at: Option<i64>) -> &mut Entry {
        self.signal_modified(key);
        if self.shared.blocked_keys > 0 && matches!(entry.value, Value::List(_) | Value::ZSet(_)) {
            self.shared
                .events
                .push(KeyEvent::Ready(self.index, CompactBytes::new(key)));
        }
        if let Some(at) = expire_at {
            self.db.volatile.insert(CompactBytes::new(key), at);
        }
        self.db.entries.insert_new(CompactBytes::new(key), entry)
    }

    /// Sets `key` to `value` (`setKey`): overwrites any value, and clears
    /// the expiry unless `keep_ttl`.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        self.signal_modified(key);
        let expired = self.shared.expiry_mode == ExpiryMode::Delete && self.db.is_expired(key, self.shared.now_ms);
        match self.db.entries.get_mut(key) {
            Some(entry) if !expired => {
                entry.value = value;
                // A new object, but under LFU it inherits the old counter (`dbOverwrite`).
                if !self.shared.access.is_lfu() {
                    entry.lru = self.shared.access.initial();
                }
                if !keep_ttl {
                    self.db.volatile.remove(key);
                }
            }
            Some(_) => {
                self.delete_expired(key);
                self.add(key, value);
            }
            None => {
                self.add(key, value);
            }
        }
    }

    /// Deletes `key`; returns its entry and expiry if it existed and was
    /// not expired.
    pub fn remove(&mut self, key: &[u8]) -> Option<(Entry, Option<i64>)> {
        if self.expire_if_needed(key) {
            return None;
        }
        let (key, entry) = self.db.entries.remove(key)?;
        self.signal_modified(&key);
        let expire_at = self.db.volatile.remove(&key).map(|(_, at)| at);
        Some((entry, expire_at))
    }

    /// Deletes `key` and shrinks the table if it became sparse.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let removed = self.remove(key).is_some();
        if removed {
            self.db.entries.shrink_if_needed();
            self.db.volatile.shrink_if_needed();
        }
        removed
    }

    /// Settles a key whose list, hash, set or sorted set a command shrank
    /// in place: deleted when it became empty (Redis never keeps an empty
    /// aggregate), else signalled as modified when something `changed`.
    pub fn settle(&mut self, key: &[u8], emptied: bool, changed: bool) {
        if emptied {
            self.delete(key);
        } else if changed {
            self.signal_modified(key);
        }
    }

    /// Sets an absolute expiry on an existing key; returns false when the
    /// key is absent.
    pub fn set_expiry(&mut self, key: &[u8], when_ms: i64) -> bool {
        if !self.db.entries.contains_key(key) {
            return false;
        }
        match self.db.volatile.get_mut(key) {
            Some(at) => *at = when_ms,
            None => {
                self.db.volatile.insert_new(CompactBytes::new(key), when_ms);
            }
        }
        self.signal_modified(key);
        true
    }

    /// Removes the expiry of `key`; returns whether there was one.
    pub fn remove_expiry(&mut self, key: &[u8]) -> bool {
        let removed = self.db.volatile.remove(key).is_some();
        if removed {
            self.signal_modified(key);
        }
        removed
    }

    /// A random key (`RANDOMKEY`): expired keys met on the way are deleted
    /// on a master; on a replica, after 100 tries of only expired keys, one
    /// is returned anyway, as Redis does to avoid looping forever.
    pub fn random_key(&mut self, rng: &mut Rng) -> Option<CompactBytes> {
        let all_volatile = self.db.volatile.len() == self.db.entries.len();
        let mut tries = 0;
        loop {
            let (key, _) = self.db.entries.random(rng)?;
            let key = key.clone();
            if self.db.is_expired(&key, self.shared.now_ms) {
                match self.shared.expiry_mode {
                    ExpiryMode::Delete => {
                        self.delete_expired(&key);
                        continue;
                    }
                    // A replica cannot delete: with only volatile keys it
                    // gives up after 100 expired ones and returns one.
                    ExpiryMode::Hide if !all_volatile || tries < 99 => {
                        tries += u32::from(all_volatile);
                        continue;
                    }
                    _ => {}
                }
            }
            return Some(key);
        }
    }

    /// One step of a key-table SCAN; see [`Dict::scan`].
    pub fn scan(&self, cursor: u64, emit: impl FnMut(&CompactBytes, &Entry)) -> u64 {
        self.db.entries.scan(cursor, emit)
    }

    /// Records that `key` was modified (Redis's `signalModifiedKey`): WATCH
    /// and client-side caching react to it.
    #[inline]
    pub fn signal_modified(&mut self, key: &[u8]) {
        if self.shared.watched_keys > 0 {
            self.shared
                .events
                .push(KeyEvent::Modified(self.index, CompactBytes::new(key)));
        }
    }

    /// The raw database, for commands that work on it whole.
    pub fn raw(&mut self) -> &mut Db {
        self.db
    }
}
