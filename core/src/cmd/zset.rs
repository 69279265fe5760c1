//! Sorted-set commands: adding and scoring members, ranks, ranges by rank,
//! score and member, removal by range, the set algebra (ZUNION, ZINTER,
//! ZDIFF and their STORE forms, where plain sets count as score 1), pops
//! (ZPOPMIN, ZMPOP and the blocking BZPOPMIN, BZPOPMAX, BZMPOP), random
//! members and ZSCAN. Semantics, replies and propagation as Redis 7.0's
//! `t_zset.c`; the value type lives in [`crate::keyspace::zset`].
//!
//! Scores are replied as doubles (`%.17g` bulk strings in RESP2, `,` doubles
//! in RESP3). WITHSCORES replies are flat `member, score` arrays in RESP2
//! and arrays of `[member, score]` pairs in RESP3, as Redis 7.0 answers.

use super::errors;
use super::parse::{self, is};
use super::random;
use super::scan::{self, ScanOptions};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::{remove_members, typed, typed_mut, Ctx};
use crate::engine::blocking::block_on_keys;
use crate::keyspace::dict::Dict;
use crate::keyspace::set::Set;
use crate::keyspace::zset::{compare, listpack_score, LexBound, LexRange, RangeSpec, ScoreRange, ScoredMember, ZSet};
use crate::keyspace::{CompactBytes, DbMut, Value};
use crate::resp::reply::Reply;
use crate::resp::request::{Args, OwnedArgs};
use crate::util::number::{parse_f64, write_double};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

const Z: Group = Group::SortedSet;
const SS: u64 = acl::SORTEDSET;
const ONE_READ: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const ONE_DELETE: &[KeySpec] = &[KeySpec::one(1, RW | DELETE)];
const ONE_POP: &[KeySpec] = &[KeySpec::one(1, RW | ACCESS | DELETE)];
const KEYNUM_READ: &[KeySpec] = &[KeySpec::keynum(1, RO | ACCESS)];
const STORE_KEYNUM: &[KeySpec] = &[KeySpec::one(1, OW | UPDATE), KeySpec::keynum(2, RO | ACCESS)];
const BZPOP_KEYS: &[KeySpec] = &[KeySpec::range(1, -2, 1, 0, RW | ACCESS | DELETE)];
const RANDOM_TIPS: &[&str] = &["nondeterministic_output"];

/// The sorted-set commands.
pub static COMMANDS: &[Command] = &[
    Command::new("bzmpop", -5, WRITE | BLOCKING, Z, bzmpop)
        .acl(SS)
        .keys(&[KeySpec::keynum(2, RW | ACCESS | DELETE)])
        .doc("7.0.0", "O(K) + O(M*log(N)) where K is the number of keys given, N the size of the set and M the number of members popped.", "Pops the lowest or highest members of the first non-empty sorted set among several, waiting for one if none is."),
    Command::new("bzpopmax", -3, WRITE | NOSCRIPT | FAST | BLOCKING, Z, bzpopmax)
        .acl(SS)
        .keys(BZPOP_KEYS)
        .doc("5.0.0", "O(log(N)) where N is the size of the set.", "Pops the highest-scored member of the first non-empty sorted set, waiting for one if none is."),
    Command::new("bzpopmin", -3, WRITE | NOSCRIPT | FAST | BLOCKING, Z, bzpopmin)
        .acl(SS)
        .keys(BZPOP_KEYS)
        .doc("5.0.0", "O(log(N)) where N is the size of the set.", "Pops the lowest-scored member of the first non-empty sorted set, waiting for one if none is."),
    Command::new("zadd", -4, WRITE | DENYOOM | FAST, Z, zadd)
        .acl(SS)
        .keys(&[KeySpec::one(1, RW | UPDATE)])
        .doc("1.2.0", "O(log(N)) per member added or updated, N being the size of the set.", "Adds members to a sorted set or changes their scores; creates the key if needed."),
    Command::new("zcard", 2, READONLY | FAST, Z, zcard)
        .acl(SS)
        .keys(&[KeySpec::one(1, RO)])
        .doc("1.2.0", "O(1)", "Counts the members of a sorted set."),
    Command::new("zcount", 4, READONLY | FAST, Z, zcount)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.0.0", "O(log(N)) where N is the size of the set.", "Counts the members whose score lies in a range."),
    Command::new("zdiff", -3, READONLY, Z, zdiff)
        .acl(SS)
        .keys(KEYNUM_READ)
        .doc("6.2.0", "O(L + (N-K)log(N)) worst case, L being the total number of members, N the size of the first set and K the size of the result.", "Returns the members of the first sorted set that are in none of the others."),
    Command::new("zdiffstore", -4, WRITE | DENYOOM, Z, zdiffstore)
        .acl(SS)
        .keys(STORE_KEYNUM)
        .doc("6.2.0", "O(L + (N-K)log(N)) worst case, L being the total number of members, N the size of the first set and K the size of the result.", "Stores the difference of sorted sets in a key."),
    Command::new("zincrby", 4, WRITE | DENYOOM | FAST, Z, zincrby)
        .acl(SS)
        .keys(&[KeySpec::one(1, RW | ACCESS | UPDATE)])
        .doc("1.2.0", "O(log(N)) where N is the size of the set.", "Adds to the score of a member; creates the key or member if needed."),
    Command::new("zinter", -3, READONLY, Z, zinter)
        .acl(SS)
        .keys(KEYNUM_READ)
        .doc("6.2.0", "O(N*K)+O(M*log(M)) worst case, N being the smallest set, K the number of sets and M the size of the result.", "Returns the members common to several sorted sets."),
    Command::new("zintercard", -3, READONLY, Z, zintercard)
        .acl(SS)
        .keys(KEYNUM_READ)
        .doc("7.0.0", "O(N*K) worst case, N being the smallest set and K the number of sets.", "Counts the members common to several sorted sets."),
    Command::new("zinterstore", -4, WRITE | DENYOOM, Z, zinterstore)
        .acl(SS)
        .keys(STORE_KEYNUM)
        .doc("2.0.0", "O(N*K)+O(M*log(M)) worst case, N being the smallest set, K the number of sets and M the size of the result.", "Stores the intersection of sorted sets in a key."),
    Command::new("zlexcount", 4, READONLY | FAST, Z, zlexcount)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.8.9", "O(log(N)) where N is the size of the set.", "Counts the members that lie in a lexicographical range."),
    Command::new("zmpop", -4, WRITE, Z, zmpop)
        .acl(SS)
        .keys(&[KeySpec::keynum(1, RW | ACCESS | DELETE)])
        .doc("7.0.0", "O(K) + O(M*log(N)) where K is the number of keys given, N the size of the set and M the number of members popped.", "Pops the lowest or highest members of the first non-empty sorted set among several."),
    Command::new("zmscore", -3, READONLY | FAST, Z, zmscore)
        .acl(SS)
        .keys(ONE_READ)
        .doc("6.2.0", "O(N) where N is the number of members asked for.", "Returns the scores of several members."),
    Command::new("zpopmax", -2, WRITE | FAST, Z, zpopmax)
        .acl(SS)
        .keys(ONE_POP)
        .doc("5.0.0", "O(log(N)*M) with N the size of the set and M the number of members popped.", "Removes and returns the highest-scored members."),
    Command::new("zpopmin", -2, WRITE | FAST, Z, zpopmin)
        .acl(SS)
        .keys(ONE_POP)
        .doc("5.0.0", "O(log(N)*M) with N the size of the set and M the number of members popped.", "Removes and returns the lowest-scored members."),
    Command::new("zrandmember", -2, READONLY, Z, zrandmember)
        .acl(SS)
        .keys(ONE_READ)
        .tips(RANDOM_TIPS)
        .doc("6.2.0", "O(N) where N is the number of members returned.", "Returns random members of a sorted set."),
    Command::new("zrange", -4, READONLY, Z, zrange)
        .acl(SS)
        .keys(ONE_READ)
        .doc("1.2.0", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a range of ranks, scores or members."),
    Command::new("zrangebylex", -4, READONLY, Z, zrangebylex)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.8.9", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a lexicographical range.")
        .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument"),
    Command::new("zrangebyscore", -4, READONLY, Z, zrangebyscore)
        .acl(SS)
        .keys(ONE_READ)
        .doc("1.0.5", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a range of scores.")
        .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument"),
    Command::new("zrangestore", -5, WRITE | DENYOOM, Z, zrangestore)
        .acl(SS)
        .keys(&[KeySpec::one(1, OW | UPDATE), KeySpec::one(2, RO | ACCESS)])
        .doc("6.2.0", "O(log(N)+M) with N the size of the set and M the number of members stored.", "Stores a range of a sorted set in a key."),
    Command::new("zrank", 3, READONLY | FAST, Z, zrank)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.0.0", "O(log(N))", "Returns the position of a member in ascending order."),
    Command::new("zrem", -3, WRITE | FAST, Z, zrem)
        .acl(SS)
        .keys(ONE_DELETE)
        .doc("1.2.0", "O(M*log(N)) with N the size of the set and M the number of members removed.", "Removes members; deletes the key when none is left."),
    Command::new("zremrangebylex", 4, WRITE, Z, zremrangebylex)
        .acl(SS)
        .keys(ONE_DELETE)
        .doc("2.8.9", "O(log(N)+M) with N the size of the set and M the number of members removed.", "Removes the members in a lexicographical range."),
    Command::new("zremrangebyrank", 4, WRITE, Z, zremrangebyrank)
        .acl(SS)
        .keys(ONE_DELETE)
        .doc("2.0.0", "O(log(N)+M) with N the size of the set and M the number of members removed.", "Removes the members in a range of ranks."),
    Command::new("zremrangebyscore", 4, WRITE, Z, zremrangebyscore)
        .acl(SS)
        .keys(ONE_DELETE)
        .doc("1.2.0", "O(log(N)+M) with N the size of the set and M the number of members removed.", "Removes the members in a range of scores."),
    Command::new("zrevrange", -4, READONLY, Z, zrevrange)
        .acl(SS)
        .keys(ONE_READ)
        .doc("1.2.0", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a range of ranks, highest first.")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` argument"),
    Command::new("zrevrangebylex", -4, READONLY, Z, zrevrangebylex)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.8.9", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a lexicographical range, highest first.")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments"),
    Command::new("zrevrangebyscore", -4, READONLY, Z, zrevrangebyscore)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.2.0", "O(log(N)+M) with N the size of the set and M the number of members returned.", "Returns members in a range of scores, highest first.")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments"),
    Command::new("zrevrank", 3, READONLY | FAST, Z, zrevrank)
        .acl(SS)
        .keys(ONE_READ)
        .doc("2.0.0", "O(log(N))", "Returns the position of a member in descending order."),
    Command::new("zscan", -3, READONLY, Z, zscan)
        .acl(SS)
        .keys(ONE_READ)
        .tips(RANDOM_TIPS)
        .doc("2.8.0", "O(1) per call, O(N) for a whole iteration.", "Iterates over the members and scores of a sorted set."),
    Command::new("zscore", 3, READONLY | FAST, Z, zscore)
        .acl(SS)
        .keys(ONE_READ)
        .doc("1.2.0", "O(1)", "Returns the score of a member."),
    Command::new("zunion", -3, READONLY, Z, zunion)
        .acl(SS)
        .keys(KEYNUM_READ)
        .doc("6.2.0", "O(N)+O(M*log(M)) with N the total size of the inputs and M the size of the result.", "Returns the union of several sorted sets."),
    Command::new("zunionstore", -4, WRITE | DENYOOM, Z, zunionstore)
        .acl(SS)
        .keys(STORE_KEYNUM)
        .doc("2.0.0", "O(N)+O(M*log(M)) with N the total size of the inputs and M the size of the result.", "Stores the union of several sorted sets in a key."),
];

