//! Set commands (Redis's `t_set.c`): adding, removing and testing members,
//! random members and pops, moves between sets, the set algebra (SINTER,
//! SUNION, SDIFF, their STORE forms and SINTERCARD) and SSCAN. The value
//! type lives in [`crate::keyspace::set`].
//!
//! Where Redis's reply order is deterministic ours is the same: an intset
//! replies in ascending order, and the algebra builds its result the way
//! Redis does (a new set that starts as an intset, filled in Redis's
//! iteration order), so the result's encoding, and with it the reply order
//! and what a STORE form leaves behind, match. A hash table's order is its
//! own (Redis's depends on its SipHash seed).
//!
//! SPOP is propagated as its effects, as Redis 7.0 does: `SREM key member`
//! without a count, `DEL key` when a count takes the whole set, one
//! `SREM key member` per popped member otherwise.

use super::errors;
use super::parse::{self, is};
use super::random;
use super::scan::{self, ScanOptions};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::string::reply_str;
use super::{remove_members, typed, typed_mut, Ctx};
use crate::keyspace::set::Set;
use crate::keyspace::{CompactBytes, DbMut, Value};
use crate::resp::reply::{DeferredKind, Reply};
use crate::resp::request::{Args, OwnedArgs};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ops::Range;

const S: Group = Group::Set;
const SET: u64 = acl::SET;
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO)];
const ONE_READ: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const ALL_READ: &[KeySpec] = &[KeySpec::range(1, -1, 1, 0, RO | ACCESS)];
const ORDER_TIPS: &[&str] = &["nondeterministic_output_order"];
const RANDOM_TIPS: &[&str] = &["nondeterministic_output"];

/// The set commands.
pub static COMMANDS: &[Command] = &[
    Command::new("sadd", -3, WRITE | DENYOOM | FAST, S, sadd)
        .acl(SET)
        .keys(&[KeySpec::one(1, RW | INSERT)])
        .doc(
            "1.0.0",
            "O(1) per member added, O(N) for N members.",
            "Adds members to a set; creates the key if needed.",
        ),
    Command::new("scard", 2, READONLY | FAST, S, scard)
        .acl(SET)
        .keys(ONE_RO)
        .doc("1.0.0", "O(1)", "Counts the members of a set."),
    Command::new("sdiff", -2, READONLY, S, sdiff)
        .acl(SET)
        .keys(ALL_READ)
        .tips(ORDER_TIPS)
        .doc(
            "1.0.0",
            "O(N) where N is the total number of members of all the sets.",
            "Returns the members of the first set that are in none of the others.",
        ),
    Command::new("sdiffstore", -3, WRITE | DENYOOM, S, sdiffstore)
        .acl(SET)
        .keys(&[KeySpec::one(1, OW | UPDATE), KeySpec::range(2, -1, 1, 0, RO | ACCESS)])
        .doc(
            "1.0.0",
            "O(N) where N is the total number of members of all the sets.",
            "Stores the difference of sets in a key.",
        ),
    Command::new("sinter", -2, READONLY, S, sinter)
        .acl(SET)
        .keys(ALL_READ)
        .tips(ORDER_TIPS)
        .doc(
            "1.0.0",
            "O(N*M) worst case, N being the smallest set and M the number of sets.",
            "Returns the members common to several sets.",
        ),
    Command::new("sintercard", -3, READONLY, S, sintercard)
        .acl(SET)
        .keys(&[KeySpec::keynum(1, RO | ACCESS)])
        .doc(
            "7.0.0",
            "O(N*M) worst case, N being the smallest set and M the number of sets.",
            "Counts the members common to several sets.",
        ),
    Command::new("sinterstore", -3, WRITE | DENYOOM, S, sinterstore)
        .acl(SET)
        .keys(&[KeySpec::one(1, RW | UPDATE), KeySpec::range(2, -1, 1, 0, RO | ACCESS)])
        .doc(
            "1.0.0",
            "O(N*M) worst case, N being the smallest set and M the number of sets.",
            "Stores the intersection of sets in a key.",
        ),
    Command::new("sismember", 3, READONLY | FAST, S, sismember)
        .acl(SET)
        .keys(ONE_RO)
        .doc("1.0.0", "O(1)", "Tells whether a member is in a set."),
    Command::new("smembers", 2, READONLY, S, smembers)
        .acl(SET)
        .keys(ONE_READ)
        .tips(ORDER_TIPS)
        .doc(
            "1.0.0",
            "O(N) where N is the size of the set.",
            "Returns every member of a set.",
        ),
    Command::new("smismember", -3, READONLY | FAST, S, smismember)
        .acl(SET)
        .keys(ONE_READ)
        .doc(
            "6.2.0",
            "O(N) where N is the number of members asked about.",
            "Tells for each of several members whether it is in a set.",
        ),
    Command::new("smove", 4, WRITE | FAST, S, smove)
        .acl(SET)
        .keys(&[KeySpec::one(1, RW | ACCESS | DELETE), KeySpec::one(2, RW | INSERT)])
        .doc("1.0.0", "O(1)", "Moves a member from one set to another."),
    Command::new("spop", -2, WRITE | FAST, S, spop)
        .acl(SET)
        .keys(&[KeySpec::one(1, RW | ACCESS | DELETE)])
        .tips(RANDOM_TIPS)
        .doc(
            "1.0.0",
            "O(1) without a count, O(N) for N members popped.",
            "Removes and returns random members; deletes the key when none is left.",
        ),
    Command::new("srandmember", -2, READONLY, S, srandmember)
        .acl(SET)
        .keys(ONE_READ)
        .tips(RANDOM_TIPS)
        .doc(
            "1.0.0",
            "O(1) without a count, O(N) for N members returned.",
            "Returns random members of a set without removing them.",
        ),
    Command::new("srem", -3, WRITE | FAST, S, srem)
        .acl(SET)
        .keys(&[KeySpec::one(1, RW | DELETE)])
        .doc(
            "1.0.0",
            "O(N) where N is the number of members removed.",
            "Removes members from a set; deletes the key when none is left.",
        ),
    Command::new("sscan", -3, READONLY, S, sscan)
        .acl(SET)
        .keys(ONE_READ)
        .tips(RANDOM_TIPS)
        .doc(
            "2.8.0",
            "O(1) per call, O(N) for a whole iteration.",
            "Iterates over the members of a set.",
        ),
    Command::new("sunion", -2, READONLY, S, sunion)
        .acl(SET)
        .keys(ALL_READ)
        .tips(ORDER_TIPS)
        .doc(
            "1.0.0",
            "O(N) where N is the total number of members of all the sets.",
            "Returns the union of several sets.",
        ),
    Command::new("sunionstore", -3, WRITE | DENYOOM, S, sunionstore)
        .acl(SET)
        .keys(&[KeySpec::one(1, OW | UPDATE), KeySpec::range(2, -1, 1, 0, RO | ACCESS)])
        .doc(
            "1.0.0",
            "O(N) where N is the total number of members of all the sets.",
            "Stores the union of several sets in a key.",
        ),
];

