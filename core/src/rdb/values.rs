//! Decoded values become keyspace values, as Redis 7.0's `rdbLoadObject`
//! builds them: every type and encoding of RDB versions 1 to 10, converted
//! to the encoding the running configuration calls for (a hash stored as a
//! hash table with few fields loads as a listpack, an intset over
//! `set-max-intset-entries` loads as a hash table, …), with Redis's checks
//! for duplicates and NaN scores.
//!
//! Strings and encoded blobs (ziplist, listpack, intset, zipmap) are read
//! in one step; the other aggregates element by element ([`Partial`]), so
//! a big value never needs its whole encoding in memory at once.

use super::cursor::{bad, Cursor, Read, Str};
use super::listpack::Element;
use super::{intset, kind, listpack, ziplist, zipmap, LoadOptions};
use crate::keyspace::compact::CompactBytes;
use crate::keyspace::dict::Dict;
use crate::keyspace::hash::{Hash, ListpackLimits, LISTPACK_MAX_SAFETY_SIZE};
use crate::keyspace::list::{End, List};
use crate::keyspace::set::Set;
use crate::keyspace::value::{StrRef, Value};
use crate::keyspace::zset::{self, ScoredMember, SortedIndex, ZSet};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// What reading a key's type and first bytes gave.
pub(crate) enum Begun {
    /// The whole value.
    Value(Value),
    /// An empty aggregate: the key is skipped.
    Empty,
    /// An aggregate whose elements follow. Boxed: every string key's
    /// record carries a `Begun`, which would otherwise be as large as this.
    Partial(Box<Partial>),
}

/// An aggregate value being read element by element.
pub(crate) struct Partial {
    remaining: u64,
    building: Building,
}

enum Building {
    /// `RDB_TYPE_LIST`: one string per element.
    List(List),
    /// `RDB_TYPE_LIST_QUICKLIST(_2)`: one node per step.
    Quicklist { list: List, version_2: bool },
    /// `RDB_TYPE_SET`.
    Set(Set),
    /// `RDB_TYPE_ZSET(_2)`.
    ZSet(Box<ZSetBuilder>),
    /// `RDB_TYPE_HASH`.
    Hash(Hash),
}

/// A sorted set read member by member; sorted and encoded at the end,
/// since the file need not hold it in order.
struct ZSetBuilder {
    entries: Vec<ScoredMember>,
    scores: Dict<f64>,
    binary_scores: bool,
    longest: usize,
    total: usize,
}

/// Reads what one step takes of a value of type `kind`.
// On every snapshot key's path: see `rdb::decoder`.
#[inline(always)]
pub(crate) fn begin(kind: u8, cursor: &mut Cursor<'_>, options: &LoadOptions) -> Read<Begun> {
    let at = cursor.pos();
    match kind {
        kind::STRING => Ok(Begun::Value(string_value(cursor.short_string()?, options))),
        kind::LIST
        | kind::SET
        | kind::ZSET
        | kind::ZSET_2
        | kind::HASH
        | kind::LIST_QUICKLIST
        | kind::LIST_QUICKLIST_2 => {
            let len = cursor.length()?;
            if len == 0 {
                return Ok(Begun::Empty);
            }
            // Presize by the count only as far as the bytes in hand can
            // back it: a hostile count must not allocate.
            let presize = usize::try_from(len).unwrap_or(usize::MAX).min(cursor.remaining());
            let building = match kind {
                kind::LIST => Building::List(List::new()),
                kind::LIST_QUICKLIST | kind::LIST_QUICKLIST_2 => Building::Quicklist {
                    list: List::new(),
                    version_2: kind == kind::LIST_QUICKLIST_2,
                },
                kind::SET if len > options.set_max_intset_entries as u64 => {
                    Building::Set(Set::Table(Dict::with_capacity(presize)))
                }
                kind::SET => Building::Set(Set::Intset(Vec::new(), 2)),
                kind::HASH if len > options.hash.max_entries as u64 => {
                    Building::Hash(Hash::Table(Dict::with_capacity(presize)))
                }
                kind::HASH => Building::Hash(Hash::Listpack(Vec::new())),
                _ => Building::ZSet(Box::new(ZSetBuilder {
                    entries: Vec::with_capacity(presize.min(1 << 16)),
                    scores: Dict::with_capacity(presize),
                    binary_scores: kind == kind::ZSET_2,
                    longest: 0,
                    total: 0,
                })),
            };
            Ok(Begun::Partial(Box::new(Partial {
                remaining: len,
                building,
            })))
        }
        kind::HASH_ZIPMAP
        | kind::LIST_ZIPLIST
        | kind::SET_INTSET
        | kind::ZSET_ZIPLIST
        | kind::HASH_ZIPLIST
        | kind::HASH_LISTPACK
        | kind::ZSET_LISTPACK => {
            let blob = cursor.string()?;
            let value = blob.with_bytes(|bytes| decode_blob(kind, bytes, options));
            match value {
                Ok(value) => Ok(Begun::Value(value)),
                Err(reason) => bad(reason, at),
            }
        }
        kind::MODULE | kind::MODULE_2 | kind::STREAM_LISTPACKS | kind::STREAM_LISTPACKS_2 => {
            bad(format!("unsupported RDB type {}", kind), 0)
        }
        _ => bad(format!("Unknown RDB encoding type {}", kind), 0),
    }
}