// ---------------------------------------------------------------------------
// Lookups and replies
// ---------------------------------------------------------------------------

/// The sorted set under `key` for reading (`lookupKeyRead` + `checkType`):
/// `Ok(None)` when absent, `Err(())` after a WRONGTYPE reply.
fn read_zset<'a>(db: &'a mut DbMut<'_>, key: &[u8], reply: &mut Reply) -> Result<Option<&'a ZSet>, ()> {
    typed(db.get_value(key), reply)
}

/// The sorted set under `key` for writing (`lookupKeyWrite` + `checkType`).
fn write_zset<'a>(db: &'a mut DbMut<'_>, key: &[u8], reply: &mut Reply) -> Result<Option<&'a mut ZSet>, ()> {
    typed_mut(db.get_value_mut(key), reply)
}

/// Writes scores as `addReplyDouble` does, reusing one buffer for the
/// RESP2 bulk form so a long WITHSCORES reply allocates once.
struct ScoreWriter {
    digits: Vec<u8>,
}

impl ScoreWriter {
    fn new() -> Self {
        ScoreWriter { digits: Vec::new() }
    }

    #[inline]
    fn write(&mut self, reply: &mut Reply, score: f64) {
        if reply.is_resp3() {
            reply.double(score);
        } else if score != 0.0 && score.abs() < 1e17 && (score as i64) as f64 == score {
            // Whole numbers below 10^17 print as plain integers in %.17g.
            reply.bulk(itoa::Buffer::new().format(score as i64).as_bytes());
        } else {
            self.digits.clear();
            write_double(&mut self.digits, score);
            reply.bulk(&self.digits);
        }
    }
}

/// The header of `n` members, with scores or not: a flat array in RESP2,
/// an array of pairs in RESP3.
fn scored_header(reply: &mut Reply, n: usize, withscores: bool) {
    reply.array(if withscores && !reply.is_resp3() { n * 2 } else { n });
}

/// One member of a [`scored_header`] reply.
#[inline]
fn scored_member(reply: &mut Reply, scores: &mut ScoreWriter, member: &[u8], score: f64, withscores: bool) {
    if withscores && reply.is_resp3() {
        reply.array(2);
    }
    reply.bulk(member);
    if withscores {
        scores.write(reply, score);
    }
}

/// Stores `entries` (sorted) under `dst` as the store commands do: an empty
/// result deletes `dst`; otherwise it replaces it in the encoding its size
/// calls for. Replies with the result's size.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], entries: Vec<ScoredMember>, reply: &mut Reply) {
    if entries.is_empty() {
        reply.integer(0);
        if ctx.db().delete(dst) {
            ctx.dirty(1);
        }
        return;
    }
    let limits = ctx.config().hot().zset_listpack;
    let len = entries.len();
    let zset = ZSet::from_sorted(entries, &limits);
    ctx.db().set(dst, Value::ZSet(Box::new(zset)), false);
    ctx.dirty(1);
    reply.integer(len as i64);
}

// ---------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------