/// SPOP removes members one by one while the set keeps more than this
/// many times the members popped; else it keeps a few random members in a
/// new set and replies the rest (`SPOP_MOVE_STRATEGY_MUL`).
const SPOP_MOVE_STRATEGY_MUL: usize = 5;

// ---------------------------------------------------------------------------
// Lookups and replies
// ---------------------------------------------------------------------------

/// The set under `key` for reading (`lookupKeyRead` + `checkType`):
/// `Ok(None)` when absent, `Err(())` after a WRONGTYPE reply.
fn read_set<'a>(db: &'a mut DbMut<'_>, key: &[u8], reply: &mut Reply) -> Result<Option<&'a Set>, ()> {
    typed(db.get_value(key), reply)
}

/// The set under `key` for writing (`lookupKeyWrite` + `checkType`).
fn write_set<'a>(db: &'a mut DbMut<'_>, key: &[u8], reply: &mut Reply) -> Result<Option<&'a mut Set>, ()> {
    typed_mut(db.get_value_mut(key), reply)
}

/// `set-max-intset-entries`.
fn max_intset(ctx: &Ctx<'_>) -> usize {
    ctx.config().hot().set_max_intset_entries
}

/// Stores the result of SINTERSTORE, SUNIONSTORE or SDIFFSTORE: an empty
/// result deletes `dst`, anything else replaces it (dropping its TTL).
/// Replies with the result's size.
fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], result: Set, reply: &mut Reply) {
    if result.is_empty() {
        reply.integer(0);
        if ctx.db().delete(dst) {
            ctx.dirty(1);
        }
        return;
    }
    let len = result.len();
    ctx.db().set(dst, Value::Set(Box::new(result)), false);
    ctx.dirty(1);
    reply.integer(len as i64);
}

// ---------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------

/// `SADD key member [member ...]`
fn sadd(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    let max = max_intset(ctx);
    let mut db = ctx.db();
    let added = match write_set(&mut db, key, reply) {
        Err(()) => return,
        Ok(Some(set)) => {
            let added = add_members(set, args, max);
            if added > 0 {
                db.signal_modified(key);
            }
            added
        }
        Ok(None) => {
            let mut set = Set::for_first_member(args.get(2));
            let added = add_members(&mut set, args, max);
            db.add(key, Value::Set(Box::new(set)));
            added
        }
    };
    ctx.dirty(added as u64);
    reply.integer(added as i64);
}

/// Adds SADD's members (arguments 2 and on); returns how many were new.
fn add_members(set: &mut Set, args: Args<'_>, max: usize) -> usize {
    let mut added = 0;
    for member in args.iter().skip(2) {
        added += set.insert(member, max) as usize;
    }
    added
}

/// `SREM key member [member ...]`
fn srem(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    remove_members::<Set>(ctx, args, reply);
}

