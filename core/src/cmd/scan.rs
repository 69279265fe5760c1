//! Walking the keyspace: KEYS, SCAN and RANDOMKEY, and the cursor
//! machinery SCAN shares with HSCAN, SSCAN and ZSCAN (Redis 7.0's
//! `scanGenericCommand`): cursor parsing, the COUNT/MATCH/TYPE options, the
//! bounded walk over a hash table, and the reply.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, Command, Group};
use super::Ctx;
use crate::keyspace::CompactBytes;
use crate::resp::reply::{DeferredKind, Reply};
use crate::resp::request::Args;
use crate::util::glob::glob_match;
use alloc::vec::Vec;

const G: Group = Group::Generic;
const K: u64 = acl::KEYSPACE;

/// KEYS, SCAN, RANDOMKEY.
pub static COMMANDS: &[Command] = &[
    Command::new("keys", 2, READONLY, G, keys)
        .acl(K | acl::DANGEROUS)
        .tips(&["request_policy:all_shards", "nondeterministic_output_order"])
        .doc(
            "1.0.0",
            "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
            "Returns all key names that match a pattern.",
        ),
    Command::new("scan", -2, READONLY | TOUCHES_ARBITRARY_KEYS, G, scan)
        .acl(K)
        .tips(&["nondeterministic_output", "request_policy:special"])
        .doc(
            "2.8.0",
            "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
            "Iterates over the key names in the database.",
        ),
    Command::new("randomkey", 1, READONLY | TOUCHES_ARBITRARY_KEYS, G, randomkey)
        .acl(K)
        .tips(&["request_policy:all_shards", "nondeterministic_output"])
        .doc("1.0.0", "O(1)", "Returns a random key name from the database."),
];

/// A SCAN cursor as `parseScanCursorOrReply` reads it (`strtoul`: a sign
/// is allowed and `-1` wraps; no leading space; the text ends at the first
/// NUL). Replies the error itself.
pub fn parse_cursor(arg: &[u8], reply: &mut Reply) -> Option<u64> {
    let cursor = parse_cursor_text(arg);
    if cursor.is_none() {
        reply.error(b"ERR invalid cursor");
    }
    cursor
}

