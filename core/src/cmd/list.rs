//! List commands (Redis's `t_list.c`): pushes and pops at both ends, ranges,
//! positions, moves between lists, and the blocking pops. Redis 7.0 keeps
//! every list as a `quicklist`; here a ring buffer gives the same O(1) ends.
//!
//! Propagation follows Redis 7.0: a blocking command that finds data at
//! once is propagated as its non-blocking twin (BLPOP as `LPOP key`, BLMPOP
//! and LMPOP as `LPOP key n` with the popped count, BLMOVE as `LMOVE` with
//! the client's own direction words, BRPOPLPUSH as `RPOPLPUSH`); a blocked
//! client served later propagates the same commands with `LEFT`/`RIGHT`
//! spelled out, and, as in `serveClientBlockedOnList`, only BLMPOP counts
//! towards the dirty counter then. A list emptied by a command loses its key.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::{typed, typed_mut, Ctx};
use crate::engine::blocking::block_on_keys;
use crate::keyspace::list::{End, List};
use crate::keyspace::{CompactBytes, Value};
use crate::resp::reply::{DeferredKind, Reply};
use crate::resp::request::{Args, OwnedArgs};
use alloc::boxed::Box;
use alloc::vec::Vec;

const L: Group = Group::List;
const LIST: u64 = acl::LIST;
const ONE_RO: &[KeySpec] = &[KeySpec::one(1, RO | ACCESS)];
const ONE_INSERT: &[KeySpec] = &[KeySpec::one(1, RW | INSERT)];
const ONE_POP: &[KeySpec] = &[KeySpec::one(1, RW | ACCESS | DELETE)];
const MOVE_KEYS: &[KeySpec] = &[KeySpec::one(1, RW | ACCESS | DELETE), KeySpec::one(2, RW | INSERT)];
const BPOP_KEYS: &[KeySpec] = &[KeySpec::range(1, -2, 1, 0, RW | ACCESS | DELETE)];

