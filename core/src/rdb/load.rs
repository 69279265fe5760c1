//! Loading an RDB stream into a keyspace (`rdbLoadRio`): the decoder's
//! entries applied as they arrive, with Redis's rules — a master drops keys
//! that expired while the file was at rest, a replica keeps them for its
//! master to delete; empty values are skipped; a key twice is an error.

use super::decoder::{Checksum, Decoder, Entry, Item};
use super::{DecodeError, LoadOptions};
use crate::keyspace::dict::hash_bytes;
use crate::keyspace::Keyspace;
use alloc::format;
use alloc::vec::Vec;

/// What a load found besides the keys.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// RDB version of the stream.
    pub version: u32,
    /// Keys added (`rdb_last_load_keys_loaded`).
    pub keys_loaded: u64,
    /// Keys dropped as already expired (`rdb_last_load_keys_expired`).
    pub keys_expired: u64,
    /// Empty values skipped.
    pub empty_keys_skipped: u64,
    /// Function libraries skipped.
    pub functions_skipped: u64,
    /// The auxiliary fields, in file order.
    pub aux: Vec<(Vec<u8>, Vec<u8>)>,
    /// How the checksum was found, once the end is reached.
    pub checksum: Option<Checksum>,
}

impl LoadReport {
    /// The value of auxiliary field `name`.
    pub fn aux(&self, name: &[u8]) -> Option<&[u8]> {
        self.aux
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_slice())
    }
}

/// Applies an RDB stream to a keyspace while it arrives.
pub struct Loader {
    decoder: Decoder,
    report: LoadReport,
    now_ms: i64,
    drop_expired: bool,
    /// The most keys a `RESIZEDB` hint may presize a database for: a third
    /// of the stream's size when known (a key takes at least 3 bytes), so
    /// a hostile hint cannot allocate more than the data could fill; else
    /// [`UNSIZED_PRESIZE`].
    max_keys: usize,
    /// Keys decoded and not yet added, each with the stream offset where
    /// it ended: they are added a batch at a time, after
    /// [`Keyspace::prefetch`] has brought their table slots into
    /// cache together.
    pending: Vec<(Entry, u64)>,
}

/// Keys added together. A snapshot's keys arrive in the master's table
/// order, which is random in the replica's table: each key's slot is a
/// cache miss, and a batch overlaps them.
const LOAD_BATCH: usize = 64;

/// The presizing cap of a stream of unknown size (a diskless sync's
/// `$EOF:` stream): a table for a million keys (4 to 8 MB of buckets).
/// Loading a million keys into a table that grows as they come spends a
/// third of its time rehashing; a larger dataset still rehashes past this.
pub const UNSIZED_PRESIZE: usize = 1 << 20;

impl Loader {
    /// A loader for a stream of `size` bytes if known. `drop_expired`: a
    /// master's load, which drops keys expired before `now_ms`.
    pub fn new(options: LoadOptions, now_ms: i64, drop_expired: bool, size: Option<u64>) -> Self {
        Loader {
            decoder: Decoder::new(options),
            report: LoadReport::default(),
            now_ms,
            drop_expired,
            max_keys: size.map_or(UNSIZED_PRESIZE, |size| usize::try_from(size / 3).unwrap_or(usize::MAX)),
            pending: Vec::with_capacity(LOAD_BATCH),
        }
    }

    /// Feeds received bytes and applies every entry they complete, those
    /// before a decoding error included.
    pub fn feed(&mut self, keyspace: &mut Keyspace, bytes: &[u8]) -> Result<(), DecodeError> {
        self.decoder.feed(bytes);
        let decoded = loop {
            match self.decoder.next_item() {
                Ok(Some(item)) => self.apply(keyspace, item)?,
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        self.add_pending(keyspace)?;
        decoded
    }

    /// Whether the end of the RDB was reached.
    pub fn is_done(&self) -> bool {
        self.decoder.is_done()
    }

    /// Bytes fed after the end of the RDB.
    pub fn trailing(&self) -> &[u8] {
        self.decoder.trailing()
    }

    /// What was loaded so far.
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// Says the stream ended: the report, or an error if the RDB is cut
    /// short.
    pub fn finish(self) -> Result<LoadReport, DecodeError> {
        self.decoder.finish()?;
        Ok(self.report)
    }

    fn apply(&mut self, keyspace: &mut Keyspace, item: Item) -> Result<(), DecodeError> {
        if !matches!(item, Item::Entry(_)) {
            self.add_pending(keyspace)?;
        }
        match item {
            Item::Aux { key, value } => self.report.aux.push((key, value)),
            Item::ResizeDb { db, keys, .. } => {
                let keys = usize::try_from(keys).unwrap_or(usize::MAX).min(self.max_keys);
                keyspace.reserve(db, keys);
            }
            Item::FunctionSkipped => self.report.functions_skipped += 1,
            Item::EmptyKey { .. } => self.report.empty_keys_skipped += 1,
            Item::Entry(entry) => {
                self.pending.push((entry, self.decoder.offset()));
                if self.pending.len() == LOAD_BATCH {
                    self.add_pending(keyspace)?;
                }
            }
            Item::End(checksum) => {
                self.report.checksum = Some(checksum);
                self.report.version = self.decoder.version();
            }
        }
        Ok(())
    }

    /// Adds the pending keys, their slots prefetched together.
    fn add_pending(&mut self, keyspace: &mut Keyspace) -> Result<(), DecodeError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut pending = core::mem::take(&mut self.pending);
        let mut hashes = [0u64; LOAD_BATCH];
        for (hash, (entry, _)) in hashes.iter_mut().zip(&pending) {
            *hash = hash_bytes(entry.key.as_bytes());
        }
        // A batch rarely spans two databases; the first one's keys are
        // prefetched.
        let db = pending[0].0.db;
        let same_db = pending.iter().take_while(|(entry, _)| entry.db == db).count();
        keyspace.prefetch(db, &hashes[..same_db]);
        let added = pending
            .drain(..)
            .zip(hashes)
            .try_for_each(|((entry, offset), hash)| self.add(keyspace, entry, hash, offset));
        self.pending = pending;
        added
    }

    /// Adds one key (`hash` is its [`hash_bytes`]) that ended at `offset`
    /// in the stream, as Redis's `rdbLoadRio` does.
    fn add(&mut self, keyspace: &mut Keyspace, entry: Entry, hash: u64, offset: u64) -> Result<(), DecodeError> {
        if self.drop_expired && entry.expire_at().is_some_and(|at| at < self.now_ms) {
            self.report.keys_expired += 1;
            return Ok(());
        }
        let db = entry.db;
        if let Some(key) = keyspace.load_entry(entry, hash) {
            return Err(DecodeError {
                offset,
                reason: format!(
                    "RDB has duplicated key '{}' in DB {}",
                    alloc::string::String::from_utf8_lossy(&key),
                    db
                ),
            });
        }
        self.report.keys_loaded += 1;
        Ok(())
    }
}
