//! The keyspace: `databases` numbered [`Db`]s, each a table of keys with
//! values ([`Value`]) and expiries, and the rules for reaching them.
//!
//! The keyspace never reads a clock: the engine sets the time of the
//! command being run ([`Keyspace::set_clock`]) and drives active expiry
//! ([`Keyspace::active_expire_step`]) with a bounded amount of work. What
//! happens to keys that others care about (a watched key modified, a list
//! appearing for a blocked client, a key expiring) is recorded as
//! [`KeyEvent`]s for the engine to act on.

pub mod access;
pub mod compact;
pub mod db;
pub mod dict;
pub mod hash;
pub mod list;
pub mod set;
pub mod value;
pub mod zset;

pub use compact::CompactBytes;
pub use db::{Db, DbMut, Entry, ExpiryMode};
pub use value::{StrRef, Value, ValueType};

use alloc::vec::Vec;
use dict::Dict;

/// Something that happened to a key that the engine must react to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyEvent {
    /// A write touched the key (only recorded while keys are watched).
    Modified(usize, CompactBytes),
    /// A list or sorted set was created under the key (only recorded while
    /// clients are blocked).
    Ready(usize, CompactBytes),
    /// The key expired and was deleted (to propagate as `DEL`).
    Expired(usize, CompactBytes),
}

/// Counters `INFO stats` reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyspaceStats {
    /// `keyspace_hits`.
    pub hits: u64,
    /// `keyspace_misses`.
    pub misses: u64,
    /// `expired_keys`.
    pub expired_keys: u64,
    /// `expired_stale_perc` numerator: keys found expired by the last sweep.
    pub expired_stale_perc: f64,
    /// `expired_time_cap_reached_count`.
    pub expired_time_cap_reached_count: u64,
    /// `lazyfreed_objects`: keys of lazily emptied databases freed so far.
    pub lazyfreed_objects: u64,
}

/// State every database's accessors share.
#[derive(Debug)]
pub struct KeyspaceShared {
    pub(crate) now_ms: i64,
    pub(crate) access: access::Access,
    pub(crate) expiry_mode: ExpiryMode,
    pub(crate) events: Vec<KeyEvent>,
    /// How many keys clients watch; events are recorded only when > 0.
    pub(crate) watched_keys: usize,
    /// How many keys clients are blocked on; likewise.
    pub(crate) blocked_keys: usize,
    pub(crate) stats: KeyspaceStats,
}

/// All databases.
pub struct Keyspace {
    dbs: Vec<Db>,
    shared: KeyspaceShared,
    /// A loaded key replaces one of the same name instead of being an
    /// error (`RDBFLAGS_ALLOW_DUP`, DEBUG RELOAD MERGE).
    load_replaces: bool,
    /// Databases emptied lazily (`FLUSHALL ASYNC`, `replica-lazy-flush`),
    /// handed to a host's thread ([`Keyspace::hand_off_freeing`], as Redis
    /// hands them to its lazyfree thread) or freed a slice at a time by
    /// [`Keyspace::free_some`]: freeing a million keys at once would stall
    /// every client (or a tab) for 100 ms and more.
    freeing: Vec<Db>,
}

/// The outcome of one [`Keyspace::active_expire_step`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpireStep {
    /// Keys examined.
    pub sampled: usize,
    /// Keys deleted.
    pub expired: usize,
    /// Whether the sweep ran out of budget while keys were still expiring
    /// fast (Redis then repeats soon).
    pub more: bool,
}

impl Keyspace {
    /// `databases` empty databases.
    pub fn new(databases: usize) -> Self {
        let mut dbs = Vec::with_capacity(databases);
        dbs.resize_with(databases, Db::default);
        Keyspace {
            dbs,
            shared: KeyspaceShared {
                now_ms: 0,
                access: access::Access::new(),
                expiry_mode: ExpiryMode::Delete,
                events: Vec::new(),
                watched_keys: 0,
                blocked_keys: 0,
                stats: KeyspaceStats::default(),
            },
            load_replaces: false,
            freeing: Vec::new(),
        }
    }

    /// Whether [`Keyspace::load_entry`] replaces an existing key
    /// (`RDBFLAGS_ALLOW_DUP`) rather than refusing it.
    pub fn set_load_replaces(&mut self, on: bool) {
        self.load_replaces = on;
    }

    /// Number of databases.
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Sets the time commands run at and how their accesses are recorded.
    pub fn set_clock(&mut self, now_ms: i64, tracking: access::Tracking) {
        self.shared.now_ms = now_ms;
        self.shared.access.set_clock(now_ms);
        self.shared.access.tracking = tracking;
    }

    /// The time commands run at.
    pub fn now_ms(&self) -> i64 {
        self.shared.now_ms
    }