/// The list commands.
pub static COMMANDS: &[Command] = &[
    Command::new("lpush", -3, WRITE | DENYOOM | FAST, L, lpush)
        .acl(LIST)
        .keys(ONE_INSERT)
        .doc("1.0.0", "O(1) for each element added.", "Prepends one or more elements to a list. Creates the key if it doesn't exist."),
    Command::new("rpush", -3, WRITE | DENYOOM | FAST, L, rpush)
        .acl(LIST)
        .keys(ONE_INSERT)
        .doc("1.0.0", "O(1) for each element added.", "Appends one or more elements to a list. Creates the key if it doesn't exist."),
    Command::new("lpushx", -3, WRITE | DENYOOM | FAST, L, lpushx)
        .acl(LIST)
        .keys(ONE_INSERT)
        .doc("2.2.0", "O(1) for each element added.", "Prepends one or more elements to a list only when the list exists."),
    Command::new("rpushx", -3, WRITE | DENYOOM | FAST, L, rpushx)
        .acl(LIST)
        .keys(ONE_INSERT)
        .doc("2.2.0", "O(1) for each element added.", "Appends an element to a list only when the list exists."),
    Command::new("lpop", -2, WRITE | FAST, L, lpop)
        .acl(LIST)
        .keys(ONE_POP)
        .doc("1.0.0", "O(N) where N is the number of elements returned", "Returns the first elements in a list after removing it. Deletes the list if the last element was popped."),
    Command::new("rpop", -2, WRITE | FAST, L, rpop)
        .acl(LIST)
        .keys(ONE_POP)
        .doc("1.0.0", "O(N) where N is the number of elements returned", "Returns and removes the last elements of a list. Deletes the list if the last element was popped."),
    Command::new("llen", 2, READONLY | FAST, L, llen)
        .acl(LIST)
        .keys(&[KeySpec::one(1, RO)])
        .doc("1.0.0", "O(1)", "Returns the length of a list."),
    Command::new("lindex", 3, READONLY, L, lindex)
        .acl(LIST)
        .keys(ONE_RO)
        .doc("1.0.0", "O(N) where N is the number of elements to traverse.", "Returns an element from a list by its index."),
    Command::new("lset", 4, WRITE | DENYOOM, L, lset)
        .acl(LIST)
        .keys(&[KeySpec::one(1, RW | UPDATE)])
        .doc("1.0.0", "O(N) where N is the length of the list.", "Sets the value of an element in a list by its index."),
    Command::new("lrange", 4, READONLY, L, lrange)
        .acl(LIST)
        .keys(ONE_RO)
        .doc("1.0.0", "O(S+N) where S is the start offset and N the number of elements in the range.", "Returns a range of elements from a list."),
    Command::new("ltrim", 4, WRITE, L, ltrim)
        .acl(LIST)
        .keys(&[KeySpec::one(1, RW | DELETE)])
        .doc("1.0.0", "O(N) where N is the number of elements to be removed.", "Removes elements from both ends a list. Deletes the list if all elements were trimmed."),
    Command::new("lrem", 4, WRITE, L, lrem)
        .acl(LIST)
        .keys(&[KeySpec::one(1, RW | DELETE)])
        .doc("1.0.0", "O(N+M) where N is the length of the list and M the number of elements removed.", "Removes elements from a list. Deletes the list if the last element was removed."),
    Command::new("linsert", 5, WRITE | DENYOOM, L, linsert)
        .acl(LIST)
        .keys(ONE_INSERT)
        .doc("2.2.0", "O(N) where N is the number of elements to traverse before the pivot.", "Inserts an element before or after another element in a list."),
    Command::new("lpos", -3, READONLY, L, lpos)
        .acl(LIST)
        .keys(ONE_RO)
        .doc("6.0.6", "O(N) where N is the number of elements in the list.", "Returns the index of matching elements in a list."),
    Command::new("lmove", 5, WRITE | DENYOOM, L, lmove)
        .acl(LIST)
        .keys(MOVE_KEYS)
        .doc("6.2.0", "O(1)", "Returns an element after popping it from one list and pushing it to another. Deletes the list if the last element was moved."),
    Command::new("rpoplpush", 3, WRITE | DENYOOM, L, rpoplpush)
        .acl(LIST)
        .keys(MOVE_KEYS)
        .doc("1.2.0", "O(1)", "Returns the last element of a list after removing and pushing it to another list. Deletes the list if the last element was popped.")
        .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments"),
    Command::new("lmpop", -4, WRITE, L, lmpop)
        .acl(LIST)
        .keys(&[KeySpec::keynum(1, RW | ACCESS | DELETE)])
        .doc("7.0.0", "O(N+M) where N is the number of provided keys and M the number of elements returned.", "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped."),
    Command::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, L, blpop)
        .acl(LIST)
        .keys(BPOP_KEYS)
        .doc("2.0.0", "O(N) where N is the number of provided keys.", "Removes and returns the first element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."),
    Command::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, L, brpop)
        .acl(LIST)
        .keys(BPOP_KEYS)
        .doc("2.0.0", "O(N) where N is the number of provided keys.", "Removes and returns the last element in a list. Blocks until an element is available otherwise. Deletes the list if the last element was popped."),
    Command::new("blmove", 6, WRITE | DENYOOM | NOSCRIPT | BLOCKING, L, blmove)
        .acl(LIST)
        .keys(MOVE_KEYS)
        .doc("6.2.0", "O(1)", "Pops an element from a list, pushes it to another list and returns it. Blocks until an element is available otherwise. Deletes the list if the last element was moved."),
    Command::new("brpoplpush", 4, WRITE | DENYOOM | NOSCRIPT | BLOCKING, L, brpoplpush)
        .acl(LIST)
        .keys(MOVE_KEYS)
        .doc("2.2.0", "O(1)", "Pops an element from a list, pushes it to another list and returns it. Block until an element is available otherwise. Deletes the list if the last element was popped.")
        .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments"),
    Command::new("blmpop", -5, WRITE | BLOCKING, L, blmpop)
        .acl(LIST)
        .keys(&[KeySpec::keynum(2, RW | ACCESS | DELETE)])
        .doc("7.0.0", "O(N+M) where N is the number of provided keys and M the number of elements returned.", "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped."),
];

/// `LEFT` or `RIGHT` (`getListPositionFromObjectOrReply`).
fn parse_end(arg: &[u8], reply: &mut Reply) -> Option<End> {
    if is(arg, "left") {
        Some(End::Head)
    } else if is(arg, "right") {
        Some(End::Tail)
    } else {
        reply.error(errors::SYNTAX);
        None
    }
}

/// The word Redis propagates for an end (`getStringObjectFromListPosition`).
fn end_word(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LEFT",
        End::Tail => b"RIGHT",
    }
}