/// Whether `c` is a C `isspace` character.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A score bound as `zslParseRange` reads it with `strtod`: the argument is
/// a C string (it ends at the first NUL), leading spaces are skipped, an
/// empty string is 0, an overflow is ±inf; NaN or trailing bytes fail.
fn parse_range_number(arg: &[u8]) -> Option<f64> {
    let text = match arg.iter().position(|&c| c == 0) {
        Some(end) => &arg[..end],
        None => arg,
    };
    if text.is_empty() {
        return Some(0.0);
    }
    let start = text.iter().position(|&c| !is_c_space(c))?;
    let number = &text[start..];
    if let Some(value) = parse_f64(number) {
        return Some(value);
    }
    // parse_f64 refuses what overflows or underflows; strtod saturates.
    let value: f64 = core::str::from_utf8(number).ok()?.parse().ok()?;
    (!value.is_nan()).then_some(value)
}

/// `min max` of ZRANGEBYSCORE and friends (`(` marks an exclusive end).
fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let bound = |arg: &[u8]| match arg.first() {
        Some(b'(') => parse_range_number(&arg[1..]).map(|v| (v, true)),
        _ => parse_range_number(arg).map(|v| (v, false)),
    };
    let (min, min_exclusive) = bound(min)?;
    let (max, max_exclusive) = bound(max)?;
    Some(ScoreRange {
        min,
        max,
        min_exclusive,
        max_exclusive,
    })
}

/// One end of a lex range (`zslParseLexRangeItem`).
fn parse_lex_bound(arg: &[u8]) -> Option<LexBound<'_>> {
    // `+` and `-` are compared as C strings: a NUL may follow them.
    let alone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first()? {
        b'+' if alone => Some(LexBound::Max),
        b'-' if alone => Some(LexBound::Min),
        b'(' => Some(LexBound::Exclusive(&arg[1..])),
        b'[' => Some(LexBound::Inclusive(&arg[1..])),
        _ => None,
    }
}

/// `min max` of ZRANGEBYLEX and friends.
fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
    Some(LexRange {
        min: parse_lex_bound(min)?,
        max: parse_lex_bound(max)?,
    })
}

const SCORE_RANGE_ERROR: &[u8] = b"ERR min or max is not a float";
const LEX_RANGE_ERROR: &[u8] = b"ERR min or max not valid string range item";

/// A range argument pair, parsed.
enum Bounds<'a> {
    /// By rank: start and stop, negative from the end.
    Rank(i64, i64),
    /// By score.
    Score(ScoreRange),
    /// By member.
    Lex(LexRange<'a>),
}

/// Clamps a rank range as Redis does: negative indexes count from the end;
/// `None` when empty.
fn clamp_ranks(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len.saturating_add(start) } else { start };
    let mut end = if end < 0 { len.saturating_add(end) } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

/// The ascending ranks `lo..=hi` that a score or lex range selects with
/// LIMIT `offset count` (`genericZrangebyscoreCommand`): from the first
/// member in range forward, or from the last one backward when `reverse`.
fn range_span(zset: &ZSet, range: &impl RangeSpec, reverse: bool, offset: i64, limit: i64) -> Option<(usize, usize)> {
    // A negative offset walks off the end in Redis: nothing is returned.
    let offset = usize::try_from(offset).ok()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if reverse {
        let last = zset.last_in_range(range)?;
        let at = last.checked_sub(offset)?;
        let n = zset.run_length(at, false, limit, |s, m| range.gte_min(s, m));
        (n > 0).then(|| (at + 1 - n, at))
    } else {
        let first = zset.first_in_range(range)?;
        let at = first.checked_add(offset)?;
        let n = zset.run_length(at, true, limit, |s, m| range.lte_max(s, m));
        (n > 0).then(|| (at, at + n - 1))
    }
}

/// Which kind of range a ZRANGE-family command reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    /// Chosen by the arguments (ZRANGE, ZRANGESTORE).
    Auto,
    /// Ranks.
    Rank,
    /// Scores.
    Score,
    /// Members.
    Lex,
}

/// ZRANGE, ZRANGESTORE and the deprecated ZREV/ZRANGEBY* forms
/// (`zrangeGenericCommand`): the source key is at `key_at`, `store` names
/// the destination of ZRANGESTORE, `by` and `reverse` are fixed by the
/// older commands and chosen by options otherwise.
fn zrange_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    key_at: usize,
    store: Option<&[u8]>,
    mut by: By,
    mut reverse: Option<bool>,
    reply: &mut Reply,
) {
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = key_at + 3;
    while j < args.len() {
        let opt = args.get(j);
        let left = args.len() - j - 1;
        if store.is_none() && is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            let Some(o) = parse::integer(args.get(j + 1), reply) else {
                return;
            };
            let Some(l) = parse::integer(args.get(j + 2), reply) else {
                return;
            };
            (offset, limit) = (o, l);
            j += 2;
        } else if reverse.is_none() && is(opt, "rev") {
            reverse = Some(true);
        } else if by == By::Auto && is(opt, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && is(opt, "byscore") {
            by = By::Score;
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
        j += 1;
    }
    let reverse = reverse.unwrap_or(false);
    if by == By::Auto {
        by = By::Rank;
    }
    if limit != -1 && by == By::Rank {
        reply.error(b"ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
        return;
    }
    if withscores && by == By::Lex {
        reply.error(b"ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    let (mut min_at, mut max_at) = (key_at + 1, key_at + 2);
    if reverse && by != By::Rank {
        core::mem::swap(&mut min_at, &mut max_at);
    }
    let (min, max) = (args.get(min_at), args.get(max_at));
    let Some(bounds) = parse_bounds(by, min, max, reply) else {
        return;
    };
    let mut db = ctx.db();
    let Ok(found) = read_zset(&mut db, args.get(key_at), reply) else {
        return;
    };
    let Some(zset) = found else {
        match store {
            Some(dst) => store_result(ctx, dst, Vec::new(), reply),
            None => reply.empty_array(),
        }
        return;
    };
    let span = match &bounds {
        Bounds::Rank(start, end) => clamp_ranks(*start, *end, zset.len()).map(|(start, end)| {
            if reverse {
                let last = zset.len() - 1;
                (last - end, last - start)
            } else {
                (start, end)
            }
        }),
        Bounds::Score(range) => range_span(zset, range, reverse, offset, limit),
        Bounds::Lex(range) => range_span(zset, range, reverse, offset, limit),
    };
    let Some(dst) = store else {
        let Some((lo, hi)) = span else {
            reply.empty_array();
            return;
        };
        scored_header(reply, hi - lo + 1, withscores);
        let mut scores = ScoreWriter::new();
        let entries = zset.range(lo, hi);
        if reverse {
            for (score, member) in entries.rev() {
                scored_member(reply, &mut scores, member, *score, withscores);
            }
        } else {
            for (score, member) in entries {
                scored_member(reply, &mut scores, member, *score, withscores);
            }
        }
        return;
    };
    let mut entries: Vec<ScoredMember> = match span {
        Some((lo, hi)) => zset.range(lo, hi).cloned().collect(),
        None => Vec::new(),
    };
    if entries.is_empty() {
        return store_result(ctx, dst, entries, reply);
    }
    // Redis adds the members one by one, in reply order, to a listpack
    // (a skiplist for a rank range past the listpack limit) that converts
    // when it outgrows the limits; what went through the listpack lost a
    // -0 sign on the way.
    let limits = ctx.config().hot().zset_listpack;
    let len = entries.len();
    let mut through_listpack = 0;
    let mut converted = by == By::Rank && len > limits.max_entries;
    if !converted {
        let emitted: &mut dyn Iterator<Item = &ScoredMember> = if reverse {
            &mut entries.iter().rev()
        } else {
            &mut entries.iter()
        };
        for (i, (_, member)) in emitted.enumerate() {
            if i + 1 > limits.max_entries || member.len() > limits.max_value {
                converted = true;
                break;
            }
            through_listpack += 1;
        }
    }
    let normalized = if reverse {
        &mut entries[len - through_listpack..]
    } else {
        &mut entries[..through_listpack]
    };
    for entry in normalized {
        entry.0 = listpack_score(entry.0);
    }
    let stored = if converted {
        ZSet::skiplist_from_sorted(entries)
    } else {
        ZSet::listpack_from_sorted(entries)
    };
    ctx.db().set(dst, Value::ZSet(Box::new(stored)), false);
    ctx.dirty(1);
    reply.integer(len as i64);
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
fn zrange(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Auto, None, reply);
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
fn zrangestore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 2, Some(args.get(1)), By::Auto, None, reply);
}

/// `ZREVRANGE key start stop [WITHSCORES]`
fn zrevrange(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Rank, Some(true), reply);
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
fn zrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Score, Some(false), reply);
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
fn zrevrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Score, Some(true), reply);
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
fn zrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Lex, Some(false), reply);
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
fn zrevrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrange_generic(ctx, args, 1, None, By::Lex, Some(true), reply);
}

