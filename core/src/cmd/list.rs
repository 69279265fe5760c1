//! List commands (Redis's `t_list.c`): pushes and pops at both ends, ranges,
//! positions, moves between lists, and the blocking pops. Redis 7.0 keeps
//! every list as a `quicklist`; here a ring buffer gives the same O(1) ends.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, Command, Group, KeySpec};
use super::{typed, typed_mut, Ctx};
use crate::engine::blocking::block_on_keys;
use crate::keyspace::list::List;
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

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Head,
    Tail,
}

impl End {
    /// `LEFT` or `RIGHT` (`getListPositionFromObjectOrReply`).
    fn parse(arg: &[u8], reply: &mut Reply) -> Option<End> {
        if is(arg, "left") {
            Some(End::Head)
        } else if is(arg, "right") {
            Some(End::Tail)
        } else {
            reply.error(errors::SYNTAX);
            None
        }
    }

    fn word(self) -> &'static [u8] {
        match self {
            End::Head => b"LEFT",
            End::Tail => b"RIGHT",
        }
    }

    fn pop_command(self) -> &'static [u8] {
        match self {
            End::Head => b"LPOP",
            End::Tail => b"RPOP",
        }
    }
}

/// LPUSH, RPUSH and their X forms (`pushGenericCommand`).
fn push_generic(ctx: &mut Ctx<'_>, args: Args<'_>, end: End, only_existing: bool, reply: &mut Reply) {
    let key = args.get(1);
    let mut db = ctx.db();
    let len = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(Some(list)) => {
            push_all(list, args, end);
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
            push_all(&mut list, args, end);
            let len = list.len();
            db.add(key, Value::List(Box::new(list)));
            len
        }
    };
    ctx.dirty(args.len() as u64 - 2);
    reply.integer(len as i64);
}

fn push_all(list: &mut List, args: Args<'_>, end: End) {
    list.items.reserve(args.len() - 2);
    for element in args.iter().skip(2) {
        let element = CompactBytes::new(element);
        match end {
            End::Head => list.items.push_front(element),
            End::Tail => list.items.push_back(element),
        }
    }
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

/// Pops up to `count` elements from `end` of the list under `key` (which
/// the caller checked is a non-empty list), deleting the key when emptied.
fn pop_elements(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: usize) -> Vec<CompactBytes> {
    let mut db = ctx.db();
    let mut popped = Vec::new();
    let mut emptied = false;
    if let Some(Value::List(list)) = db.get_value_mut(key) {
        let count = count.min(list.len());
        popped.reserve(count);
        for _ in 0..count {
            let element = match end {
                End::Head => list.items.pop_front(),
                End::Tail => list.items.pop_back(),
            };
            popped.extend(element);
        }
        emptied = list.is_empty();
    }
    db.settle(key, emptied, true);
    ctx.dirty(popped.len() as u64);
    popped
}

fn reply_elements(reply: &mut Reply, elements: &[CompactBytes]) {
    reply.array(elements.len());
    for element in elements {
        reply.bulk(element);
    }
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
    match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            if count.is_some() {
                reply.null_array();
            } else {
                reply.null();
            }
            return;
        }
        Ok(Some(_)) => {}
    }
    match count {
        Some(0) => reply.empty_array(),
        Some(count) => {
            let popped = pop_elements(ctx, key, end, count);
            reply_elements(reply, &popped);
        }
        None => {
            let popped = pop_elements(ctx, key, end, 1);
            if let Some(element) = popped.first() {
                reply.bulk(element);
            }
        }
    }
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
    match list.resolve_index(index) {
        Some(at) => {
            list.items[at] = CompactBytes::new(args.get(3));
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
    let (key, target) = (args.get(1), args.get(3));
    let mut db = ctx.db();
    let list = match typed_mut::<List>(db.get_value_mut(key), reply) {
        Err(()) => return,
        Ok(None) => {
            reply.integer(0);
            return;
        }
        Ok(Some(list)) => list,
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let mut removed = 0;
    if count >= 0 {
        list.items.retain(|element| {
            if removed < limit && element.as_bytes() == target {
                removed += 1;
                false
            } else {
                true
            }
        });
    } else {
        let mut kept: alloc::collections::VecDeque<CompactBytes> =
            alloc::collections::VecDeque::with_capacity(list.len());
        while let Some(element) = list.items.pop_back() {
            if removed < limit && element.as_bytes() == target {
                removed += 1;
            } else {
                kept.push_front(element);
            }
        }
        list.items = kept;
    }
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
    let Some(at) = list.items.iter().position(|e| e.as_bytes() == args.get(3)) else {
        reply.integer(-1);
        return;
    };
    list.items.insert(at + after as usize, CompactBytes::new(args.get(4)));
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
            count = Some(c as usize);
        } else if is(option, "maxlen") {
            let message: &[u8] = b"ERR MAXLEN can't be negative";
            let Some(m) = parse::integer_in_range(value, 0, i64::MAX, Some(message), reply) else {
                return;
            };
            maxlen = m as usize;
        } else {
            reply.error(errors::SYNTAX);
            return;
        }
        i += 2;
    }
    let from_tail = rank < 0;
    let rank = rank.unsigned_abs() as usize;
    let mut db = ctx.db();
    let list = match typed::<List>(db.get_value(args.get(1)), reply) {
        Err(()) => return,
        Ok(None) => {
            if count.is_some() {
                reply.empty_array();
            } else {
                reply.null();
            }
            return;
        }
        Ok(Some(list)) => list,
    };
    let target = args.get(2);
    let len = list.len();
    let scan = if maxlen == 0 { len } else { maxlen.min(len) };
    let positions = (0..scan).map(|step| if from_tail { len - 1 - step } else { step });
    let mut matches = positions
        .filter(|&at| list.items[at].as_bytes() == target)
        .skip(rank - 1);
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
                if count != 0 && emitted >= count {
                    break;
                }
            }
            reply.complete(deferred, emitted);
        }
    }
}