/// The single pop that stands for a pop at `end` in the replication stream.
fn pop_command(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

/// Whether the running command is a blocked client being served because
/// a key became ready (Redis's `serveClientBlockedOnList` path).
fn serving_blocked(ctx: &Ctx<'_>) -> bool {
    ctx.server.blocking.serving_key.is_some()
}

/// LPUSH, RPUSH and their X forms (`pushGenericCommand`).
fn push_generic(ctx: &mut Ctx<'_>, args: Args<'_>, end: End, only_existing: bool, reply: &mut Reply) {
    let key = args.get(1);
    let elements = args.iter().skip(2);
    let mut db = ctx.db();
    let len = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(Some(list)) => {
            list.items.reserve(elements.len());
            for element in elements {
                list.push(end, CompactBytes::new(element));
            }
            let len = list.len();
            db.signal_modified(key);
            len
        }
        Ok(None) if only_existing => {
            reply.integer(0);
            return;
        }
        Ok(None) => {
            let mut list = List::new();
            list.items.reserve_exact(elements.len());
            for element in elements {
                list.push(end, CompactBytes::new(element));
            }
            let len = list.len();
            db.add(key, Value::List(Box::new(list)));
            len
        }
    };
    ctx.dirty(args.len() as u64 - 2);
    reply.integer(len as i64);
}

/// `LPUSH key element [element ...]`
fn lpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    push_generic(ctx, args, End::Head, false, reply);
}

/// `RPUSH key element [element ...]`
fn rpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    push_generic(ctx, args, End::Tail, false, reply);
}

/// `LPUSHX key element [element ...]`
fn lpushx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    push_generic(ctx, args, End::Head, true, reply);
}

/// `RPUSHX key element [element ...]`
fn rpushx(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    push_generic(ctx, args, End::Tail, true, reply);
}

/// Pops up to `count` elements from `end` of `list`, replying each as a
/// bulk (the array header is the caller's); returns how many.
fn pop_reply(list: &mut List, end: End, count: usize, reply: &mut Reply) -> usize {
    let count = count.min(list.len());
    for _ in 0..count {
        if let Some(element) = list.pop(end) {
            reply.bulk(&element);
        }
    }
    count
}

/// LPOP and RPOP (`popGenericCommand`).
fn pop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, end: End, reply: &mut Reply) {
    if args.len() > 3 {
        reply.error_parts(&[
            b"ERR wrong number of arguments for '",
            &args.get(0).to_ascii_lowercase(),
            b"' command",
        ]);
        return;
    }
    let count = match args.try_get(2) {
        Some(arg) => match parse::positive_integer(arg, reply) {
            Some(count) => Some(count as usize),
            None => return,
        },
        None => None,
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            match count {
                Some(_) => reply.null_array(),
                None => reply.null(),
            }
            return;
        }
        Ok(Some(list)) => list,
    };
    let popped = match count {
        Some(0) => {
            reply.empty_array();
            return;
        }
        Some(count) => {
            reply.array(count.min(list.len()));
            pop_reply(list, end, count, reply)
        }
        None => pop_reply(list, end, 1, reply),
    };
    let emptied = list.is_empty();
    db.settle(key, emptied, true);
    ctx.dirty(popped as u64);
}

/// `LPOP key [count]`
fn lpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    pop_generic(ctx, args, End::Head, reply);
}

/// `RPOP key [count]`
fn rpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    pop_generic(ctx, args, End::Tail, reply);
}

/// `LLEN key`
fn llen(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    if let Ok(list) = typed::<List>(db.get_value(args.get(1)), reply) {
        reply.integer(list.map_or(0, List::len) as i64);
    }
}

/// `LINDEX key index`
fn lindex(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut db = ctx.db();
    let list = match typed::<List>(db.get_value(args.get(1)), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.null();
            return;
        }
        Ok(Some(list)) => list,
    };
    let Some(index) = parse::integer(args.get(2), reply) else {
        return;
    };
    match list.resolve_index(index).and_then(|i| list.items.get(i)) {
        Some(element) => reply.bulk(element),
        None => reply.null(),
    }
}

/// `LSET key index element`
fn lset(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let key = args.get(1);
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.error(errors::NO_SUCH_KEY);
            return;
        }
        Ok(Some(list)) => list,
    };
    let Some(index) = parse::integer(args.get(2), reply) else {
        return;
    };
    match list.resolve_index(index).and_then(|at| list.items.get_mut(at)) {
        Some(slot) => {
            *slot = CompactBytes::new(args.get(3));
            db.signal_modified(key);
            ctx.dirty(1);
            reply.ok();
        }
        None => reply.error(errors::OUT_OF_RANGE),
    }
}