/// `SCARD key`
fn scard(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(set) = read_set(&mut db, args.get(1), reply) {
        reply.integer(set.map_or(0, Set::len) as i64);
    }
}

/// `SISMEMBER key member`
fn sismember(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(set) = read_set(&mut db, args.get(1), reply) {
        reply.integer(set.is_some_and(|set| set.contains(args.get(2))) as i64);
    }
}

/// `SMISMEMBER key member [member ...]`
fn smismember(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let Ok(set) = read_set(&mut db, args.get(1), reply) else {
        return;
    };
    reply.array(args.len() - 2);
    for member in args.iter().skip(2) {
        reply.integer(set.is_some_and(|set| set.contains(member)) as i64);
    }
}

/// `SMOVE source destination member`
fn smove(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let (src, dst, member) = (args.get(1), args.get(2), args.get(3));
    let max = max_intset(ctx);
    let mut db = ctx.db();
    // Both lookups come first (lazy expiry), then the checks in Redis's
    // order: a missing source answers 0 whatever the destination holds.
    let kind = |value: Option<&mut Value>| value.map(|v| matches!(v, Value::Set(_)));
    let src_is_set = kind(db.get_value_mut(src));
    let dst_is_set = kind(db.get_value_mut(dst));
    let Some(src_is_set) = src_is_set else {
        return reply.integer(0);
    };
    if !src_is_set || dst_is_set == Some(false) {
        return reply.error(errors::WRONG_TYPE);
    }
    let Some(Value::Set(source)) = db.get_value_mut(src) else {
        return reply.integer(0);
    };
    if src == dst {
        return reply.integer(source.contains(member) as i64);
    }
    if !source.remove(member) {
        return reply.integer(0);
    }
    if source.is_empty() {
        db.delete(src);
    } else {
        db.signal_modified(src);
    }
    let added = match db.get_value_mut(dst) {
        Some(Value::Set(destination)) => {
            let added = destination.insert(member, max);
            if added {
                db.signal_modified(dst);
            }
            added
        }
        _ => {
            let mut destination = Set::for_first_member(member);
            destination.insert(member, max);
            db.add(dst, Value::Set(Box::new(destination)));
            true
        }
    };
    ctx.dirty(1 + added as u64);
    reply.integer(1);
}

// ---------------------------------------------------------------------------
// Random members and pops
// ---------------------------------------------------------------------------

/// `SPOP key [count]`
fn spop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    match args.len() {
        3 => return spop_with_count(ctx, args, reply),
        n if n > 3 => return reply.error(errors::SYNTAX),
        _ => {}
    }
    let key = args.get(1);
    let popped = {
        let Ctx {
            keyspace,
            server,
            client,
            ..
        } = ctx;
        let mut db = keyspace.db(client.db);
        let set = match write_set(&mut db, key, reply) {
            Err(()) => return,
            Ok(None) => return reply.null(),
            Ok(Some(set)) => set,
        };
        let Some(member) = set.pop_random(&mut server.rng) else {
            return reply.null();
        };
        let emptied = set.is_empty();
        db.settle(key, emptied, true);
        member
    };
    reply.bulk(&popped);
    ctx.dirty(1);
    ctx.propagate_as(OwnedArgs::from_slices([&b"SREM"[..], key, &popped]));
}

/// SPOP with a count (`spopWithCountCommand`). The reply is a set.
fn spop_with_count(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(count) = parse::positive_integer(args.get(2), reply) else {
        return;
    };
    let key = args.get(1);
    let max = max_intset(ctx);
    let size = {
        let mut db = ctx.db();
        match write_set(&mut db, key, reply) {
            Err(()) => return,
            Ok(None) => return reply.set(0),
            Ok(Some(set)) => set.len(),
        }
    };
    if count == 0 {
        return reply.set(0);
    }
    let count = count as u64;
    // Case 1: the whole set, replied as SUNION of the key would reply it,
    // then deleted; propagated as DEL.
    if count >= size as u64 {
        let mut db = ctx.db();
        if let Ok(Some(set)) = read_set(&mut db, key, reply) {
            reply_as_new_set(set, max, reply);
        }
        db.delete(key);
        ctx.dirty(size as u64);
        ctx.propagate_as(OwnedArgs::from_slices([&b"DEL"[..], key]));
        return;
    }
    let count = count as usize;
    let remaining = size - count;
    let mut popped: Vec<CompactBytes> = Vec::with_capacity(count);
    {
        let Ctx {
            keyspace,
            server,
            client,
            ..
        } = ctx;
        let mut db = keyspace.db(client.db);
        let Some(Value::Set(set)) = db.get_value_mut(key) else {
            return reply.set(0);
        };
        reply.set(count);
        if remaining.saturating_mul(SPOP_MOVE_STRATEGY_MUL) > count {
            // Case 2: few members popped: take them one by one.
            for _ in 0..count {
                if let Some(member) = set.pop_random(&mut server.rng) {
                    reply.bulk(&member);
                    popped.push(member);
                }
            }
        } else {
            // Case 3: most of the set popped: move the few members that
            // stay into a new set, reply what is left of the old one, and
            // keep the new one under the key (its TTL too). The new set
            // starts from its first member's encoding, so a hash table
            // may become an intset again, as in Redis.
            let mut kept: Option<Set> = None;
            for _ in 0..remaining {
                if let Some(member) = set.pop_random(&mut server.rng) {
                    kept.get_or_insert_with(|| Set::for_first_member(&member))
                        .insert(&member, max);
                }
            }
            for member in set.iter() {
                reply_str(reply, member);
                popped.push(member.to_compact());
            }
            if let Some(kept) = kept {
                **set = kept;
            }
        }
        db.signal_modified(key);
    }
    ctx.dirty(count as u64);
    ctx.suppress_propagation();
    for member in &popped {
        ctx.also_propagate(OwnedArgs::from_slices([&b"SREM"[..], key, member]));
    }
}