/// ZCOUNT and ZLEXCOUNT: a listpack is walked from the first member in
/// range; a skiplist answers from two ranks.
fn count_in_range(zset: &ZSet, range: &impl RangeSpec) -> usize {
    let Some(first) = zset.first_in_range(range) else {
        return 0;
    };
    match zset {
        ZSet::Listpack(_) => zset.run_length(first, true, usize::MAX, |s, m| range.lte_max(s, m)),
        ZSet::Skiplist { .. } => match zset.last_in_range(range) {
            Some(last) => (last + 1).saturating_sub(first),
            None => zset.len() - first,
        },
    }
}

/// `ZCOUNT key min max`
fn zcount(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(range) = parse_score_range(args.get(2), args.get(3)) else {
        return reply.error(SCORE_RANGE_ERROR);
    };
    let mut db = ctx.db();
    match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => reply.integer(count_in_range(zset, &range) as i64),
        Ok(None) => reply.integer(0),
        Err(()) => {}
    }
}

/// `ZLEXCOUNT key min max`
fn zlexcount(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(range) = parse_lex_range(args.get(2), args.get(3)) else {
        return reply.error(LEX_RANGE_ERROR);
    };
    let mut db = ctx.db();
    match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => reply.integer(count_in_range(zset, &range) as i64),
        Ok(None) => reply.integer(0),
        Err(()) => {}
    }
}

/// The `min max` (or `start stop`) of a range command, read as `by`
/// says; replies the error itself.
fn parse_bounds<'a>(by: By, min: &'a [u8], max: &'a [u8], reply: &mut Reply) -> Option<Bounds<'a>> {
    Some(match by {
        By::Score => match parse_score_range(min, max) {
            Some(range) => Bounds::Score(range),
            None => {
                reply.error(SCORE_RANGE_ERROR);
                return None;
            }
        },
        By::Lex => match parse_lex_range(min, max) {
            Some(range) => Bounds::Lex(range),
            None => {
                reply.error(LEX_RANGE_ERROR);
                return None;
            }
        },
        By::Rank | By::Auto => Bounds::Rank(parse::integer(min, reply)?, parse::integer(max, reply)?),
    })
}

/// ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX
/// (`zremrangeGenericCommand`).
fn zremrange_generic(ctx: &mut Ctx<'_>, args: Args<'_>, by: By, reply: &mut Reply) {
    let (min, max) = (args.get(2), args.get(3));
    let Some(bounds) = parse_bounds(by, min, max, reply) else {
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let zset = match write_zset(&mut db, key, reply) {
        Ok(Some(zset)) => zset,
        Ok(None) => return reply.integer(0),
        Err(()) => return,
    };
    let span = match &bounds {
        Bounds::Rank(start, end) => clamp_ranks(*start, *end, zset.len()),
        Bounds::Score(range) => range_span(zset, range, false, 0, -1),
        Bounds::Lex(range) => range_span(zset, range, false, 0, -1),
    };
    let deleted = match span {
        Some((lo, hi)) => zset.remove_range(lo, hi),
        None => 0,
    };
    let emptied = zset.is_empty();
    db.settle(key, emptied, deleted > 0);
    ctx.dirty(deleted as u64);
    reply.integer(deleted as i64);
}

/// `ZREMRANGEBYRANK key start stop`
fn zremrangebyrank(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zremrange_generic(ctx, args, By::Rank, reply);
}

/// `ZREMRANGEBYSCORE key min max`
fn zremrangebyscore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zremrange_generic(ctx, args, By::Score, reply);
}

/// `ZREMRANGEBYLEX key min max`
fn zremrangebylex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zremrange_generic(ctx, args, By::Lex, reply);
}

// ---------------------------------------------------------------------------
// Adding, removing, reading members
// ---------------------------------------------------------------------------

/// ZADD and ZINCRBY (`zaddGenericCommand`): every score is parsed before
/// anything changes; a NaN result of INCR is an error.
fn zadd_generic(ctx: &mut Ctx<'_>, args: Args<'_>, incr_command: bool, reply: &mut Reply) {
    let (mut nx, mut xx, mut gt, mut lt, mut ch, mut incr) = (false, false, false, false, false, incr_command);
    let mut at = 2;
    while at < args.len() {
        let opt = args.get(at);
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "ch") {
            ch = true;
        } else if is(opt, "incr") {
            incr = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            break;
        }
        at += 1;
    }
    let elements = args.len() - at;
    if elements == 0 || elements % 2 == 1 {
        return reply.error(errors::SYNTAX);
    }
    let pairs = elements / 2;
    if nx && xx {
        return reply.error(b"ERR XX and NX options at the same time are not compatible");
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return reply.error(b"ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if incr && pairs > 1 {
        return reply.error(b"ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(pairs);
    for j in 0..pairs {
        let Some(score) = parse::float(args.get(at + 2 * j), reply) else {
            return;
        };
        scores.push(score);
    }
    let limits = ctx.config().hot().zset_listpack;
    let key = args.get(1);
    let mut db = ctx.db();
    let exists = match write_zset(&mut db, key, reply) {
        Ok(found) => found.is_some(),
        Err(()) => return,
    };
    if !exists {
        if xx {
            if incr {
                reply.null();
            } else {
                reply.integer(0);
            }
            return;
        }
        db.add(key, Value::ZSet(Box::default()));
    }
    let Some(Value::ZSet(zset)) = db.get_value_mut(key) else {
        return;
    };
    let (mut added, mut updated, mut processed) = (0u64, 0u64, 0u64);
    let mut result = 0.0;
    let mut nan = false;
    for (j, &score) in scores.iter().enumerate() {
        let member = args.get(at + 2 * j + 1);
        match zset.score(member) {
            Some(current) => {
                if nx {
                    continue;
                }
                let new = if incr { score + current } else { score };
                if new.is_nan() {
                    nan = true;
                    break;
                }
                if (lt && new >= current) || (gt && new <= current) {
                    continue;
                }
                result = new;
                processed += 1;
                if new != current {
                    zset.update_score(member, current, new);
                    updated += 1;
                }
            }
            None if !xx => {
                zset.insert_new(member, score, &limits);
                result = score;
                added += 1;
                processed += 1;
            }
            None => {}
        }
    }
    if added + updated > 0 {
        db.signal_modified(key);
    }
    if nan {
        return reply.error(b"ERR resulting score is not a number (NaN)");
    }
    ctx.dirty(added + updated);
    if incr {
        if processed > 0 {
            ScoreWriter::new().write(reply, result);
        } else {
            reply.null();
        }
    } else {
        reply.integer((if ch { added + updated } else { added }) as i64);
    }
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
fn zadd(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zadd_generic(ctx, args, false, reply);
}

/// `ZINCRBY key increment member`
fn zincrby(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zadd_generic(ctx, args, true, reply);
}

/// `ZREM key member [member ...]`
fn zrem(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    remove_members::<ZSet>(ctx, args, reply);
}

/// `ZCARD key`
fn zcard(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => reply.integer(zset.len() as i64),
        Ok(None) => reply.integer(0),
        Err(()) => {}
    }
}

/// `ZSCORE key member`
fn zscore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => match zset.score(args.get(2)) {
            Some(score) => ScoreWriter::new().write(reply, score),
            None => reply.null(),
        },
        Ok(None) => reply.null(),
        Err(()) => {}
    }
}