/// Clamps Redis-style `start`/`end` (negative from the tail) to a range of
/// `len`; `None` when empty (`addListRangeReply`).
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// `LRANGE key start stop`
fn lrange(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(start) = parse::integer(args.get(2), reply) else {
        return;
    };
    let Some(end) = parse::integer(args.get(3), reply) else {
        return;
    };
    let mut db = ctx.db();
    let list = match typed::<List>(db.get_value(args.get(1)), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.empty_array();
            return;
        }
        Ok(Some(list)) => list,
    };
    match clamp_range(start, end, list.len()) {
        None => reply.empty_array(),
        Some((start, end)) => {
            reply.array(end - start + 1);
            for element in list.items.range(start..=end) {
                reply.bulk(element);
            }
        }
    }
}

/// `LTRIM key start stop`
fn ltrim(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(start) = parse::integer(args.get(2), reply) else {
        return;
    };
    let Some(end) = parse::integer(args.get(3), reply) else {
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.ok();
            return;
        }
        Ok(Some(list)) => list,
    };
    let len = list.len();
    let (left, right) = match clamp_range(start, end, len) {
        None => (len, 0),
        Some((start, end)) => (start, len - end - 1),
    };
    list.items.truncate(len - right);
    list.items.drain(..left.min(list.items.len()));
    let emptied = list.is_empty();
    db.settle(key, emptied, true);
    ctx.dirty((left + right) as u64);
    reply.ok();
}

/// `LREM key count element`
fn lrem(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(count) = parse::integer(args.get(2), reply) else {
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.integer(0);
            return;
        }
        Ok(Some(list)) => list,
    };
    let limit = (count != 0).then(|| usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX));
    let from = if count < 0 { End::Tail } else { End::Head };
    let removed = list.remove_matches(args.get(3), limit, from);
    let emptied = list.is_empty();
    db.settle(key, emptied, removed > 0);
    ctx.dirty(removed as u64);
    reply.integer(removed as i64);
}