/// Replies `set`'s members as a set reply in the order a copy built by
/// adding them one by one to an empty intset would have: ascending when
/// the copy stays an intset (every member an integer, few enough),
/// otherwise a hash table's order, for which the source's own will do.
fn reply_as_new_set(set: &Set, max: usize, reply: &mut Reply) {
    reply.set(set.len());
    if let Set::Table(_) = set {
        if set.len() <= max.min(crate::keyspace::set::INTSET_HARD_LIMIT) {
            let mut ints = Vec::with_capacity(set.len());
            let all_integers = set.iter().all(|member| {
                let n = member.with_bytes(crate::util::number::parse_i64);
                ints.extend(n);
                n.is_some()
            });
            if all_integers {
                ints.sort_unstable();
                for n in ints {
                    reply.bulk_integer(n);
                }
                return;
            }
        }
    }
    for member in set.iter() {
        reply_str(reply, member);
    }
}

/// `SRANDMEMBER key [count]`
fn srandmember(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    match args.len() {
        3 => return srandmember_with_count(ctx, args, reply),
        n if n > 3 => return reply.error(errors::SYNTAX),
        _ => {}
    }
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    match read_set(&mut db, args.get(1), reply) {
        Err(()) => {}
        Ok(None) => reply.null(),
        Ok(Some(set)) => match set.random(&mut server.rng) {
            Some(member) => reply_str(reply, member),
            None => reply.null(),
        },
    }
}

/// SRANDMEMBER with a count (`srandmemberWithCountCommand`): a negative
/// count may repeat members, a positive one returns distinct members.
fn srandmember_with_count(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(count) = parse::integer_in_range(args.get(2), -i64::MAX, i64::MAX, None, reply) else {
        return;
    };
    let Ctx {
        keyspace,
        server,
        client,
        ..
    } = ctx;
    let mut db = keyspace.db(client.db);
    let set = match read_set(&mut db, args.get(1), reply) {
        Err(()) => return,
        Ok(None) => return reply.empty_array(),
        Ok(Some(set)) => set,
    };
    let header = |reply: &mut Reply, n: usize| reply.array(n);
    random::draw(&set, count, &mut server.rng, client, reply, header, reply_str);
}

// ---------------------------------------------------------------------------
// The set algebra
// ---------------------------------------------------------------------------

/// `SMEMBERS key`: the intersection of one set.
fn smembers(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sinter_generic(ctx, args, 1..2, None, Intersection::Members, reply);
}

/// `SINTER key [key ...]`
fn sinter(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sinter_generic(ctx, args, 1..args.len(), None, Intersection::Members, reply);
}

/// `SINTERSTORE destination key [key ...]`
fn sinterstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sinter_generic(
        ctx,
        args,
        2..args.len(),
        Some(args.get(1)),
        Intersection::Members,
        reply,
    );
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
fn sintercard(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let message: &[u8] = b"ERR numkeys should be greater than 0";
    let Some(numkeys) = parse::integer_in_range(args.get(1), 1, i64::MAX, Some(message), reply) else {
        return;
    };
    if numkeys as u64 > (args.len() - 2) as u64 {
        return reply.error(b"ERR Number of keys can't be greater than number of args");
    }
    let keys = 2..2 + numkeys as usize;
    let mut limit = 0;
    let mut j = keys.end;
    while j < args.len() {
        if is(args.get(j), "limit") && j + 1 < args.len() {
            let message: &[u8] = b"ERR LIMIT can't be negative";
            let Some(n) = parse::integer_in_range(args.get(j + 1), 0, i64::MAX, Some(message), reply) else {
                return;
            };
            limit = n as usize;
            j += 2;
        } else {
            return reply.error(errors::SYNTAX);
        }
    }
    sinter_generic(ctx, args, keys, None, Intersection::Cardinality(limit), reply);
}

/// What an intersection produces.
#[derive(Clone, Copy)]
enum Intersection {
    /// The members (replied, or stored).
    Members,
    /// Only their number, stopping at the limit (0: none).
    Cardinality(usize),
}