/// The common part of LMOVE, RPOPLPUSH and their blocking forms once the
/// source is known to be a non-empty list (`lmoveGenericCommand`). The
/// moved element is replied as a bulk; propagation names the non-blocking
/// command.
fn move_element(
    ctx: &mut Ctx<'_>,
    source: &[u8],
    destination: &[u8],
    from: End,
    to: End,
    as_rpoplpush: bool,
    reply: &mut Reply,
) {
    let mut db = ctx.db();
    if typed_mut::<List>(db.get_value_mut(destination), reply).is_err() {
        return;
    }
    let Some(element) = pop_elements(ctx, source, from, 1).pop() else {
        reply.null();
        return;
    };
    let mut db = ctx.db();
    match db.get_value_mut(destination) {
        Some(Value::List(list)) => {
            match to {
                End::Head => list.items.push_front(element.clone()),
                End::Tail => list.items.push_back(element.clone()),
            }
            db.signal_modified(destination);
        }
        _ => {
            let mut list = List::new();
            list.items.push_back(element.clone());
            db.add(destination, Value::List(Box::new(list)));
        }
    }
    reply.bulk(&element);
    let propagated = if as_rpoplpush {
        OwnedArgs::from_slices([&b"RPOPLPUSH"[..], source, destination])
    } else {
        OwnedArgs::from_slices([&b"LMOVE"[..], source, destination, from.word(), to.word()])
    };
    ctx.propagate_as(propagated);
}

/// LMOVE and RPOPLPUSH with the source looked up.
fn lmove_generic(ctx: &mut Ctx<'_>, args: Args<'_>, from: End, to: End, as_rpoplpush: bool, reply: &mut Reply) {
    let (source, destination) = (args.get(1), args.get(2));
    let mut db = ctx.db();
    match typed_mut::<List>(db.get_value_mut(source), reply) {
        Err(()) => {}
        Ok(None) => reply.null(),
        Ok(Some(_)) => move_element(ctx, source, destination, from, to, as_rpoplpush, reply),
    }
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
fn lmove(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(from) = End::parse(args.get(3), reply) else {
        return;
    };
    let Some(to) = End::parse(args.get(4), reply) else {
        return;
    };
    lmove_generic(ctx, args, from, to, false, reply);
}

/// `RPOPLPUSH source destination`
fn rpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    lmove_generic(ctx, args, End::Tail, End::Head, true, reply);
}