/// A string value as `tryObjectEncoding` leaves it.
fn string_value(string: Str<'_>, options: &LoadOptions) -> Value {
    let value = match string {
        Str::Int(n) => Value::Int(n),
        other => other.with_bytes(Value::string),
    };
    value.shared(options.share_integers)
}

fn compact(string: &Str<'_>) -> CompactBytes {
    match string {
        Str::Int(n) => CompactBytes::from_i64(*n),
        other => other.with_bytes(CompactBytes::new),
    }
}

impl Partial {
    /// Elements (or quicklist nodes) still to read.
    pub(crate) fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Reads one element (a field and its value for a hash, a member and
    /// its score for a sorted set, a node for a quicklist).
    pub(crate) fn step(&mut self, cursor: &mut Cursor<'_>, options: &LoadOptions) -> Read<()> {
        let at = cursor.pos();
        match &mut self.building {
            Building::List(list) => list.push(End::Tail, compact(&cursor.string()?)),
            Building::Quicklist { list, version_2 } => {
                let container = if *version_2 { cursor.length()? } else { 2 };
                let node = cursor.string()?;
                let pushed = node.with_bytes(|bytes| match container {
                    _ if bytes.is_empty() => Err("Quicklist integrity check failed."),
                    1 => {
                        list.push(End::Tail, CompactBytes::new(bytes));
                        Ok(())
                    }
                    2 if *version_2 => {
                        push_elements(list, listpack::elements(bytes), "Listpack integrity check failed.")
                    }
                    2 => push_elements(list, ziplist::elements(bytes), "Ziplist integrity check failed."),
                    _ => Err("Quicklist integrity check failed."),
                });
                if let Err(reason) = pushed {
                    return bad(reason, at);
                }
            }
            Building::Set(set) => {
                let member = cursor.string()?;
                let member = match &member {
                    Str::Int(n) => StrRef::Int(*n),
                    Str::Bytes(bytes) => StrRef::Bytes(bytes),
                    Str::Owned(bytes) => StrRef::Bytes(bytes),
                };
                if !set.insert_member(member, options.set_max_intset_entries) {
                    return bad("Duplicate set members detected", at);
                }
            }
            Building::ZSet(builder) => {
                let member = compact(&cursor.string()?);
                let score = if builder.binary_scores {
                    cursor.f64_le()?
                } else {
                    cursor.text_double()?
                };
                if score.is_nan() {
                    return bad("Zset with NAN score detected", at);
                }
                if builder.scores.insert(member.clone(), score).is_some() {
                    return bad("Duplicate zset fields detected", at);
                }
                builder.longest = builder.longest.max(member.len());
                builder.total = builder.total.saturating_add(member.len());
                builder.entries.push((score, member));
            }
            Building::Hash(hash) => {
                let field = cursor.string()?;
                let value = cursor.string()?;
                let added = field.with_bytes(|field| {
                    value.with_bytes(|value| {
                        hash.prepare_for([field.len(), value.len()].into_iter(), &options.hash);
                        hash.set(field, value, &options.hash)
                    })
                });
                if !added {
                    return bad("Duplicate hash fields detected", at);
                }
            }
        }
        self.remaining -= 1;
        Ok(())
    }

    /// The value, once every element is read.
    pub(crate) fn finish(self, options: &LoadOptions) -> Result<Value, String> {
        Ok(match self.building {
            Building::List(list) | Building::Quicklist { list, .. } => Value::List(Box::new(list)),
            Building::Set(set) => Value::Set(Box::new(set)),
            Building::Hash(hash) => Value::Hash(Box::new(hash)),
            Building::ZSet(builder) => {
                let ZSetBuilder {
                    mut entries,
                    scores,
                    longest,
                    total,
                    ..
                } = *builder;
                entries.sort_unstable_by(|a, b| zset::compare(a.0, &a.1, b.0, &b.1));
                let fits = entries.len() <= options.zset.max_entries
                    && longest <= options.zset.max_value
                    && total <= LISTPACK_MAX_SAFETY_SIZE;
                let zset = if fits {
                    ZSet::listpack_from_sorted(entries)
                } else {
                    ZSet::Skiplist {
                        scores,
                        index: SortedIndex::from_sorted(entries),
                    }
                };
                Value::ZSet(Box::new(zset))
            }
        })
    }
}

fn element_bytes(element: Element<'_>) -> CompactBytes {
    match element {
        Element::Int(n) => CompactBytes::from_i64(n),
        Element::Str(bytes) => CompactBytes::new(bytes),
    }
}

/// Appends the elements of a ziplist or listpack to `list`.
fn push_elements<'a>(
    list: &mut List,
    elements: Result<impl Iterator<Item = Result<Element<'a>, &'static str>>, &'static str>,
    reason: &'static str,
) -> Result<(), &'static str> {
    for element in elements.map_err(|_| reason)? {
        list.push(End::Tail, element_bytes(element.map_err(|_| reason)?));
    }
    Ok(())
}