/// `ZMSCORE key member [member ...]`: a missing key reads as empty.
fn zmscore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let Ok(zset) = read_zset(&mut db, args.get(1), reply) else {
        return;
    };
    reply.array(args.len() - 2);
    let mut scores = ScoreWriter::new();
    for member in args.iter().skip(2) {
        match zset.and_then(|z| z.score(member)) {
            Some(score) => scores.write(reply, score),
            None => reply.null(),
        }
    }
}

/// ZRANK and ZREVRANK.
fn zrank_generic(ctx: &mut Ctx<'_>, args: Args<'_>, reverse: bool, reply: &mut Reply) {
    let mut db = ctx.db();
    match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => match zset.rank(args.get(2)) {
            Some(rank) if reverse => reply.integer((zset.len() - 1 - rank) as i64),
            Some(rank) => reply.integer(rank as i64),
            None => reply.null(),
        },
        Ok(None) => reply.null(),
        Err(()) => {}
    }
}

/// `ZRANK key member`
fn zrank(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrank_generic(ctx, args, false, reply);
}

/// `ZREVRANK key member`
fn zrevrank(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zrank_generic(ctx, args, true, reply);
}

// ---------------------------------------------------------------------------
// Union, intersection, difference
// ---------------------------------------------------------------------------

/// Which operation a ZUNION-family command computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

/// How scores of the same member combine (AGGREGATE).
#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// `zunionInterAggregate`: +inf + -inf sums to 0, not NaN.
#[inline]
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

/// An input of the set algebra: a sorted set, a plain set (every member
/// scored 1) or a missing key (empty).
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Sorted(&'a ZSet),
    Plain(&'a Set),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Sorted(zset) => zset.len(),
            Source::Plain(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Sorted(zset) => zset.score(member),
            Source::Plain(set) => set.contains(member).then_some(1.0),
        }
    }

    /// Calls `f` with every member and score until it returns false.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64) -> bool) {
        match self {
            Source::Missing => {}
            Source::Sorted(zset) => {
                for (score, member) in zset.iter() {
                    if !f(member, *score) {
                        break;
                    }
                }
            }
            Source::Plain(set) => {
                let mut going = true;
                set.for_each(|member| {
                    if going {
                        going = f(member, 1.0);
                    }
                });
            }
        }
    }
}

/// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD
/// (`zunionInterDiffGenericCommand`). `numkeys_at` is the position of the
/// key count; `name` is the command's name for the "at least 1 input key"
/// error.
#[allow(clippy::too_many_arguments)]
fn zsetop_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    dst: Option<&[u8]>,
    numkeys_at: usize,
    op: SetOp,
    cardinality_only: bool,
    name: &str,
    reply: &mut Reply,
) {
    let Some(setnum) = parse::integer(args.get(numkeys_at), reply) else {
        return;
    };
    if setnum < 1 {
        return reply.error_parts(&[
            b"ERR at least 1 input key is needed for '",
            name.as_bytes(),
            b"' command",
        ]);
    }
    let first_key = numkeys_at + 1;
    if setnum as u64 > (args.len() - first_key) as u64 {
        return reply.error(errors::SYNTAX);
    }
    let setnum = setnum as usize;
    let keys = first_key..first_key + setnum;
    // Pass 1: type checks, with lazy expiry and hit/miss statistics.
    let mut present = Vec::with_capacity(setnum);
    {
        let mut db = ctx.db();
        for i in keys.clone() {
            match db.get_value(args.get(i)) {
                None => present.push(false),
                Some(Value::ZSet(_) | Value::Set(_)) => present.push(true),
                Some(_) => return reply.error(errors::WRONG_TYPE),
            }
        }
    }
    let mut weights = alloc::vec![1.0f64; setnum];
    let mut how = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = keys.end;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = args.get(j);
        if op != SetOp::Diff && !cardinality_only && remaining > setnum && is(opt, "weights") {
            j += 1;
            for weight in weights.iter_mut() {
                match parse_f64(args.get(j)) {
                    Some(w) => *weight = w,
                    None => return reply.error(b"ERR weight value is not a float"),
                }
                j += 1;
            }
        } else if op != SetOp::Diff && !cardinality_only && remaining >= 2 && is(opt, "aggregate") {
            let choice = args.get(j + 1);
            how = if is(choice, "sum") {
                Aggregate::Sum
            } else if is(choice, "min") {
                Aggregate::Min
            } else if is(choice, "max") {
                Aggregate::Max
            } else {
                return reply.error(errors::SYNTAX);
            };
            j += 2;
        } else if dst.is_none() && !cardinality_only && is(opt, "withscores") {
            withscores = true;
            j += 1;
        } else if cardinality_only && remaining >= 2 && is(opt, "limit") {
            let Some(n) = parse::integer_in_range(
                args.get(j + 1),
                0,
                i64::MAX,
                Some(b"ERR LIMIT can't be negative"),
                reply,
            ) else {
                return;
            };
            limit = n;
            j += 2;
        } else {
            return reply.error(errors::SYNTAX);
        }
    }
    // Pass 2: the inputs themselves, all borrowed at once.
    let mut entries: Vec<ScoredMember> = Vec::new();
    let mut cardinality = 0usize;
    {
        let mut db = ctx.db();
        let raw: &crate::keyspace::Db = db.raw();
        let mut sources: Vec<(Source<'_>, f64)> = keys
            .clone()
            .zip(&present)
            .zip(&weights)
            .map(|((i, &here), &weight)| {
                let source = match raw.peek(args.get(i)).map(|e| &e.value) {
                    Some(Value::ZSet(zset)) if here => Source::Sorted(zset),
                    Some(Value::Set(set)) if here => Source::Plain(set),
                    _ => Source::Missing,
                };
                (source, weight)
            })
            .collect();
        match op {
            SetOp::Inter => {
                // Smallest first, stably, as Redis's qsort on glibc.
                sources.sort_by_key(|(source, _)| source.len());
                let (first, first_weight) = sources[0];
                let others = &sources[1..];
                let limit = limit as usize;
                first.for_each(|member, score| {
                    let mut total = first_weight * score;
                    if total.is_nan() {
                        total = 0.0;
                    }
                    for (source, weight) in others {
                        match source.score(member) {
                            Some(value) => aggregate(&mut total, value * weight, how),
                            None => return true,
                        }
                    }
                    if cardinality_only {
                        cardinality += 1;
                        return limit == 0 || cardinality < limit;
                    }
                    entries.push((total, CompactBytes::new(member)));
                    true
                });
            }
            SetOp::Union => {
                sources.sort_by_key(|(source, _)| source.len());
                let largest = sources.last().map_or(0, |(source, _)| source.len());
                let mut totals: Dict<f64> = Dict::with_capacity(largest);
                for (source, weight) in &sources {
                    source.for_each(|member, score| {
                        let mut value = weight * score;
                        if value.is_nan() {
                            value = 0.0;
                        }
                        match totals.get_mut(member) {
                            Some(total) => aggregate(total, value, how),
                            None => {
                                totals.insert_new(CompactBytes::new(member), value);
                            }
                        }
                        true
                    });
                }
                entries.reserve_exact(totals.len());
                entries.extend(totals.iter().map(|(member, score)| (*score, member.clone())));
            }
            SetOp::Diff => {
                let (first, _) = sources[0];
                let first_name = args.get(first_key);
                // A set minus itself is empty.
                let repeated = keys.clone().skip(1).any(|i| args.get(i) == first_name);
                if !repeated {
                    let others = &sources[1..];
                    first.for_each(|member, score| {
                        if others.iter().all(|(source, _)| source.score(member).is_none()) {
                            entries.push((score, CompactBytes::new(member)));
                        }
                        true
                    });
                }
            }
        }
    }
    if cardinality_only {
        return reply.integer(cardinality as i64);
    }
    entries.sort_unstable_by(|a, b| compare(a.0, &a.1, b.0, &b.1));
    if let Some(dst) = dst {
        return store_result(ctx, dst, entries, reply);
    }
    scored_header(reply, entries.len(), withscores);
    let mut scores = ScoreWriter::new();
    for (score, member) in &entries {
        scored_member(reply, &mut scores, member, *score, withscores);
    }
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
fn zunion(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(ctx, args, None, 1, SetOp::Union, false, "zunion", reply);
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
fn zinter(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(ctx, args, None, 1, SetOp::Inter, false, "zinter", reply);
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
fn zdiff(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(ctx, args, None, 1, SetOp::Diff, false, "zdiff", reply);
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
fn zunionstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(
        ctx,
        args,
        Some(args.get(1)),
        2,
        SetOp::Union,
        false,
        "zunionstore",
        reply,
    );
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
fn zinterstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(
        ctx,
        args,
        Some(args.get(1)),
        2,
        SetOp::Inter,
        false,
        "zinterstore",
        reply,
    );
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
fn zdiffstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(ctx, args, Some(args.get(1)), 2, SetOp::Diff, false, "zdiffstore", reply);
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
fn zintercard(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zsetop_generic(ctx, args, None, 1, SetOp::Inter, true, "zintercard", reply);
}

// ---------------------------------------------------------------------------
// Pops, blocking pops
// ---------------------------------------------------------------------------

/// How a pop replies (`genericZpopCommand`'s flags).
#[derive(Clone, Copy)]
struct PopReply {
    /// The key name comes first (BZPOP*, ZMPOP, BZMPOP).
    emit_key: bool,
    /// Members as `[member, score]` pairs.
    nested: bool,
    /// Null instead of an empty array when nothing can be popped.
    nil_when_empty: bool,
}

/// Pops up to `count` (-1: one, plain form) of the lowest or highest
/// members of the first existing sorted set among `keys`. Returns the key
/// and how many were popped, for propagation.
fn zpop_generic<'k>(
    ctx: &mut Ctx<'_>,
    keys: impl Iterator<Item = &'k [u8]>,
    max: bool,
    count: i64,
    shape: PopReply,
    reply: &mut Reply,
) -> Option<(&'k [u8], usize)> {
    let mut db = ctx.db();
    let mut found = None;
    for key in keys {
        match write_zset(&mut db, key, reply) {
            Ok(None) => continue,
            Ok(Some(_)) => {
                found = Some(key);
                break;
            }
            Err(()) => return None,
        }
    }
    let Some(key) = found else {
        if shape.nil_when_empty {
            reply.null_array();
        } else {
            reply.empty_array();
        }
        return None;
    };
    if count == 0 {
        reply.empty_array();
        return None;
    }
    let wanted = if count < 0 { 1 } else { count as u64 };
    let Some(Value::ZSet(zset)) = db.get_value_mut(key) else {
        return None;
    };
    let popped = wanted.min(zset.len() as u64) as usize;
    match (shape.nested, shape.emit_key) {
        (false, false) => reply.array(popped * 2),
        (true, false) => reply.array(popped),
        (false, true) => {
            reply.array(popped * 2 + 1);
            reply.bulk(key);
        }
        (true, true) => {
            reply.array(2);
            reply.bulk(key);
            reply.array(popped);
        }
    }
    let mut scores = ScoreWriter::new();
    for (score, member) in zset.pop_many(max, popped) {
        if shape.nested {
            reply.array(2);
        }
        reply.bulk(&member);
        scores.write(reply, score);
    }
    let emptied = zset.is_empty();
    db.settle(key, emptied, true);
    ctx.dirty(popped as u64);
    Some((key, popped))
}

/// Propagates a pop as `ZPOPMIN|ZPOPMAX key [count]`, as Redis rewrites
/// ZMPOP and the blocking pops.
fn propagate_pop(ctx: &mut Ctx<'_>, key: &[u8], max: bool, count: Option<usize>) {
    let name: &[u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
    let mut propagated = OwnedArgs::with_capacity(3, key.len() + 32);
    propagated.push(name);
    propagated.push(key);
    if let Some(count) = count {
        propagated.push(itoa::Buffer::new().format(count).as_bytes());
    }
    ctx.propagate_as(propagated);
}

/// ZPOPMIN and ZPOPMAX.
fn zpop_command(ctx: &mut Ctx<'_>, args: Args<'_>, max: bool, reply: &mut Reply) {
    if args.len() > 3 {
        return reply.error(errors::SYNTAX);
    }
    let mut count = -1;
    if args.len() == 3 {
        match parse::integer_in_range(args.get(2), 0, i64::MAX, Some(errors::MUST_BE_POSITIVE), reply) {
            Some(n) => count = n,
            None => return,
        }
    }
    let shape = PopReply {
        emit_key: false,
        nested: reply.is_resp3() && count != -1,
        nil_when_empty: false,
    };
    zpop_generic(ctx, core::iter::once(args.get(1)), max, count, shape, reply);
}

/// `ZPOPMIN key [count]`
fn zpopmin(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zpop_command(ctx, args, false, reply);
}

/// `ZPOPMAX key [count]`
fn zpopmax(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zpop_command(ctx, args, true, reply);
}

/// The common part of BZPOPMIN, BZPOPMAX and BZMPOP
/// (`blockingGenericZpopCommand`): pop from the first non-empty key of
/// `keys`, else wait for one. Run again for a key that became ready, it
/// serves that key only, as Redis 7.0 serves the ready key.
#[allow(clippy::too_many_arguments)]
fn blocking_pop(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    keys: Range<usize>,
    max: bool,
    count: i64,
    shape: PopReply,
    deadline_ms: i64,
    reply: &mut Reply,
) {
    let propagated_count = |popped: usize| (count != -1).then_some(popped);
    if let Some(ready) = ctx.server.blocking.serving_key.clone() {
        let is_zset = matches!(ctx.db().get_value_mut(&ready), Some(Value::ZSet(_)));
        if is_zset {
            if let Some((key, popped)) = zpop_generic(ctx, core::iter::once(ready.as_bytes()), max, count, shape, reply)
            {
                propagate_pop(ctx, key, max, propagated_count(popped));
            }
            return;
        }
        // Not a sorted set (any more): keep waiting.
    } else {
        for i in keys.clone() {
            let key = args.get(i);
            let mut db = ctx.db();
            match write_zset(&mut db, key, reply) {
                Ok(None) => continue,
                Ok(Some(zset)) if zset.is_empty() => continue,
                Ok(Some(_)) => {
                    if let Some((key, popped)) = zpop_generic(ctx, core::iter::once(key), max, count, shape, reply) {
                        propagate_pop(ctx, key, max, propagated_count(popped));
                    }
                    return;
                }
                Err(()) => return,
            }
        }
        if !ctx.client.may_block() {
            return reply.null_array();
        }
    }
    let waiting: Vec<CompactBytes> = keys.map(|i| CompactBytes::new(args.get(i))).collect();
    block_on_keys(ctx.client, waiting, deadline_ms);
}

/// BZPOPMIN and BZPOPMAX.
fn bzpop_command(ctx: &mut Ctx<'_>, args: Args<'_>, max: bool, reply: &mut Reply) {
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(args.len() - 1), now, reply) else {
        return;
    };
    let shape = PopReply {
        emit_key: true,
        nested: false,
        nil_when_empty: false,
    };
    blocking_pop(ctx, args, 1..args.len() - 1, max, -1, shape, deadline, reply);
}

/// `BZPOPMIN key [key ...] timeout`
fn bzpopmin(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    bzpop_command(ctx, args, false, reply);
}

/// `BZPOPMAX key [key ...] timeout`
fn bzpopmax(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    bzpop_command(ctx, args, true, reply);
}

/// ZMPOP and BZMPOP (`zmpopGenericCommand`): `numkeys_at` is the position
/// of the key count.
fn zmpop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, numkeys_at: usize, blocking: bool, reply: &mut Reply) {
    let Some(numkeys) = parse::integer_in_range(
        args.get(numkeys_at),
        1,
        i64::MAX,
        Some(b"ERR numkeys should be greater than 0"),
        reply,
    ) else {
        return;
    };
    let where_at = (numkeys as u64).saturating_add(numkeys_at as u64 + 1);
    if where_at >= args.len() as u64 {
        return reply.error(errors::SYNTAX);
    }
    let where_at = where_at as usize;
    let max = if is(args.get(where_at), "min") {
        false
    } else if is(args.get(where_at), "max") {
        true
    } else {
        return reply.error(errors::SYNTAX);
    };
    let mut count = -1;
    let mut j = where_at + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && is(args.get(j), "count") && more > 0 {
            match parse::integer_in_range(
                args.get(j + 1),
                1,
                i64::MAX,
                Some(b"ERR count should be greater than 0"),
                reply,
            ) {
                Some(n) => count = n,
                None => return,
            }
            j += 2;
        } else {
            return reply.error(errors::SYNTAX);
        }
    }
    if count == -1 {
        count = 1;
    }
    let shape = PopReply {
        emit_key: true,
        nested: true,
        nil_when_empty: true,
    };
    let keys = numkeys_at + 1..where_at;
    if blocking {
        let now = ctx.now_ms();
        let Some(deadline) = parse::timeout_deadline(args.get(1), now, reply) else {
            return;
        };
        blocking_pop(ctx, args, keys, max, count, shape, deadline, reply);
    } else if let Some((key, popped)) = zpop_generic(ctx, keys.map(|i| args.get(i)), max, count, shape, reply) {
        propagate_pop(ctx, key, max, Some(popped));
    }
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
fn zmpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zmpop_generic(ctx, args, 1, false, reply);
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`
fn bzmpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    zmpop_generic(ctx, args, 2, true, reply);
}

// ---------------------------------------------------------------------------
// Random members, scans
// ---------------------------------------------------------------------------

/// `ZRANDMEMBER key [count [WITHSCORES]]`
fn zrandmember(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() >= 3 {
        let Some(count) = parse::integer_in_range(args.get(2), -i64::MAX, i64::MAX, None, reply) else {
            return;
        };
        let withscores = args.len() == 4;
        if args.len() > 4 || (withscores && !is(args.get(3), "withscores")) {
            return reply.error(errors::SYNTAX);
        }
        if withscores && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return reply.error(b"ERR value is out of range");
        }
        return zrandmember_with_count(ctx, args.get(1), count, withscores, reply);
    }
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    let zset = match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => zset,
        Ok(None) => return reply.null(),
        Err(()) => return,
    };
    let rank = server.rng.below(zset.len() as u64) as usize;
    match zset.get(rank) {
        Some((_, member)) => reply.bulk(member),
        None => reply.null(),
    }
}

/// ZRANDMEMBER with a count (`zrandmemberWithCountCommand`).
fn zrandmember_with_count(ctx: &mut Ctx<'_>, key: &[u8], count: i64, withscores: bool, reply: &mut Reply) {
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    let zset = match read_zset(&mut db, key, reply) {
        Ok(Some(zset)) => zset,
        Ok(None) => return reply.empty_array(),
        Err(()) => return,
    };
    let mut scores = ScoreWriter::new();
    let header = |reply: &mut Reply, n: usize| scored_header(reply, n, withscores);
    let emit = |reply: &mut Reply, rank: usize| {
        if let Some((score, member)) = zset.get(rank) {
            scored_member(reply, &mut scores, member, score, withscores);
        }
    };
    random::draw(&zset, count, &mut server.rng, client, reply, header, emit);
}

/// A listpack score as the listpack holds it (what ZSCAN shows): integers
/// up to 2^62 in decimal, anything else `%.17g` (`zzlInsertAt`).
fn write_listpack_score(out: &mut Vec<u8>, score: f64) {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if (-LIMIT..=LIMIT).contains(&score) && (score as i64) as f64 == score {
        out.extend_from_slice(itoa::Buffer::new().format(score as i64).as_bytes());
    } else {
        write_double(out, score);
    }
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
fn zscan(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(cursor) = scan::parse_cursor(args.get(2), reply) else {
        return;
    };
    let mut db = ctx.db();
    let zset = match read_zset(&mut db, args.get(1), reply) {
        Ok(Some(zset)) => zset,
        Ok(None) => return scan::reply_empty(reply),
        Err(()) => return,
    };
    let Some(options) = ScanOptions::parse(args, 3, false, reply) else {
        return;
    };
    let (next, mut found) = match zset {
        // Small sets come whole, with scores as the listpack holds them.
        ZSet::Listpack(entries) => {
            let pairs = entries.iter().map(|(score, member)| {
                let mut text = Vec::with_capacity(24);
                write_listpack_score(&mut text, *score);
                (member.clone(), text)
            });
            (0, pairs.collect())
        }
        ZSet::Skiplist { .. } => scan::walk(cursor, options.count, 2, |cursor, items: &mut Vec<_>| {
            zset.scan(cursor, |member, score| {
                items.push((member.clone(), crate::util::number::double_to_vec(score)))
            })
        }),
    };
    found.retain(|(member, _)| options.matches(member));
    scan::reply_header(reply, next, found.len() * 2);
    for (member, score) in &found {
        reply.bulk(member);
        reply.bulk(score);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{connect, engine_with_client, propagated, send, send_args};
    use crate::engine::Engine;
    use alloc::string::String;
    use std::vec;

    fn engine() -> Engine {
        let (mut engine, _) = engine_with_client();
        engine.record_propagation(true);
        engine
    }

    #[test]
    fn pops_propagate_as_zpop_with_clamped_counts() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "ZADD z 1 a 2 b 3 c");
        send(&mut engine, client, "ZADD y 1 x");
        assert_eq!(
            send(&mut engine, client, "ZMPOP 2 missing z MAX COUNT 10"),
            b"*2\r\n$1\r\nz\r\n*3\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "BZPOPMIN nothing y 0"),
            b"*3\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\n1\r\n"
        );
        assert_eq!(send(&mut engine, client, "ZMPOP 1 z MIN"), b"*-1\r\n");
        send(&mut engine, client, "ZADD w 5 q");
        send(&mut engine, client, "BZMPOP 0 1 w MIN COUNT 3");
        assert_eq!(
            propagated(&mut engine),
            vec![
                "ZADD z 1 a 2 b 3 c",
                "ZADD y 1 x",
                "ZPOPMAX z 3",
                "ZPOPMIN y",
                "ZADD w 5 q",
                "ZPOPMIN w 1"
            ]
        );
    }

    #[test]
    fn a_blocked_pop_is_served_by_the_ready_key_and_propagated() {
        let mut engine = engine();
        let waiter = connect(&mut engine);
        let writer = connect(&mut engine);
        assert_eq!(send(&mut engine, waiter, "BZPOPMAX a b 0"), b"");
        send(&mut engine, writer, "ZADD b 1 one 2 two");
        let out = engine.output(waiter).to_vec();
        engine.consume_output(waiter, out.len());
        assert_eq!(out, b"*3\r\n$1\r\nb\r\n$3\r\ntwo\r\n$1\r\n2\r\n");
        assert_eq!(propagated(&mut engine), vec!["ZADD b 1 one 2 two", "ZPOPMAX b"]);
        // Inside MULTI a blocking pop answers at once.
        send(&mut engine, writer, "MULTI");
        send(&mut engine, writer, "BZPOPMIN nothing 0");
        assert_eq!(send(&mut engine, writer, "EXEC"), b"*1\r\n*-1\r\n");
    }

    #[test]
    fn writes_that_change_nothing_do_not_propagate() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "ZADD z NX 1 a");
        send(&mut engine, client, "ZADD z NX 2 a");
        send(&mut engine, client, "ZREM z nothing");
        send(&mut engine, client, "ZPOPMIN missing");
        send(&mut engine, client, "ZUNIONSTORE dst 1 missing");
        send(&mut engine, client, "ZUNIONSTORE dst 1 z");
        send(&mut engine, client, "ZUNIONSTORE dst 1 missing");
        assert_eq!(
            propagated(&mut engine),
            vec!["ZADD z NX 1 a", "ZUNIONSTORE dst 1 z", "ZUNIONSTORE dst 1 missing"]
        );
    }

    #[test]
    fn plain_sets_are_inputs_scored_one() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "ZADD zs 5 a 7 1 10 z");
        let mut integers = Set::default();
        let mut words = Set::default();
        for member in ["1", "2", "3"] {
            integers.insert(member.as_bytes(), 512);
        }
        for member in ["a", "b"] {
            words.insert(member.as_bytes(), 512);
        }
        let mut db = engine.keyspace.db(0);
        db.add(b"iset", Value::Set(Box::new(integers)));
        db.add(b"tset", Value::Set(Box::new(words)));
        assert_eq!(
            send(&mut engine, client, "ZUNION 3 zs iset tset WITHSCORES"),
            b"*12\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n1\r\n\
              $1\r\na\r\n$1\r\n6\r\n$1\r\n1\r\n$1\r\n8\r\n$1\r\nz\r\n$2\r\n10\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "ZINTER 2 zs tset WEIGHTS 2 3 WITHSCORES"),
            b"*2\r\n$1\r\na\r\n$2\r\n13\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "ZDIFF 2 tset zs WITHSCORES"),
            b"*2\r\n$1\r\nb\r\n$1\r\n1\r\n"
        );
        assert_eq!(send(&mut engine, client, "ZINTERCARD 2 iset zs"), b":1\r\n");
        assert_eq!(send(&mut engine, client, "ZINTERSTORE out 2 iset iset"), b":3\r\n");
        assert_eq!(
            send(&mut engine, client, "ZRANGE out 0 -1 WITHSCORES"),
            b"*6\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n2\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n2\r\n"
        );
        // Sets are inputs only.
        assert_eq!(
            send(&mut engine, client, "ZRANGE tset 0 -1"),
            errors_line(errors::WRONG_TYPE)
        );
    }

    fn errors_line(message: &[u8]) -> Vec<u8> {
        let mut line = b"-".to_vec();
        line.extend_from_slice(message);
        line.extend_from_slice(b"\r\n");
        line
    }

    #[test]
    fn range_bounds_parse_like_strtod() {
        assert_eq!(parse_range_number(b""), Some(0.0));
        assert_eq!(parse_range_number(b"  1.5"), Some(1.5));
        assert_eq!(parse_range_number(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_range_number(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_range_number(b"3\x00junk"), Some(3.0));
        assert_eq!(parse_range_number(b"nan"), None);
        assert_eq!(parse_range_number(b"1 "), None);
        assert_eq!(parse_range_number(b"  "), None);
        assert_eq!(parse_range_number(b"abc"), None);
        let range = parse_score_range(b"(1", b"(").unwrap();
        assert!(range.min_exclusive && range.max_exclusive && range.max == 0.0);
        assert_eq!(parse_lex_bound(b"+"), Some(LexBound::Max));
        assert_eq!(parse_lex_bound(b"+a"), None);
        assert_eq!(parse_lex_bound(b""), None);
        assert_eq!(parse_lex_bound(b"(a"), Some(LexBound::Exclusive(b"a")));
    }

    #[test]
    fn integer_fast_path_prints_like_g17() {
        let mut writer = ScoreWriter::new();
        for value in [
            1.0,
            -1.0,
            42.0,
            -0.0,
            0.0,
            1e16,
            72057594037927936.0,
            99999999999999984.0,
            1e17,
            -1e17,
            123456789012345678.0,
            0.5,
            f64::INFINITY,
        ] {
            let mut reply = Reply::new();
            writer.write(&mut reply, value);
            let mut expected = Reply::new();
            expected.bulk(&crate::util::number::double_to_vec(value));
            assert_eq!(reply.bytes(), expected.bytes(), "{value}");
        }
    }

    #[test]
    fn listpack_scores_print_as_stored() {
        let text = |score: f64| {
            let mut out = Vec::new();
            write_listpack_score(&mut out, score);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(text(1e17), "100000000000000000");
        assert_eq!(text(1.5), "1.5");
        assert_eq!(text(1e19), "1e+19");
        assert_eq!(text(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn big_sets_answer_ranks_and_ranges() {
        let mut engine = engine();
        let client = connect(&mut engine);
        let mut zadd = vec![String::from("ZADD"), String::from("big")];
        for i in 0..20_000 {
            zadd.push(alloc::format!("{}", i % 1000));
            zadd.push(alloc::format!("m{:05}", i));
        }
        assert_eq!(send_args(&mut engine, client, &zadd), b":20000\r\n");
        assert_eq!(send(&mut engine, client, "ZRANK big m00001"), b":20\r\n");
        assert_eq!(send(&mut engine, client, "ZREVRANK big m00001"), b":19979\r\n");
        assert_eq!(send(&mut engine, client, "ZCOUNT big 10 (12"), b":40\r\n");
        assert_eq!(
            send(&mut engine, client, "ZRANGE big 20 21"),
            b"*2\r\n$6\r\nm00001\r\n$6\r\nm01001\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "ZRANGE big (998 +inf BYSCORE LIMIT 1 2 WITHSCORES"),
            b"*4\r\n$6\r\nm01999\r\n$3\r\n999\r\n$6\r\nm02999\r\n$3\r\n999\r\n"
        );
        assert_eq!(send(&mut engine, client, "ZREMRANGEBYRANK big 0 9999"), b":10000\r\n");
        assert_eq!(send(&mut engine, client, "ZCARD big"), b":10000\r\n");
        assert_eq!(send(&mut engine, client, "ZRANK big m00999"), b":9980\r\n");
    }
}