/// `LINSERT key BEFORE|AFTER pivot element`
fn linsert(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let after = if is(args.get(2), "after") {
        true
    } else if is(args.get(2), "before") {
        false
    } else {
        reply.error(errors::SYNTAX);
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.integer(0);
            return;
        }
        Ok(Some(list)) => list,
    };
    let pivot = args.get(3);
    let Some(at) = list.items.iter().position(|e| e.as_bytes() == pivot) else {
        reply.integer(-1);
        return;
    };
    list.items
        .insert(at + usize::from(after), CompactBytes::new(args.get(4)));
    let len = list.len();
    db.signal_modified(key);
    ctx.dirty(1);
    reply.integer(len as i64);
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
fn lpos(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut i = 3;
    while i < args.len() {
        let option = args.get(i);
        let Some(value) = args.try_get(i + 1) else {
            reply.error(errors::SYNTAX);
            return;
        };
        if is(option, "rank") {
            let Some(r) = parse::integer(value, reply) else {
                return;
            };
            if r == 0 {
                reply.error(b"ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
                return;
            }
            rank = r;
        } else if is(option, "count") {
            let message: &[u8] = b"ERR COUNT can't be negative";
            let Some(c) = parse::integer_in_range(value, 0, i64::MAX, Some(message), reply) else {
                return;
            };
            count = Some(usize::try_from(c).unwrap_or(usize::MAX));
        } else if is(option, "maxlen") {
            let message: &[u8] = b"ERR MAXLEN can't be negative";
            let Some(m) = parse::integer_in_range(value, 0, i64::MAX, Some(message), reply) else {
                return;
            };
            maxlen = usize::try_from(m).unwrap_or(usize::MAX);
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
        i += 2;
    }
    let from_tail = rank < 0;
    let skip = usize::try_from(rank.unsigned_abs() - 1).unwrap_or(usize::MAX);
    // Redis negates the rank in a C long: the most negative one stays
    // negative, so every match from the tail qualifies and no COUNT is
    // ever reached.
    let (skip, count) = if rank == i64::MIN {
        (0, count.map(|_| 0))
    } else {
        (skip, count)
    };
    let mut db = ctx.db();
    let list = match typed::<List>(db.get_value(args.get(1)), reply) {
        Err(()) => return,
        Ok(None) => {
            match count {
                Some(_) => reply.empty_array(),
                None => reply.null(),
            }
            return;
        }
        Ok(Some(list)) => list,
    };
    let target = args.get(2);
    let len = list.len();
    let scan = if maxlen == 0 { len } else { maxlen.min(len) };
    let positions = (0..scan).map(|step| if from_tail { len - 1 - step } else { step });
    let mut matches = positions.filter(|&at| list.items[at].as_bytes() == target).skip(skip);
    match count {
        None => match matches.next() {
            Some(at) => reply.integer(at as i64),
            None => reply.null(),
        },
        Some(count) => {
            let deferred = reply.deferred(DeferredKind::Array);
            let mut emitted = 0;
            for at in matches {
                reply.integer(at as i64);
                emitted += 1;
                if count != 0 && emitted == count {
                    break;
                }
            }
            reply.complete(deferred, emitted);
        }
    }
}

/// How a move is propagated (`lmoveGenericCommand` and
/// `serveClientBlockedOnList`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum MoveCommand {
    /// LMOVE or RPOPLPUSH: as the client sent it.
    Plain,
    /// BLMOVE served at once: LMOVE with the client's own direction words.
    Blmove,
    /// BRPOPLPUSH served at once: RPOPLPUSH.
    Brpoplpush,
}

/// Moves one element from `from` of the list under `source` to `to` of
/// the list under `destination` and replies it, once the source is known to
/// be a non-empty list (`lmoveGenericCommand`). A missing destination is
/// created; a destination of another type is a WRONGTYPE error and nothing
/// moves. The source and destination may be the same key (a rotation that
/// keeps the key, and so its expiry).
fn move_element(ctx: &mut Ctx<'_>, args: Args<'_>, from: End, to: End, command: MoveCommand, reply: &mut Reply) {
    let (source, destination) = (args.get(1), args.get(2));
    let serving = serving_blocked(ctx);
    let mut db = ctx.db();
    if typed_mut::<List>(db.get_value_mut(destination), reply).is_err() {
        return;
    }
    let Some(Value::List(list)) = db.get_value_mut(source) else {
        reply.null();
        return;
    };
    let Some(element) = list.pop(from) else {
        reply.null();
        return;
    };
    let source_emptied = list.is_empty() && source != destination;
    reply.bulk(&element);
    match db.get_value_mut(destination) {
        Some(Value::List(list)) => {
            list.push(to, element);
            db.signal_modified(destination);
        }
        _ => {
            let mut list = List::new();
            list.push(to, element);
            db.add(destination, Value::List(Box::new(list)));
        }
    }
    db.settle(source, source_emptied, true);
    let rpoplpush = match command {
        MoveCommand::Plain => {
            ctx.dirty(1);
            return;
        }
        MoveCommand::Blmove => false,
        MoveCommand::Brpoplpush => true,
    };
    let propagated = match (rpoplpush, serving) {
        (true, _) => OwnedArgs::from_slices([&b"RPOPLPUSH"[..], source, destination]),
        (false, false) => OwnedArgs::from_slices([&b"LMOVE"[..], source, destination, args.get(3), args.get(4)]),
        (false, true) => OwnedArgs::from_slices([&b"LMOVE"[..], source, destination, end_word(from), end_word(to)]),
    };
    if serving {
        // A served blocked client changes no dirty counter in Redis; the
        // move is propagated on its own.
        ctx.also_propagate(propagated);
        ctx.suppress_propagation();
    } else {
        ctx.dirty(1);
        ctx.propagate_as(propagated);
    }
}

/// LMOVE and RPOPLPUSH with the source looked up.
fn lmove_generic(ctx: &mut Ctx<'_>, args: Args<'_>, from: End, to: End, reply: &mut Reply) {
    let mut db = ctx.db();
    match typed_mut::<List>(db.get_value_mut(args.get(1)), reply) {
        Err(()) => {}
        Ok(None) => reply.null(),
        Ok(Some(_)) => move_element(ctx, args, from, to, MoveCommand::Plain, reply),
    }
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
fn lmove(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(from) = parse_end(args.get(3), reply) else {
        return;
    };
    let Some(to) = parse_end(args.get(4), reply) else {
        return;
    };
    lmove_generic(ctx, args, from, to, reply);
}

/// `RPOPLPUSH source destination`
fn rpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    lmove_generic(ctx, args, End::Tail, End::Head, reply);
}

/// Pops from the first non-empty list among `keys`, or from the key that
/// became ready when serving a blocked client (Redis 7.0 serves that key
/// only). `count` None is the BLPOP/BRPOP form (`[key, element]`), Some the
/// LMPOP form (`[key, [elements]]`). Propagates the pop as `LPOP key` or
/// `LPOP key n`. Returns whether it popped; `Err` after a WRONGTYPE reply.
fn pop_first_ready(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    end: End,
    count: Option<usize>,
    reply: &mut Reply,
) -> Result<bool, ()> {
    let serving = ctx.server.blocking.serving_key.as_ref().map(|ready| ready.as_bytes());
    let only = serving.map(|ready| keys.iter().position(|key| *key == ready));
    for (at, &key) in keys.iter().enumerate() {
        if only.is_some_and(|only| only != Some(at)) {
            continue;
        }
        let mut db = ctx.db();
        let list = match typed_mut::<List>(db.get_value_mut(key), reply)? {
            Some(list) if !list.is_empty() => list,
            _ => continue,
        };
        reply.array(2);
        reply.bulk(key);
        let popped = match count {
            None => pop_reply(list, end, 1, reply),
            Some(count) => {
                reply.array(count.min(list.len()));
                pop_reply(list, end, count, reply)
            }
        };
        let emptied = list.is_empty();
        db.settle(key, emptied, true);
        let mut propagated = OwnedArgs::from_slices([pop_command(end), key]);
        if count.is_some() {
            propagated.push(itoa::Buffer::new().format(popped).as_bytes());
        }
        match (only.is_some(), count.is_some()) {
            // Redis serves a blocked BLPOP/BRPOP without touching the
            // dirty counter, and propagates the pop on its own.
            (true, false) => {
                ctx.also_propagate(propagated);
                ctx.suppress_propagation();
            }
            _ => {
                ctx.dirty(popped as u64);
                ctx.propagate_as(propagated);
            }
        }
        return Ok(true);
    }
    Ok(false)
}

/// Waits for any of `keys` (the handler then returns without a reply).
fn block(ctx: &mut Ctx<'_>, keys: &[&[u8]], deadline: i64) {
    block_on_keys(
        ctx.client,
        keys.iter().map(|k| CompactBytes::new(k)).collect(),
        deadline,
    );
}

/// BLPOP and BRPOP (`blockingPopGenericCommand`).
fn bpop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, end: End, reply: &mut Reply) {
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(args.len() - 1), now, reply) else {
        return;
    };
    let keys: Vec<&[u8]> = args.iter().skip(1).take(args.len() - 2).collect();
    match pop_first_ready(ctx, &keys, end, None, reply) {
        Err(()) | Ok(true) => {}
        Ok(false) if !ctx.client.may_block() => reply.null_array(),
        Ok(false) => block(ctx, &keys, deadline),
    }
}