/// A value stored as one encoded blob.
fn decode_blob(kind: u8, blob: &[u8], options: &LoadOptions) -> Result<Value, String> {
    Ok(match kind {
        kind::LIST_ZIPLIST => {
            let mut list = List::new();
            push_elements(
                &mut list,
                ziplist::elements(blob),
                "List ziplist integrity check failed.",
            )?;
            Value::List(Box::new(list))
        }
        kind::SET_INTSET => {
            let members = intset::decode(blob).map_err(|_| "Intset integrity check failed.")?;
            // A decoded intset's first byte is its width (2, 4 or 8).
            let mut set = Set::Intset(members, blob[0]);
            if set.len() > options.set_max_intset_entries {
                set.convert_to_table();
            }
            Value::Set(Box::new(set))
        }
        kind::HASH_ZIPMAP => {
            let reason = "Zipmap integrity check failed.";
            let pairs = zipmap::pairs(blob).map_err(|_| reason)?;
            let mut longest = 0;
            let mut hash = hash_from_pairs(
                pairs.map(|pair| {
                    let (field, value) = pair.map_err(|_| reason)?;
                    longest = longest.max(field.len()).max(value.len());
                    Ok((CompactBytes::new(field), CompactBytes::new(value)))
                }),
                &options.hash,
                "Hash zipmap with dup elements",
            )?;
            if longest > options.hash.max_value {
                hash.convert_to_table();
            }
            Value::Hash(Box::new(hash))
        }
        kind::HASH_ZIPLIST | kind::HASH_LISTPACK => {
            let reason = if kind == kind::HASH_ZIPLIST {
                "Hash ziplist integrity check failed."
            } else {
                "Hash listpack integrity check failed."
            };
            let pairs = pairs_of(kind, blob, reason)?;
            let hash = hash_from_pairs(
                pairs.map(|pair| pair.map(|(field, value)| (element_bytes(field), element_bytes(value)))),
                &options.hash,
                reason,
            )?;
            Value::Hash(Box::new(hash))
        }
        kind::ZSET_ZIPLIST | kind::ZSET_LISTPACK => {
            let reason = if kind == kind::ZSET_ZIPLIST {
                "Zset ziplist integrity check failed."
            } else {
                "Zset listpack integrity check failed."
            };
            let mut entries = Vec::new();
            for pair in pairs_of(kind, blob, reason)? {
                let (member, score) = pair?;
                let score = match score {
                    Element::Int(n) => n as f64,
                    Element::Str(text) => parse_score(text).ok_or(reason)?,
                };
                entries.push((score, element_bytes(member)));
            }
            Value::ZSet(Box::new(zset_from_pairs(entries, &options.zset, reason)?))
        }
        _ => return Err(format!("Unknown RDB encoding type {}", kind)),
    })
}