/// Pops from the first non-empty list among `keys` (the key that became
/// ready only, when serving a blocked client). `count` None is the single
/// BLPOP/BRPOP form (`[key, element]`), Some is LMPOP's `[key, [elements]]`.
/// Returns whether something was popped; `Err` after a WRONGTYPE reply.
fn pop_first_ready(
    ctx: &mut Ctx<'_>,
    keys: &[&[u8]],
    end: End,
    count: Option<usize>,
    reply: &mut Reply,
) -> Result<bool, ()> {
    let serving = ctx.server.blocking.serving_key.clone();
    for key in keys {
        if serving.as_ref().is_some_and(|ready| ready.as_bytes() != *key) {
            continue;
        }
        let mut db = ctx.db();
        let len = match typed_mut::<List>(db.get_value_mut(key), reply)? {
            Some(list) if !list.is_empty() => list.len(),
            _ => continue,
        };
        let popped = pop_elements(ctx, key, end, count.unwrap_or(1));
        reply.array(2);
        reply.bulk(key);
        match count {
            None => reply.bulk(&popped[0]),
            Some(_) => reply_elements(reply, &popped),
        }
        let mut propagated = OwnedArgs::from_slices([end.pop_command(), key]);
        if let Some(count) = count {
            propagated.push(itoa::Buffer::new().format(count.min(len)).as_bytes());
        }
        ctx.propagate_as(propagated);
        return Ok(true);
    }
    Ok(false)
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
        Ok(false) => block_on_keys(
            ctx.client,
            keys.iter().map(|k| CompactBytes::new(k)).collect(),
            deadline,
        ),
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

/// BLMOVE and BRPOPLPUSH (`blmoveGenericCommand`).
fn blmove_generic(
    ctx: &mut Ctx<'_>,
    args: Args<'_>,
    from: End,
    to: End,
    deadline: i64,
    as_rpoplpush: bool,
    reply: &mut Reply,
) {
    let (source, destination) = (args.get(1), args.get(2));
    let mut db = ctx.db();
    let exists = match typed_mut::<List>(db.get_value_mut(source), reply) {
        Err(()) => return,
        Ok(list) => list.is_some(),
    };
    if exists {
        move_element(ctx, source, destination, from, to, as_rpoplpush, reply);
    } else if !ctx.client.may_block() {
        reply.null();
    } else {
        block_on_keys(ctx.client, alloc::vec![CompactBytes::new(source)], deadline);
    }
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
fn blmove(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let Some(from) = End::parse(args.get(3), reply) else {
        return;
    };
    let Some(to) = End::parse(args.get(4), reply) else {
        return;
    };
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(5), now, reply) else {
        return;
    };
    blmove_generic(ctx, args, from, to, deadline, false, reply);
}

/// `BRPOPLPUSH source destination timeout`
fn brpoplpush(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let now = ctx.now_ms();
    let Some(deadline) = parse::timeout_deadline(args.get(3), now, reply) else {
        return;
    };
    blmove_generic(ctx, args, End::Tail, End::Head, deadline, true, reply);
}

/// LMPOP and BLMPOP (`lmpopGenericCommand`): `numkeys_at` is where the
/// key count is, `deadline` is Some for the blocking form.
fn lmpop_generic(ctx: &mut Ctx<'_>, args: Args<'_>, numkeys_at: usize, reply: &mut Reply) {
    let blocking = numkeys_at == 2;
    let message: &[u8] = b"ERR numkeys should be greater than 0";
    let Some(numkeys) = parse::integer_in_range(args.get(numkeys_at), 1, i64::MAX, Some(message), reply) else {
        return;
    };
    let where_at = match (numkeys as usize).checked_add(numkeys_at + 1) {
        Some(at) if at < args.len() => at,
        _ => {
            reply.error(errors::SYNTAX);
            return;
        }
    };
    let Some(end) = End::parse(args.get(where_at), reply) else {
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
    let count = count.unwrap_or(1) as usize;
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
            Some(deadline) if ctx.client.may_block() => block_on_keys(
                ctx.client,
                keys.iter().map(|k| CompactBytes::new(k)).collect(),
                deadline,
            ),
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