/// SINTER, SMEMBERS, SINTERSTORE and SINTERCARD (`sinterGenericCommand`):
/// the members of the smallest set that every other set holds, in the
/// smallest set's order. `keys` are argument positions.
fn sinter_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    keys: Range<usize>,
    dst: Option<&[u8]>,
    what: Intersection,
    reply: &mut Reply,
) {
    let max = max_intset(ctx);
    // Pass 1: every lookup (lazy expiry, statistics, types) before any
    // answer; a missing key makes the intersection empty.
    let mut any_missing = false;
    {
        let mut db = ctx.db();
        for i in keys.clone() {
            match read_set(&mut db, args.get(i), reply) {
                Err(()) => return,
                Ok(None) => any_missing = true,
                Ok(Some(_)) => {}
            }
        }
    }
    if any_missing {
        return match (dst, what) {
            (Some(dst), _) => store_result(ctx, dst, Set::default(), reply),
            (None, Intersection::Cardinality(_)) => reply.integer(0),
            (None, Intersection::Members) => reply.set(0),
        };
    }
    // Pass 2: the sets themselves, all borrowed at once, smallest first
    // (a stable sort, as glibc's qsort is for these sizes).
    let mut result = Set::default();
    let mut cardinality = 0usize;
    {
        let mut db = ctx.db();
        let raw: &crate::keyspace::Db = db.raw();
        let mut sets: Vec<&Set> = keys
            .map(|i| match raw.peek(args.get(i)).map(|entry| &entry.value) {
                Some(Value::Set(set)) => set.as_ref(),
                _ => &EMPTY_SET,
            })
            .collect();
        sets.sort_by_key(|set| set.len());
        let Some((&first, others)) = sets.split_first() else {
            return reply.set(0);
        };
        let only_first = others.iter().all(|&set| core::ptr::eq(set, first));
        if only_first && dst.is_none() && matches!(what, Intersection::Members) {
            // SMEMBERS: the size is known, no deferred header to patch.
            reply.set(first.len());
            for member in first.iter() {
                reply_str(reply, member);
            }
            return;
        }
        let deferred =
            (dst.is_none() && matches!(what, Intersection::Members)).then(|| reply.deferred(DeferredKind::Set));
        for member in first.iter() {
            let everywhere = others
                .iter()
                .all(|&set| core::ptr::eq(set, first) || set.contains_member(member));
            if !everywhere {
                continue;
            }
            match what {
                Intersection::Cardinality(limit) => {
                    cardinality += 1;
                    if limit != 0 && cardinality >= limit {
                        break;
                    }
                }
                Intersection::Members if dst.is_some() => {
                    result.insert_member(member, max);
                }
                Intersection::Members => {
                    reply_str(reply, member);
                    cardinality += 1;
                }
            }
        }
        if let Some(deferred) = deferred {
            return reply.complete(deferred, cardinality);
        }
    }
    match dst {
        Some(dst) => store_result(ctx, dst, result, reply),
        None => reply.integer(cardinality as i64),
    }
}

/// Stands in for a key that vanished between the two passes (it cannot,
/// but a missing set must not panic).
static EMPTY_SET: Set = Set::Intset(Vec::new(), 2);

/// `SUNION key [key ...]`
fn sunion(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sunion_diff_generic(ctx, args, 1..args.len(), None, SetOp::Union, reply);
}

/// `SUNIONSTORE destination key [key ...]`
fn sunionstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sunion_diff_generic(ctx, args, 2..args.len(), Some(args.get(1)), SetOp::Union, reply);
}

/// `SDIFF key [key ...]`
fn sdiff(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sunion_diff_generic(ctx, args, 1..args.len(), None, SetOp::Diff, reply);
}

/// `SDIFFSTORE destination key [key ...]`
fn sdiffstore(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sunion_diff_generic(ctx, args, 2..args.len(), Some(args.get(1)), SetOp::Diff, reply);
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

/// SUNION, SDIFF and their STORE forms (`sunionDiffGenericCommand`). The
/// result is a new set that starts as an intset and takes the members in
/// Redis's order, with Redis's choice of difference algorithm: the two
/// can leave different encodings, hence different reply orders.
fn sunion_diff_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    keys: Range<usize>,
    dst: Option<&[u8]>,
    op: SetOp,
    reply: &mut Reply,
) {
    let max = max_intset(ctx);
    // Pass 1: lookups and types; a missing key is an empty set.
    let mut present = Vec::with_capacity(keys.len());
    {
        let mut db = ctx.db();
        for i in keys.clone() {
            match read_set(&mut db, args.get(i), reply) {
                Err(()) => return,
                Ok(set) => present.push(set.is_some()),
            }
        }
    }
    let mut result = Set::default();
    {
        let mut db = ctx.db();
        let raw: &crate::keyspace::Db = db.raw();
        let mut sets: Vec<Option<&Set>> = keys
            .clone()
            .zip(&present)
            .map(|(i, &here)| match raw.peek(args.get(i)).map(|entry| &entry.value) {
                Some(Value::Set(set)) if here => Some(set.as_ref()),
                _ => None,
            })
            .collect();
        match op {
            SetOp::Union => {
                for set in sets.iter().flatten() {
                    for member in set.iter() {
                        result.insert_member(member, max);
                    }
                }
            }
            SetOp::Diff => {
                if let Some(first) = sets.first().copied().flatten() {
                    let first_key = args.get(keys.start);
                    // A set minus itself is empty.
                    let same_set = keys.clone().skip(1).any(|i| args.get(i) == first_key);
                    if !same_set {
                        diff_into(&mut result, first, &mut sets[1..], max);
                    }
                }
            }
        }
    }
    match dst {
        Some(dst) => store_result(ctx, dst, result, reply),
        None => {
            reply.set(result.len());
            for member in result.iter() {
                reply_str(reply, member);
            }
        }
    }
}