type Pair<'a> = (Element<'a>, Element<'a>);

/// The elements of a ziplist or listpack blob, two by two.
fn pairs_of<'a>(
    kind: u8,
    blob: &'a [u8],
    reason: &'static str,
) -> Result<impl Iterator<Item = Result<Pair<'a>, String>> + 'a, String> {
    let elements: Box<dyn Iterator<Item = Result<Element<'a>, &'static str>> + 'a> =
        if kind == kind::HASH_ZIPLIST || kind == kind::ZSET_ZIPLIST {
            Box::new(ziplist::elements(blob).map_err(|_| reason)?)
        } else {
            Box::new(listpack::elements(blob).map_err(|_| reason)?)
        };
    let mut elements = elements;
    Ok(core::iter::from_fn(move || {
        let first = elements.next()?;
        let second = elements.next();
        Some(match (first, second) {
            (Ok(a), Some(Ok(b))) => Ok((a, b)),
            _ => Err(String::from(reason)),
        })
    }))
}

/// A score stored as text in a listpack (`zzlStrtod`).
fn parse_score(text: &[u8]) -> Option<f64> {
    let score = core::str::from_utf8(text).ok()?.parse::<f64>().ok()?;
    (!score.is_nan()).then_some(score)
}

/// A hash of `pairs`: a listpack up to `hash-max-listpack-entries` fields
/// (whatever their length, as Redis checks only the count here), a table
/// past it. A repeated field is an error.
fn hash_from_pairs(
    pairs: impl Iterator<Item = Result<(CompactBytes, CompactBytes), String>>,
    limits: &ListpackLimits,
    duplicate: &str,
) -> Result<Hash, String> {
    let mut hash = Hash::Listpack(Vec::new());
    for pair in pairs {
        let (field, value) = pair?;
        if let Hash::Listpack(listpack) = &mut hash {
            if listpack.len() < limits.max_entries {
                if listpack.iter().any(|(f, _)| *f == field) {
                    return Err(String::from(duplicate));
                }
                listpack.push((field, value));
                continue;
            }
            hash.convert_to_table();
        }
        if let Hash::Table(table) = &mut hash {
            if table.insert(field, value).is_some() {
                return Err(String::from(duplicate));
            }
        }
    }
    Ok(hash)
}

/// A sorted set of `entries` in any order: a listpack up to
/// `zset-max-listpack-entries` members, a skiplist past it. A repeated
/// member is an error.
fn zset_from_pairs(mut entries: Vec<ScoredMember>, limits: &ListpackLimits, duplicate: &str) -> Result<ZSet, String> {
    let mut members: Vec<&CompactBytes> = entries.iter().map(|(_, member)| member).collect();
    members.sort_unstable();
    if members.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(String::from(duplicate));
    }
    entries.sort_unstable_by(|a, b| zset::compare(a.0, &a.1, b.0, &b.1));
    Ok(if entries.len() > limits.max_entries {
        ZSet::skiplist_from_sorted(entries)
    } else {
        // The blob is kept as it is: a score stored as the text "-0"
        // stays -0, where a listpack built by commands would store 0.
        ZSet::Listpack(entries)
    })
}