/// `BLPOP key [key ...] timeout`
fn blpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    bpop_generic(ctx, args, End::Head, reply);
}

/// `BRPOP key [key ...] timeout`
fn brpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    bpop_generic(ctx, args, End::Tail, reply);
}

/// BLMOVE and BRPOPLPUSH (`blmoveGenericCommand`): waits on the source
/// only; a destination of the wrong type is found when moving.
fn blmove_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    from: End,
    to: End,
    deadline: i64,
    command: MoveCommand,
    reply: &mut Reply,
) {
    let source = args.get(1);
    let mut db = ctx.db();
    let exists = match typed_mut::<List>(db.get_value_mut(source), reply) {
        Err(()) => return,
        Ok(list) => list.is_some(),
    };
    if exists {
        move_element(ctx, args, from, to, command, reply);
    } else if !ctx.client.may_block() {
        reply.null();
    } else {
        block(ctx, &[source], deadline);
    }
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
fn blmove(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(from) = parse_end(args.get(3), reply) else {
        return;
    };
    let Some(to) = parse_end(args.get(4), reply) else {
        return;
    };
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(5), now, reply) else {
        return;
    };
    blmove_generic(ctx, args, from, to, deadline, MoveCommand::Blmove, reply);
}

/// `BRPOPLPUSH source destination timeout`
fn brpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(3), now, reply) else {
        return;
    };
    blmove_generic(
        ctx,
        args,
        End::Tail,
        End::Head,
        deadline,
        MoveCommand::Brpoplpush,
        reply,
    );
}