    /// The access clocks and policy, to read keys' `lru` fields.
    pub fn access(&self) -> &access::Access {
        &self.shared.access
    }

    /// How expired keys are treated.
    pub fn expiry_mode(&self) -> ExpiryMode {
        self.shared.expiry_mode
    }

    /// Sets how expired keys are treated.
    pub fn set_expiry_mode(&mut self, mode: ExpiryMode) {
        self.shared.expiry_mode = mode;
    }

    /// Tells the keyspace how many keys are watched / blocked on, so it
    /// records the events only when someone listens.
    pub fn set_listeners(&mut self, watched_keys: usize, blocked_keys: usize) {
        self.shared.watched_keys = watched_keys;
        self.shared.blocked_keys = blocked_keys;
    }

    /// Takes the events recorded since the last call.
    pub fn take_events(&mut self) -> Vec<KeyEvent> {
        core::mem::take(&mut self.shared.events)
    }

    /// Whether events are pending.
    #[inline]
    pub fn has_events(&self) -> bool {
        !self.shared.events.is_empty()
    }

    /// Hit, miss and expiry counters.
    pub fn stats(&self) -> &KeyspaceStats {
        &self.shared.stats
    }

    /// Resets the counters (`CONFIG RESETSTAT`).
    pub fn reset_stats(&mut self) {
        self.shared.stats = KeyspaceStats::default();
    }