fn parse_cursor_text(arg: &[u8]) -> Option<u64> {
    if arg.first().is_some_and(|c| c.is_ascii_whitespace() || *c == 0x0b) {
        return None;
    }
    let text = match arg.iter().position(|&c| c == 0) {
        Some(end) => &arg[..end],
        None => arg,
    };
    if text.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match text[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &digit in digits {
        value = value.checked_mul(10)?.checked_add((digit - b'0') as u64)?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

/// The options of a SCAN-family command.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions<'a> {
    /// COUNT: how much work to do per call (a hint, default 10).
    pub count: u64,
    /// MATCH, unless it is `*` (which matches everything).
    pub pattern: Option<&'a [u8]>,
    /// TYPE (SCAN only).
    pub type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses the options from argument `first` on; TYPE only when
    /// `allow_type` (SCAN of the keyspace). Replies the error itself.
    pub fn parse(args: Args<'a>, first: usize, allow_type: bool, reply: &mut Reply) -> Option<Self> {
        let mut options = ScanOptions {
            count: 10,
            pattern: None,
            type_name: None,
        };
        let mut i = first;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            let option = args.get(i);
            if is(option, "count") && has_value {
                let count = parse::integer(args.get(i + 1), reply)?;
                if count < 1 {
                    reply.error(errors::SYNTAX);
                    return None;
                }
                options.count = count as u64;
            } else if is(option, "match") && has_value {
                let pattern = args.get(i + 1);
                options.pattern = (pattern != b"*").then_some(pattern);
            } else if is(option, "type") && allow_type && has_value {
                options.type_name = Some(args.get(i + 1));
            } else {
                reply.error(errors::SYNTAX);
                return None;
            }
            i += 2;
        }
        Some(options)
    }

    /// Whether `item` passes MATCH.
    pub fn matches(&self, item: &[u8]) -> bool {
        self.pattern.is_none_or(|pattern| glob_match(pattern, item, false))
    }
}

/// Walks a hash table from `cursor` as Redis's SCAN does: table steps
/// until `count` units were gathered (`units_per_item` is 2 for hashes and
/// sorted sets, whose replies carry two strings per element), the walk
/// wrapped to 0, or `count * 10` extra steps found nothing (a sparse table
/// must not make one call slow). `step` visits one bucket and returns the
/// next cursor. Items are gathered before MATCH filtering, as in Redis.
pub fn walk<T>(
    cursor: u64,
    count: u64,
    units_per_item: u64,
    mut step: impl FnMut(u64, &mut Vec<T>) -> u64,
) -> (u64, Vec<T>) {
    let wanted = count.saturating_mul(units_per_item);
    let mut extra_steps = wanted.saturating_mul(10);
    let mut items = Vec::new();
    let mut cursor = cursor;
    loop {
        cursor = step(cursor, &mut items);
        if cursor == 0 || extra_steps == 0 || (items.len() as u64).saturating_mul(units_per_item) >= wanted {
            return (cursor, items);
        }
        extra_steps -= 1;
    }
}

/// The SCAN reply: the next cursor, then the array header of `len`
/// strings the caller writes.
pub fn reply_header(reply: &mut Reply, cursor: u64, len: usize) {
    reply.array(2);
    reply.bulk(itoa::Buffer::new().format(cursor as i64).as_bytes());
    reply.array(len);
}

/// The reply for a SCAN of a missing key: cursor 0, nothing.
pub fn reply_empty(reply: &mut Reply) {
    reply_header(reply, 0, 0);
}

/// `KEYS pattern`: every live key matching, in table order.
fn keys(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let pattern = args.get(1);
    let everything = pattern == b"*";
    let now = ctx.now_ms();
    let db = ctx.keyspace.db_ref(ctx.client.db);
    let header = reply.deferred(DeferredKind::Array);
    let mut count = 0;
    for (key, _) in db.iter() {
        if (everything || glob_match(pattern, key, false)) && !db.is_expired(key, now) {
            reply.bulk(key);
            count += 1;
        }
    }
    reply.complete(header, count);
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
fn scan(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(cursor) = parse_cursor(args.get(1), reply) else {
        return;
    };
    let Some(options) = ScanOptions::parse(args, 2, true, reply) else {
        return;
    };
    let mut db = ctx.db();
    let (next, mut found) = walk(cursor, options.count, 1, |cursor, items: &mut Vec<CompactBytes>| {
        db.scan(cursor, |key, _| items.push(key.clone()))
    });
    found.retain(|key| {
        if !options.matches(key) {
            return false;
        }
        if let Some(wanted) = options.type_name {
            let name = db.get_no_touch(key).map_or("none", |e| e.value.value_type().name());
            if !wanted.eq_ignore_ascii_case(name.as_bytes()) {
                return false;
            }
            if name == "none" {
                // The type lookup found the key expired. A master deleted
                // it there, so Redis's expiry check that follows finds no
                // key to expire and `TYPE none` lists it; a replica keeps
                // the key and filters it as expired.
                return db.raw().peek(key).is_none();
            }
        }
        db.contains(key)
    });
    reply_header(reply, next, found.len());
    for key in &found {
        reply.bulk(key);
    }
}

/// `RANDOMKEY`
fn randomkey(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.keyspace.db(ctx.client.db);
    match db.random_key(&mut ctx.server.rng) {
        Some(key) => reply.bulk(&key),
        None => reply.null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor_text(b"0"), Some(0));
        assert_eq!(parse_cursor_text(b"+12"), Some(12));
        assert_eq!(parse_cursor_text(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor_text(b""), Some(0));
        assert_eq!(parse_cursor_text(b"7\x00junk"), Some(7));
        assert_eq!(parse_cursor_text(b" 1"), None);
        assert_eq!(parse_cursor_text(b"1x"), None);
        assert_eq!(parse_cursor_text(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor_text(b"18446744073709551616"), None);
    }

    #[test]
    fn walk_stops_at_count_wrap_or_step_budget() {
        // Each step yields one item: stops once COUNT items are in.
        let (next, items) = walk(0, 3, 1, |c, items: &mut Vec<u64>| {
            items.push(c);
            c + 1
        });
        assert_eq!((next, items.len()), (3, 3));
        // Pairs fill two reply slots each, and COUNT doubles for them.
        let (_, items) = walk(0, 4, 2, |c, items: &mut Vec<u64>| {
            items.push(c);
            c + 1
        });
        assert_eq!(items.len(), 4);
        // Empty buckets: 1 + COUNT * 10 steps at most.
        let mut steps = 0;
        let (next, items) = walk(5, 2, 1, |c, _: &mut Vec<u64>| {
            steps += 1;
            c + 1
        });
        assert_eq!((steps, next, items.len()), (21, 26, 0));
        // The walk wrapped.
        let (next, _) = walk(9, 100, 1, |_, _: &mut Vec<u64>| 0);
        assert_eq!(next, 0);
    }
}