/// LMPOP and BLMPOP (`lmpopGenericCommand`): `numkeys_at` is where the key
/// count is (2 for the blocking form, whose timeout comes first).
fn lmpop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, numkeys_at: usize, reply: &mut Reply) {
    let blocking = numkeys_at == 2;
    let message: &[u8] = b"ERR numkeys should be greater than 0";
    let Some(numkeys) = parse::integer_in_range(args.get(numkeys_at), 1, i64::MAX, Some(message), reply) else {
        return;
    };
    let where_at = match usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_at + 1))
    {
        Some(at) if at < args.len() => at,
        _ => {
            reply.error(errors::SYNTAX);
            return;
        }
    };
    let Some(end) = parse_end(args.get(where_at), reply) else {
        return;
    };
    let mut count: Option<i64> = None;
    let mut i = where_at + 1;
    while i < args.len() {
        if count.is_none() && is(args.get(i), "count") && i + 1 < args.len() {
            let message: &[u8] = b"ERR count should be greater than 0";
            let Some(n) = parse::integer_in_range(args.get(i + 1), 1, i64::MAX, Some(message), reply) else {
                return;
            };
            count = Some(n);
            i += 2;
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    let deadline = if blocking {
        let now = ctx.now_ms();
        match parse::timeout_deadline(args.get(1), now, reply) {
            Some(deadline) => Some(deadline),
            None => return,
        }
    } else {
        None
    };
    let keys: Vec<&[u8]> = (numkeys_at + 1..where_at).map(|at| args.get(at)).collect();
    match pop_first_ready(ctx, &keys, end, Some(count), reply) {
        Err(()) | Ok(true) => {}
        Ok(false) => match deadline {
            Some(deadline) if ctx.client.may_block() => block(ctx, &keys, deadline),
            _ => reply.null_array(),
        },
    }
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
fn lmpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    lmpop_generic(ctx, args, 1, reply);
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
fn blmpop(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    lmpop_generic(ctx, args, 2, reply);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{connect, engine_with_client, propagated, send, take_output};
    use crate::engine::Engine;
    use std::vec;

    fn engine() -> Engine {
        let (mut engine, _) = engine_with_client();
        engine.record_propagation(true);
        engine
    }

    fn dirty(engine: &Engine) -> u64 {
        engine.server.stats.dirty
    }

    #[test]
    fn clamp_range_follows_redis_rules() {
        assert_eq!(clamp_range(0, -1, 5), Some((0, 4)));
        assert_eq!(clamp_range(-100, 100, 5), Some((0, 4)));
        assert_eq!(clamp_range(2, 1, 5), None);
        assert_eq!(clamp_range(5, 10, 5), None);
        assert_eq!(clamp_range(-1, -1, 5), Some((4, 4)));
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(clamp_range(i64::MIN, i64::MIN, 5), None);
        assert_eq!(clamp_range(0, -1, 0), None);
    }

    #[test]
    fn pops_and_moves_propagate_like_redis() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "RPUSH l a b c d e f");
        assert_eq!(
            send(&mut engine, client, "blpop missing l 0"),
            b"*2\r\n$1\r\nl\r\n$1\r\na\r\n"
        );
        send(&mut engine, client, "BRPOP l 0");
        send(&mut engine, client, "LMPOP 2 missing l LEFT COUNT 10");
        send(&mut engine, client, "RPUSH l a b c");
        send(&mut engine, client, "BLMPOP 0 1 l right COUNT 2");
        // Plain moves propagate as sent; blocking ones that find data at
        // once become LMOVE with the client's own words, or RPOPLPUSH.
        send(&mut engine, client, "lmove l m left Right");
        send(&mut engine, client, "RPUSH l x y");
        send(&mut engine, client, "BLMOVE l m right left 0");
        send(&mut engine, client, "BRPOPLPUSH l m 0");
        send(&mut engine, client, "rpoplpush m m");
        assert_eq!(
            propagated(&mut engine),
            vec![
                "RPUSH l a b c d e f",
                "LPOP l",
                "RPOP l",
                "LPOP l 4",
                "RPUSH l a b c",
                "RPOP l 2",
                "lmove l m left Right",
                "RPUSH l x y",
                "LMOVE l m right left",
                "RPOPLPUSH l m",
                "rpoplpush m m",
            ]
        );
    }

    #[test]
    fn writes_that_change_nothing_do_not_propagate() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "RPUSH l a b");
        send(&mut engine, client, "LPUSHX missing a");
        send(&mut engine, client, "LPOP missing");
        send(&mut engine, client, "LPOP l 0");
        send(&mut engine, client, "LTRIM l 0 -1");
        send(&mut engine, client, "LREM l 0 zz");
        send(&mut engine, client, "LINSERT l BEFORE zz x");
        send(&mut engine, client, "LSET l 5 x");
        send(&mut engine, client, "LMOVE missing l LEFT LEFT");
        send(&mut engine, client, "LMPOP 1 missing LEFT");
        send(&mut engine, client, "BLPOP l 0");
        assert_eq!(propagated(&mut engine), vec!["RPUSH l a b", "LPOP l"]);
        assert_eq!(dirty(&engine), 3);
    }

    #[test]
    fn served_blocked_clients_propagate_the_pop_or_move() {
        let mut engine = engine();
        let waiter = connect(&mut engine);
        let other = connect(&mut engine);
        let writer = connect(&mut engine);
        assert_eq!(send(&mut engine, waiter, "BLPOP a b 0"), b"");
        send(&mut engine, writer, "RPUSH b x y");
        assert_eq!(take_output(&mut engine, waiter), b"*2\r\n$1\r\nb\r\n$1\r\nx\r\n");
        // Redis serves BLPOP without touching the dirty counter.
        assert_eq!(dirty(&engine), 2);

        assert_eq!(send(&mut engine, waiter, "blmove src dst left right 0"), b"");
        assert_eq!(send(&mut engine, other, "BRPOPLPUSH src2 dst 0"), b"");
        send(&mut engine, writer, "RPUSH src s");
        assert_eq!(take_output(&mut engine, waiter), b"$1\r\ns\r\n");
        send(&mut engine, writer, "RPUSH src2 t");
        assert_eq!(take_output(&mut engine, other), b"$1\r\nt\r\n");
        assert_eq!(
            send(&mut engine, writer, "LRANGE dst 0 -1"),
            b"*2\r\n$1\r\nt\r\n$1\r\ns\r\n"
        );

        assert_eq!(send(&mut engine, waiter, "BLMPOP 0 2 m1 m2 LEFT COUNT 5"), b"");
        send(&mut engine, writer, "RPUSH m2 1 2 3");
        assert_eq!(
            take_output(&mut engine, waiter),
            b"*2\r\n$2\r\nm2\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
        );
        assert_eq!(
            propagated(&mut engine),
            vec![
                "RPUSH b x y",
                "LPOP b",
                "RPUSH src s",
                "LMOVE src dst LEFT RIGHT",
                "RPUSH src2 t",
                "RPOPLPUSH src2 dst",
                "RPUSH m2 1 2 3",
                "LPOP m2 3",
            ]
        );
        // Pushes count one per element, the served BLMPOP its elements.
        assert_eq!(dirty(&engine), 2 + 1 + 1 + 3 + 3);
    }

    #[test]
    fn a_served_move_wakes_a_client_waiting_on_its_destination() {
        let mut engine = engine();
        let mover = connect(&mut engine);
        let popper = connect(&mut engine);
        let writer = connect(&mut engine);
        send(&mut engine, mover, "BLMOVE a b LEFT LEFT 0");
        send(&mut engine, popper, "BLPOP b 0");
        send(&mut engine, writer, "RPUSH a v");
        assert_eq!(take_output(&mut engine, mover), b"$1\r\nv\r\n");
        assert_eq!(take_output(&mut engine, popper), b"*2\r\n$1\r\nb\r\n$1\r\nv\r\n");
        assert_eq!(send(&mut engine, writer, "EXISTS a b"), b":0\r\n");
        assert_eq!(
            propagated(&mut engine),
            vec!["RPUSH a v", "LMOVE a b LEFT LEFT", "LPOP b"]
        );
    }

    #[test]
    fn a_rotation_keeps_the_key_and_its_expiry() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "RPUSH one x");
        send(&mut engine, client, "EXPIRE one 100");
        assert_eq!(send(&mut engine, client, "LMOVE one one LEFT RIGHT"), b"$1\r\nx\r\n");
        assert_eq!(send(&mut engine, client, "RPOPLPUSH one one"), b"$1\r\nx\r\n");
        assert_eq!(send(&mut engine, client, "TTL one"), b":100\r\n");
        assert_eq!(send(&mut engine, client, "LRANGE one 0 -1"), b"*1\r\n$1\r\nx\r\n");
    }

    #[test]
    fn lpos_with_the_most_negative_rank_behaves_like_redis() {
        let mut engine = engine();
        let client = connect(&mut engine);
        send(&mut engine, client, "RPUSH l a b a c a");
        assert_eq!(
            send(&mut engine, client, "LPOS l a RANK -9223372036854775808"),
            b":4\r\n"
        );
        assert_eq!(
            send(&mut engine, client, "LPOS l a RANK -9223372036854775808 COUNT 1"),
            b"*3\r\n:4\r\n:2\r\n:0\r\n"
        );
    }
}