    /// Accessor for database `index` (which the caller validated).
    #[inline]
    pub fn db(&mut self, index: usize) -> DbMut<'_> {
        DbMut {
            index,
            db: &mut self.dbs[index],
            shared: &mut self.shared,
        }
    }

    /// Read-only view of database `index`.
    pub fn db_ref(&self, index: usize) -> &Db {
        &self.dbs[index]
    }

    /// Every database.
    pub fn dbs(&self) -> &[Db] {
        &self.dbs
    }

    /// Empties database `index`; returns the number of keys removed.
    /// `lazy`: its keys are freed later, by [`Keyspace::free_some`].
    pub fn flush_db(&mut self, index: usize, lazy: bool) -> usize {
        let old = core::mem::take(&mut self.dbs[index]);
        let removed = old.len();
        self.release(old, lazy);
        removed
    }

    /// Replaces every database by `loaded`'s (a replica's full sync: the
    /// snapshot loaded aside takes the place of the old data at once).
    /// `lazy`: the old keys are freed later, by [`Keyspace::free_some`].
    pub fn replace_data(&mut self, loaded: Keyspace, lazy: bool) {
        let old = core::mem::replace(&mut self.dbs, loaded.dbs);
        for db in old {
            self.release(db, lazy);
        }
    }

    /// Frees `db` now, or queues it when `lazy`.
    fn release(&mut self, db: Db, lazy: bool) {
        if lazy && !db.is_freed() {
            self.freeing.push(db);
        }
    }

    /// Keys of lazily emptied databases not freed yet
    /// (`lazyfree_pending_objects`).
    pub fn lazyfree_pending(&self) -> usize {
        self.freeing.iter().map(Db::len).sum()
    }

    /// Lets `take` (a host's thread that frees them) take lazily emptied
    /// databases out of the queue; those it leaves are for
    /// [`Keyspace::free_some`].
    pub fn hand_off_freeing(&mut self, take: impl FnOnce(&mut Vec<Db>)) {
        if !self.freeing.is_empty() {
            take(&mut self.freeing);
        }
    }

    /// Frees up to `budget` keys of lazily emptied databases; returns how
    /// many (0 once nothing is left).
    pub fn free_some(&mut self, budget: usize) -> usize {
        let mut freed = 0;
        while freed < budget {
            let Some(db) = self.freeing.last_mut() else {
                break;
            };
            freed += db.free_some(budget - freed);
            if db.is_freed() {
                self.freeing.pop();
            }
        }
        self.shared.stats.lazyfreed_objects += freed as u64;
        freed
    }

    /// Swaps two databases (`SWAPDB`).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        self.dbs.swap(a, b);
    }

    /// Sizes database `index`'s table for `keys` keys if it is empty (an
    /// RDB's `RESIZEDB` hint), so loading does not rehash as it grows.
    pub fn reserve(&mut self, index: usize, keys: usize) {
        if let Some(db) = self.dbs.get_mut(index) {
            if db.is_empty() {
                db.entries = Dict::with_capacity(keys);
            }
        }
    }

    /// Brings into cache where the keys of database `index` with these
    /// [`dict::hash_bytes`]es go, before a load adds them (see [`Dict::prefetch`]).
    pub fn prefetch(&self, index: usize, hashes: &[u64]) {
        if let Some(db) = self.dbs.get(index) {
            db.entries.prefetch(hashes);
        }
    }

    /// Adds a key read from an RDB with its expiry and access history
    /// (`dbAddRDBLoad`, `objectSetLRUOrLFU`). A key already there (or a
    /// database out of range) is refused: the key is given back. `hash` is
    /// the key's [`dict::hash_bytes`].
    pub fn load_entry(&mut self, loaded: crate::rdb::decoder::Entry, hash: u64) -> Option<CompactBytes> {
        let lru = self.shared.access.restored(loaded.idle_seconds(), loaded.freq());
        let Some(db) = self.dbs.get_mut(loaded.db) else {
            return Some(loaded.key);
        };
        let expire_at = loaded.expire_at();
        let volatile = expire_at.map(|at| (loaded.key.clone(), at));
        let entry = Entry {
            value: loaded.value,
            lru,
        };
        if let Err((key, entry)) = db.entries.insert_absent(hash, loaded.key, entry) {
            if !self.load_replaces {
                return Some(key);
            }
            db.volatile.remove(&key);
            db.entries.insert(key, entry);
        }
        if let Some((key, at)) = volatile {
            db.volatile.insert_new(key, at);
        }
        None
    }

    /// Total number of keys.
    pub fn total_keys(&self) -> usize {
        self.dbs.iter().map(Db::len).sum()
    }

    /// One bounded step of active expiry over database `index`: samples up
    /// to `budget` keys that have an expiry, continuing where the previous
    /// step stopped, and deletes the expired ones. A master only; replicas
    /// wait for their master's `DEL`.
    ///
    /// DoS note: the work is bounded by `budget` buckets of the expiry
    /// index, so a huge database never makes one step slow.
    pub fn active_expire_step(&mut self, index: usize, budget: usize) -> ExpireStep {
        let mut step = ExpireStep::default();
        if self.shared.expiry_mode != ExpiryMode::Delete {
            return step;
        }
        let now = self.shared.now_ms;
        let db = &mut self.dbs[index];
        if db.volatile.is_empty() {
            return step;
        }
        let mut expired_keys = Vec::new();
        let mut ttl_sum: i64 = 0;
        let mut ttl_samples: i64 = 0;
        let mut cursor = db.expire_cursor;
        let mut buckets = 0;
        while step.sampled < budget && buckets < budget * 4 {
            cursor = db.volatile.scan(cursor, |key, &at| {
                step.sampled += 1;
                if at < now {
                    expired_keys.push(key.clone());
                } else {
                    ttl_sum = ttl_sum.saturating_add(at - now);
                    ttl_samples += 1;
                }
            });
            buckets += 1;
            if cursor == 0 {
                break;
            }
        }
        db.expire_cursor = cursor;
        if ttl_samples > 0 {
            let average = ttl_sum / ttl_samples;
            // Redis's running average: new samples weigh 2%.
            db.avg_ttl = if db.avg_ttl == 0 {
                average
            } else {
                (db.avg_ttl / 50) * 49 + average / 50
            };
        }
        step.expired = expired_keys.len();
        step.more = step.sampled > 0 && step.expired * 100 / step.sampled > 10;
        for key in expired_keys {
            self.db(index).delete_expired(&key);
        }
        if step.expired > 0 {
            self.dbs[index].entries.shrink_if_needed();
            self.dbs[index].volatile.shrink_if_needed();
        }
        step
    }

    /// Advances incremental rehashing of every table by a few buckets
    /// (Redis's `activerehashing`); returns whether any is still rehashing.
    pub fn rehash_step(&mut self, buckets: usize) -> bool {
        let mut busy = false;
        for db in &mut self.dbs {
            busy |= db.entries.rehash_steps(buckets);
            busy |= db.volatile.rehash_steps(buckets);
        }
        busy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key-table node is its key, this entry and a link: 56 bytes
    /// natively (still a 64-byte jemalloc block), 48 in wasm32 (a 56-byte
    /// dlmalloc chunk instead of 64).
    #[test]
    fn an_entry_is_three_words() {
        assert_eq!(core::mem::size_of::<Entry>(), 24);
    }

    #[test]
    fn expiries_follow_their_keys() {
        let mut keyspace = Keyspace::new(2);
        keyspace.set_clock(1000, access::Tracking::Lru);
        let mut db = keyspace.db(0);
        db.add(b"a", Value::string(b"1"));
        db.add(b"b", Value::string(b"2"));
        assert!(db.set_expiry(b"a", 5000) && !db.set_expiry(b"absent", 5000));
        assert_eq!((db.expire_at(b"a"), db.expire_at(b"b")), (Some(5000), None));
        let (entry, expire_at) = db.remove(b"a").expect("present");
        assert_eq!(expire_at, Some(5000));
        db.add_entry(b"c", entry, expire_at);
        assert_eq!(db.expire_at(b"c"), Some(5000));
        db.set(b"c", Value::string(b"3"), true);
        assert_eq!(db.expire_at(b"c"), Some(5000), "KEEPTTL");
        db.set(b"c", Value::string(b"4"), false);
        assert_eq!(db.expire_at(b"c"), None);
        assert!(db.set_expiry(b"b", 1500) && db.remove_expiry(b"b") && !db.remove_expiry(b"b"));
        assert!(db.set_expiry(b"b", 1500));
        keyspace.set_clock(2000, access::Tracking::Lru);
        let step = keyspace.active_expire_step(0, 20);
        assert_eq!((step.sampled, step.expired), (1, 1));
        assert_eq!((keyspace.db_ref(0).len(), keyspace.db_ref(0).expires_len()), (1, 0));
    }

    #[test]
    fn a_lazy_flush_frees_a_budget_at_a_time() {
        let mut keyspace = Keyspace::new(2);
        // Keys until the table grows past 512: some are then still in the
        // table being rehashed from.
        let mut keys = 0;
        while keys < 512 || !keyspace.db_ref(0).entries.is_rehashing() {
            let key = alloc::format!("key:{keys}");
            let mut db = keyspace.db(0);
            db.add(key.as_bytes(), Value::string(b"v"));
            if keys % 2 == 0 {
                assert!(db.set_expiry(key.as_bytes(), 5000));
            }
            keys += 1;
        }
        assert_eq!(keyspace.flush_db(0, true), keys);
        assert!(keyspace.db_ref(0).is_empty(), "clients see an empty database at once");
        assert_eq!(keyspace.lazyfree_pending(), keys);
        assert_eq!(keyspace.free_some(300), 300);
        assert_eq!(keyspace.lazyfree_pending(), keys - 300);
        assert_eq!(keyspace.free_some(10_000), keys - 300);
        assert_eq!((keyspace.lazyfree_pending(), keyspace.free_some(10)), (0, 0));
        assert_eq!(keyspace.stats().lazyfreed_objects, keys as u64);

        keyspace.db(1).add(b"k", Value::string(b"v"));
        let mut loaded = Keyspace::new(2);
        loaded.db(0).add(b"new", Value::string(b"v"));
        keyspace.replace_data(loaded, true);
        assert_eq!((keyspace.db_ref(0).len(), keyspace.lazyfree_pending()), (1, 1));
        assert_eq!(keyspace.flush_db(0, false), 1);
        assert_eq!(keyspace.lazyfree_pending(), 1, "a flush without lazy frees at once");
        keyspace.reset_stats();
        assert_eq!(keyspace.free_some(10), 1);
        assert_eq!(keyspace.stats().lazyfreed_objects, 1);
    }

    #[test]
    fn lazy_expiry_depends_on_role() {
        let mut keyspace = Keyspace::new(2);
        keyspace.set_clock(1000, access::Tracking::Lru);
        let mut db = keyspace.db(0);
        db.add(b"k", Value::string(b"v"));
        assert!(db.set_expiry(b"k", 1500));
        db.raw();
        keyspace.set_clock(2000, access::Tracking::Lru);
        keyspace.set_expiry_mode(ExpiryMode::Hide);
        assert!(keyspace.db(0).get(b"k").is_none());
        assert_eq!(keyspace.db_ref(0).len(), 1);
        keyspace.set_expiry_mode(ExpiryMode::Ignore);
        assert!(keyspace.db(0).get(b"k").is_some());
        keyspace.set_expiry_mode(ExpiryMode::Delete);
        assert!(keyspace.db(0).get(b"k").is_none());
        assert_eq!(keyspace.db_ref(0).len(), 0);
        assert_eq!(
            keyspace.take_events(),
            alloc::vec![KeyEvent::Expired(0, CompactBytes::from("k"))]
        );
        assert_eq!(keyspace.stats().expired_keys, 1);
    }

    #[test]
    fn active_expiry_is_bounded_and_completes() {
        let mut keyspace = Keyspace::new(1);
        keyspace.set_clock(0, access::Tracking::Lru);
        for i in 0..1000 {
            let key = alloc::format!("k{i}");
            let mut db = keyspace.db(0);
            db.add(key.as_bytes(), Value::Int(i));
            db.set_expiry(key.as_bytes(), if i % 2 == 0 { 10 } else { 1_000_000 });
        }
        keyspace.set_clock(100, access::Tracking::Lru);
        let mut total = 0;
        for _ in 0..1000 {
            let step = keyspace.active_expire_step(0, 20);
            assert!(step.sampled <= 20 + 8, "sampled {}", step.sampled);
            total += step.expired;
            if total == 500 {
                break;
            }
        }
        assert_eq!(total, 500);
        assert_eq!(keyspace.db_ref(0).len(), 500);
        assert_eq!(keyspace.db_ref(0).expires_len(), 500);
    }
}