/// `first` minus `others` into the empty `result`, with the algorithm
/// Redis would pick: the first set's members tested against the others
/// when that is less work (counting it as half), else every member of the
/// first set added and every member of the others removed.
fn diff_into(result: &mut Set, first: &Set, others: &mut [Option<&Set>], max: usize) {
    let present = others.iter().flatten().count() + 1;
    let test_work = (first.len() * present) / 2;
    let remove_work: usize = first.len() + others.iter().flatten().map(|set| set.len()).sum::<usize>();
    if test_work <= remove_work {
        // Largest first: a member is likelier to be found early.
        others.sort_by_key(|set| core::cmp::Reverse(set.map_or(0, Set::len)));
        for member in first.iter() {
            if !others.iter().flatten().any(|set| set.contains_member(member)) {
                result.insert_member(member, max);
            }
        }
    } else {
        for member in first.iter() {
            result.insert_member(member, max);
        }
        for set in others.iter().flatten() {
            if result.is_empty() {
                break;
            }
            for member in set.iter() {
                result.remove_member(member);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`
fn sscan(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(cursor) = scan::parse_cursor(args.get(2), reply) else {
        return;
    };
    let mut db = ctx.db();
    let set = match read_set(&mut db, args.get(1), reply) {
        Err(()) => return,
        Ok(None) => return scan::reply_empty(reply),
        Ok(Some(set)) => set,
    };
    let Some(options) = ScanOptions::parse(args, 3, false, reply) else {
        return;
    };
    // An intset comes whole, with cursor 0.
    let (next, mut found) = scan::walk(cursor, options.count, 1, |cursor, items: &mut Vec<CompactBytes>| {
        set.scan(cursor, |member| items.push(member.to_compact()))
    });
    found.retain(|member| options.matches(member));
    scan::reply_header(reply, next, found.len());
    for member in &found {
        reply.bulk(member);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{engine_with_client, propagated, send};
    use crate::engine::{ClientHandle, Engine};
    use crate::resp::frame::{self, Frame, FrameLimits};
    use alloc::collections::BTreeSet;
    use alloc::string::String;
    use std::vec;

    fn engine() -> (Engine, ClientHandle) {
        let (mut engine, client) = engine_with_client();
        engine.record_propagation(true);
        (engine, client)
    }

    /// The bulk strings of an array or set reply.
    fn members(reply: &[u8]) -> Vec<String> {
        let (frame, _) = frame::parse(reply, &FrameLimits::default()).expect("a reply");
        match frame {
            Frame::Array(items) | Frame::Set(items) => items
                .into_iter()
                .map(|item| match item {
                    Frame::Bulk(bytes) => String::from_utf8(bytes).expect("utf-8"),
                    other => panic!("not a bulk: {other:?}"),
                })
                .collect(),
            other => panic!("not an array: {other:?}"),
        }
    }

    fn encoding(engine: &mut Engine, key: &str) -> &'static str {
        match engine.keyspace.db(0).get_value(key.as_bytes()) {
            Some(Value::Set(set)) => set.encoding_name(),
            Some(_) => "not a set",
            None => "missing",
        }
    }

    #[test]
    fn spop_propagates_each_removal_and_del_for_the_whole_set() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "SADD s 1 2 3 4 5 6 7 8 9 10");
        let one = members(&send(&mut engine, client, "SPOP s 1"));
        let single = send(&mut engine, client, "SPOP s");
        let single = String::from_utf8(single[single.len() - 3..single.len() - 2].to_vec()).unwrap();
        // Case 2: two members, one by one.
        let two = members(&send(&mut engine, client, "SPOP s 2"));
        // Case 3: five of six; the member left moves to a new set.
        let five = members(&send(&mut engine, client, "SPOP s 5"));
        assert_eq!(five.len(), 5);
        let left = members(&send(&mut engine, client, "SMEMBERS s"));
        assert_eq!(left.len(), 1);
        let mut all: Vec<String> = [
            one.clone(),
            vec![single.clone()],
            two.clone(),
            five.clone(),
            left.clone(),
        ]
        .concat();
        all.sort_by_key(|m| m.parse::<i64>().unwrap());
        assert_eq!(all, ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
        // Case 1: the whole set.
        assert_eq!(members(&send(&mut engine, client, "SPOP s 5")), left);
        assert_eq!(send(&mut engine, client, "EXISTS s"), b":0\r\n");
        // Nothing to pop: nothing propagated.
        send(&mut engine, client, "SPOP s");
        send(&mut engine, client, "SPOP s 3");
        send(&mut engine, client, "SADD t x");
        send(&mut engine, client, "SPOP t 0");
        let mut expected = vec![String::from("SADD s 1 2 3 4 5 6 7 8 9 10")];
        expected.push(alloc::format!("SREM s {}", one[0]));
        expected.push(alloc::format!("SREM s {single}"));
        expected.push("MULTI".into());
        expected.extend(two.iter().map(|m| alloc::format!("SREM s {m}")));
        expected.push("EXEC".into());
        expected.push("MULTI".into());
        expected.extend(five.iter().map(|m| alloc::format!("SREM s {m}")));
        expected.push("EXEC".into());
        expected.push("DEL s".into());
        expected.push("SADD t x".into());
        assert_eq!(propagated(&mut engine), expected);
    }

    #[test]
    fn spop_keeping_few_members_rebuilds_the_encoding_and_keeps_the_ttl() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "CONFIG SET set-max-intset-entries 4");
        send(&mut engine, client, "SADD s 1 2 3 4 5 6 7 8 9 10");
        send(&mut engine, client, "EXPIRE s 100");
        assert_eq!(encoding(&mut engine, "s"), "hashtable");
        assert_eq!(members(&send(&mut engine, client, "SPOP s 9")).len(), 9);
        assert_eq!(encoding(&mut engine, "s"), "intset");
        assert_eq!(send(&mut engine, client, "TTL s"), b":100\r\n");
        // A count that takes the whole hash table of integers replies it
        // as a new intset would: sorted.
        send(&mut engine, client, "SADD h 9 x 7 8");
        send(&mut engine, client, "SREM h x");
        assert_eq!(members(&send(&mut engine, client, "SPOP h 3")), ["7", "8", "9"]);
    }

    #[test]
    fn store_results_take_the_encoding_redis_builds() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "SADD i1 1 2 3 4");
        send(&mut engine, client, "SADD i2 3 4 5");
        send(&mut engine, client, "SADD h1 a 3 4 9");
        send(&mut engine, client, "SADD h2 a 4");
        send(&mut engine, client, "SINTERSTORE d i1 i2");
        assert_eq!(encoding(&mut engine, "d"), "intset");
        // Integers found in hash tables still make an intset.
        assert_eq!(send(&mut engine, client, "SINTERSTORE d h1 i1"), b":2\r\n");
        assert_eq!(encoding(&mut engine, "d"), "intset");
        send(&mut engine, client, "SINTERSTORE d h1 h2");
        assert_eq!(encoding(&mut engine, "d"), "hashtable");
        send(&mut engine, client, "SUNIONSTORE d i1 i2");
        assert_eq!(encoding(&mut engine, "d"), "intset");
        // Difference by testing the first set's members: survivors only.
        assert_eq!(send(&mut engine, client, "SDIFFSTORE d h1 h2"), b":2\r\n");
        assert_eq!(encoding(&mut engine, "d"), "intset");
        // Difference by removing from a copy of the first set: the copy's
        // hash table stays although only integers are left.
        send(&mut engine, client, "SADD s1 a");
        send(&mut engine, client, "SADD s2 b");
        send(&mut engine, client, "SADD s3 c");
        assert_eq!(send(&mut engine, client, "SDIFFSTORE d h1 s1 s2 s3"), b":3\r\n");
        assert_eq!(encoding(&mut engine, "d"), "hashtable");
        // Past the threshold the result is a hash table.
        send(&mut engine, client, "CONFIG SET set-max-intset-entries 4");
        send(&mut engine, client, "SUNIONSTORE d i1 i2");
        assert_eq!(encoding(&mut engine, "d"), "hashtable");
        send(&mut engine, client, "SUNIONSTORE d i1");
        assert_eq!(encoding(&mut engine, "d"), "intset");
        send(&mut engine, client, "SADD d 5");
        assert_eq!(encoding(&mut engine, "d"), "hashtable");
        send(&mut engine, client, "SREM d 5");
        assert_eq!(encoding(&mut engine, "d"), "hashtable");
    }

    #[test]
    fn writes_that_change_nothing_do_not_propagate() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "SADD s 1 2");
        send(&mut engine, client, "SADD s 1 2");
        send(&mut engine, client, "SREM s 9");
        send(&mut engine, client, "SREM missing 1");
        send(&mut engine, client, "SMOVE s t 9");
        send(&mut engine, client, "SMOVE s s 1");
        send(&mut engine, client, "SMOVE s t 1");
        send(&mut engine, client, "SADD t 2");
        send(&mut engine, client, "SMOVE s t 2");
        send(&mut engine, client, "SINTERSTORE d s missing");
        send(&mut engine, client, "SUNIONSTORE d t");
        send(&mut engine, client, "SDIFFSTORE d t t");
        send(&mut engine, client, "SDIFFSTORE d t t");
        assert_eq!(
            propagated(&mut engine),
            vec![
                "SADD s 1 2",
                "SMOVE s t 1",
                "SADD t 2",
                "SMOVE s t 2",
                "SUNIONSTORE d t",
                "SDIFFSTORE d t t"
            ]
        );
        assert_eq!(send(&mut engine, client, "EXISTS s d"), b":0\r\n");
        assert_eq!(send(&mut engine, client, "SMEMBERS t"), b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    }

    #[test]
    fn srandmember_counts_return_distinct_members_in_every_case() {
        let (mut engine, client) = engine();
        let mut sadd_ints = String::from("SADD ints");
        let mut sadd_words = String::from("SADD words");
        for i in 0..100 {
            sadd_ints.push_str(&alloc::format!(" {i}"));
            sadd_words.push_str(&alloc::format!(" w{i}"));
        }
        send(&mut engine, client, &sadd_ints);
        send(&mut engine, client, &sadd_words);
        for key in ["ints", "words"] {
            for count in [1, 2, 10, 33, 34, 50, 99, 100, 150] {
                let got = members(&send(&mut engine, client, &alloc::format!("SRANDMEMBER {key} {count}")));
                assert_eq!(got.len(), count.min(100), "{key} {count}");
                let distinct: BTreeSet<&String> = got.iter().collect();
                assert_eq!(distinct.len(), got.len(), "{key} {count}");
                let prefix = if key == "words" { "w" } else { "" };
                assert!(got.iter().all(|m| m.starts_with(prefix)));
            }
            let repeated = members(&send(&mut engine, client, &alloc::format!("SRANDMEMBER {key} -500")));
            assert_eq!(repeated.len(), 500);
            let distinct: BTreeSet<&String> = repeated.iter().collect();
            assert!(distinct.len() <= 100 && distinct.len() > 50);
        }
        assert_eq!(send(&mut engine, client, "SCARD ints"), b":100\r\n");
    }

    #[test]
    fn sscan_pages_a_hash_table_and_returns_an_intset_at_once() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "SADD i 3 1 2");
        assert_eq!(
            send(&mut engine, client, "SSCAN i 99 COUNT 1"),
            b"*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        let mut sadd = String::from("SADD h");
        for i in 0..200 {
            sadd.push_str(&alloc::format!(" m{i}"));
        }
        send(&mut engine, client, &sadd);
        let mut seen = BTreeSet::new();
        let mut cursor = String::from("0");
        let mut calls = 0;
        loop {
            let reply = send(
                &mut engine,
                client,
                &alloc::format!("SSCAN h {cursor} COUNT 5 MATCH m1*"),
            );
            let (frame, _) = frame::parse(&reply, &FrameLimits::default()).unwrap();
            let Frame::Array(parts) = frame else { panic!() };
            let [Frame::Bulk(next), Frame::Array(items)] = &parts[..] else {
                panic!()
            };
            for item in items {
                let Frame::Bulk(member) = item else { panic!() };
                assert!(member.starts_with(b"m1"));
                seen.insert(member.clone());
            }
            cursor = String::from_utf8(next.clone()).unwrap();
            calls += 1;
            if cursor == "0" {
                break;
            }
        }
        assert!(calls > 10);
        assert_eq!(seen.len(), 111);
    }

    #[test]
    fn set_algebra_replies_in_redis_order_for_intsets() {
        let (mut engine, client) = engine();
        send(&mut engine, client, "SADD a 5 1 9 3");
        send(&mut engine, client, "SADD b 3 5 7 9 11");
        send(&mut engine, client, "SADD w x 9 5");
        assert_eq!(members(&send(&mut engine, client, "SINTER b a")), ["3", "5", "9"]);
        assert_eq!(members(&send(&mut engine, client, "SUNION w a")).len(), 5);
        assert_eq!(members(&send(&mut engine, client, "SDIFF a w")), ["1", "3"]);
        assert_eq!(
            members(&send(&mut engine, client, "SUNION a b")),
            ["1", "3", "5", "7", "9", "11"]
        );
        assert_eq!(send(&mut engine, client, "SINTERCARD 2 a b LIMIT 2"), b":2\r\n");
        assert_eq!(send(&mut engine, client, "SINTERCARD 3 a b w"), b":2\r\n");
        // RESP3: set replies.
        send(&mut engine, client, "HELLO 3");
        assert_eq!(
            send(&mut engine, client, "SINTER b a"),
            b"~3\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"
        );
        assert_eq!(send(&mut engine, client, "SMEMBERS nothing"), b"~0\r\n");
        assert_eq!(send(&mut engine, client, "SRANDMEMBER nothing 3"), b"*0\r\n");
        assert_eq!(send(&mut engine, client, "SPOP nothing 3"), b"~0\r\n");
    }
}
