//! SORT and SORT_RO, as Redis 7.0's `sort.c`: sort the elements of a
//! list, set or sorted set numerically or by bytes, optionally by weights
//! and with values looked up in other keys (`BY`/`GET` patterns), page the
//! result with LIMIT, and reply it or STORE it as a list.
//!
//! ALPHA sorting of a reply compares as `strcoll` in the C locale (bytes up
//! to the first NUL); with STORE it compares whole byte strings, as Redis.

use super::errors;
use super::parse::{self, is};
use super::spec::{acl, flag::*, key_flag::*, BeginSearch, Command, FindKeys, Group, KeySpec};
use super::Ctx;
use crate::keyspace::list::List;
use crate::keyspace::zset::ZSet;
use crate::keyspace::{CompactBytes, DbMut, Value};
use crate::resp::reply::Reply;
use crate::resp::request::Args;
use crate::util::number::parse_f64;
use crate::util::pqsort;
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;
use rustc_apfloat::ieee::Double;
use rustc_apfloat::{Float, Round, Status};

const ACL: u64 = acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS;
const SORTED_KEY: KeySpec = KeySpec::one(1, RO | ACCESS);
const PATTERN_KEYS: KeySpec = KeySpec::new(BeginSearch::Unknown, FindKeys::Unknown, RO | ACCESS)
    .notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort");
const STORE_KEY: KeySpec = KeySpec::new(BeginSearch::Unknown, FindKeys::Unknown, OW | UPDATE)
    .notes("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array");
const COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).";

/// SORT, SORT_RO.
pub static COMMANDS: &[Command] = &[
    Command::new("sort", -2, WRITE | DENYOOM, Group::Generic, sort)
        .acl(ACL)
        .keys(&[SORTED_KEY, PATTERN_KEYS, STORE_KEY])
        .getkeys(sort_keys)
        .doc(
            "1.0.0",
            COMPLEXITY,
            "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
        ),
    Command::new("sort_ro", -2, READONLY, Group::Generic, sort_ro)
        .acl(ACL)
        .keys(&[SORTED_KEY, PATTERN_KEYS])
        .getkeys(sort_ro_keys)
        .doc(
            "7.0.0",
            COMPLEXITY,
            "Returns the sorted elements of a list, a set, or a sorted set.",
        ),
];

/// The keys of a SORT (`sortGetKeys`): the sorted key, and the last STORE
/// destination, skipping the arguments of LIMIT, GET and BY.
fn sort_keys(args: Args<'_>) -> Vec<(usize, u64)> {
    let mut keys = alloc::vec![(1, RO | ACCESS)];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        let option = args.get(i);
        if is(option, "limit") {
            i += 2;
        } else if is(option, "get") || is(option, "by") {
            i += 1;
        } else if is(option, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store.map(|at| (at, OW | UPDATE)));
    keys
}

/// The keys of a SORT_RO: only the sorted key.
fn sort_ro_keys(_args: Args<'_>) -> Vec<(usize, u64)> {
    alloc::vec![(1, RO | ACCESS)]
}

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]`
fn sort(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sort_generic(ctx, args, false, reply);
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]`
fn sort_ro(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    sort_generic(ctx, args, true, reply);
}

/// The parsed options.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit: (i64, i64),
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// Some BY pattern had no `*`: every weight is the same, nothing to sort.
    dont_sort: bool,
    gets: Vec<&'a [u8]>,
}

fn parse_options<'a>(args: Args<'a>, readonly: bool, reply: &mut Reply) -> Option<Options<'a>> {
    let mut options = Options {
        desc: false,
        alpha: false,
        limit: (0, -1),
        store: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let option = args.get(j);
        if is(option, "asc") {
            options.desc = false;
        } else if is(option, "desc") {
            options.desc = true;
        } else if is(option, "alpha") {
            options.alpha = true;
        } else if is(option, "limit") && left >= 2 {
            let offset = parse::integer(args.get(j + 1), reply)?;
            let count = parse::integer(args.get(j + 2), reply)?;
            options.limit = (offset, count);
            j += 2;
        } else if !readonly && is(option, "store") && left >= 1 {
            options.store = Some(args.get(j + 1));
            j += 1;
        } else if is(option, "by") && left >= 1 {
            let pattern = args.get(j + 1);
            options.by = Some(pattern);
            // Sticky: a later BY with a `*` does not turn sorting back on.
            options.dont_sort |= !c_str(pattern).contains(&b'*');
            j += 1;
        } else if is(option, "get") && left >= 1 {
            options.gets.push(args.get(j + 1));
            j += 1;
        } else {
            reply.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    Some(options)
}

/// One element being sorted, with its weight.
struct Item {
    element: CompactBytes,
    score: f64,
    weight: Option<Vec<u8>>,
}

impl Item {
    fn new(element: &[u8]) -> Item {
        Item {
            element: CompactBytes::new(element),
            score: 0.0,
            weight: None,
        }
    }
}

fn sort_generic(ctx: &mut Ctx<'_>, args: Args<'_>, readonly: bool, reply: &mut Reply) {
    let Some(mut options) = parse_options(args, readonly, reply) else {
        return;
    };
    let key = args.get(1);
    let mut db = ctx.db();
    let kind = match db.get_value(key) {
        None => None,
        Some(Value::List(_)) => Some(Kind::List),
        Some(Value::Set(_)) => Some(Kind::Set),
        Some(Value::ZSet(_)) => Some(Kind::ZSet),
        Some(_) => return reply.error(errors::WRONG_TYPE),
    };
    // A set has no order of its own: a stored result is sorted so that
    // replicas and the AOF see the same list.
    if options.dont_sort && kind == Some(Kind::Set) && options.store.is_some() {
        options.dont_sort = false;
        options.alpha = true;
        options.by = None;
    }
    // Redis converts a small sorted set for SORT, for good.
    if kind == Some(Kind::ZSet) {
        if let Some(Value::ZSet(zset)) = db.raw().peek_mut(key).map(|e| &mut e.value) {
            if let ZSet::Listpack(entries) = &mut **zset {
                **zset = ZSet::skiplist_from_sorted(core::mem::take(entries));
            }
        }
    }
    let value = kind.and_then(|_| db.raw().peek(key)).map(|e| &e.value);
    let len = match value {
        Some(Value::List(list)) => list.len(),
        Some(Value::Set(set)) => set.len(),
        Some(Value::ZSet(zset)) => zset.len(),
        _ => 0,
    } as i64;

    let (offset, count) = options.limit;
    let mut start = offset.max(0).min(len);
    let count = count.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);

    let mut items: Vec<Item> = Vec::new();
    // Unsorted lists and sorted sets keep their order: only the page is
    // taken, from the requested end.
    let (skip, page) = (start.max(0) as usize, (end - start + 1).max(0) as usize);
    match value {
        Some(Value::List(list)) if options.dont_sort => {
            items = take_page(list.items.iter().map(|e| e.as_bytes()), options.desc, skip, page);
            (start, end) = (0, end - start);
        }
        Some(Value::ZSet(zset)) if options.dont_sort => {
            items = take_page(zset.iter().map(|(_, m)| m.as_bytes()), options.desc, skip, page);
            (start, end) = (0, end - start);
        }
        Some(Value::List(list)) => items.extend(list.items.iter().map(|e| Item::new(e))),
        Some(Value::Set(set)) => set.for_each(|m| items.push(Item::new(m))),
        Some(Value::ZSet(zset)) => items.extend(zset.iter().map(|(_, m)| Item::new(m))),
        _ => {}
    }

    if !options.dont_sort {
        let mut conversion_error = false;
        // ALPHA without BY compares the elements themselves: no weights.
        let weighed = if options.alpha && options.by.is_none() {
            &mut [][..]
        } else {
            &mut items[..]
        };
        for item in weighed.iter_mut() {
            let weight = match options.by {
                Some(pattern) => match lookup_by_pattern(&mut db, pattern, &item.element) {
                    Some(weight) => weight,
                    None => continue,
                },
                None => item.element.as_bytes().to_vec(),
            };
            if options.alpha {
                if options.by.is_some() {
                    item.weight = Some(weight);
                }
            } else {
                match sort_score(&weight) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                }
            }
        }
        if conversion_error {
            return reply.error(b"ERR One or more scores can't be converted into double");
        }
        let storing = options.store.is_some();
        let by = options.by.is_some();
        let (alpha, desc) = (options.alpha, options.desc);
        let mut order = |a: &Item, b: &Item| {
            let order = compare(a, b, alpha, by, storing);
            if desc {
                order.reverse()
            } else {
                order
            }
        };
        // Equal weights keep their input order under a full sort (glibc's
        // qsort is a merge sort); with BY and a LIMIT, Redis sorts only the
        // page with its own quicksort, whose order for ties we follow.
        if by && (start != 0 || end != len - 1) {
            pqsort::partial_quicksort(&mut items, (start as isize, end as isize), &mut order);
        } else {
            items.sort_by(order);
        }
    }

    let page: &[Item] = if end >= start && start >= 0 {
        items.get(start as usize..=end as usize).unwrap_or(&[])
    } else {
        &[]
    };
    let output_len = page.len() * options.gets.len().max(1);
    match options.store {
        None => {
            reply.array(output_len);
            for item in page {
                if options.gets.is_empty() {
                    reply.bulk(&item.element);
                }
                for pattern in &options.gets {
                    match lookup_by_pattern(&mut db, pattern, &item.element) {
                        Some(value) => reply.bulk(&value),
                        None => reply.null(),
                    }
                }
            }
        }
        Some(destination) => {
            let mut list = List::new();
            for item in page {
                if options.gets.is_empty() {
                    list.items.push_back(item.element.clone());
                }
                for pattern in &options.gets {
                    let value = lookup_by_pattern(&mut db, pattern, &item.element).unwrap_or_default();
                    list.items.push_back(CompactBytes::new(&value));
                }
            }
            if output_len > 0 {
                db.set(destination, Value::List(Box::new(list)), false);
                ctx.dirty(output_len as u64);
            } else if db.delete(destination) {
                ctx.dirty(1);
            }
            reply.integer(output_len as i64);
        }
    }
}

/// `page` elements after skipping `skip`, from the tail when `desc`.
fn take_page<'a>(
    elements: impl DoubleEndedIterator<Item = &'a [u8]>,
    desc: bool,
    skip: usize,
    page: usize,
) -> Vec<Item> {
    if desc {
        elements.rev().skip(skip).take(page).map(Item::new).collect()
    } else {
        elements.skip(skip).take(page).map(Item::new).collect()
    }
}

/// The type of the sorted key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

/// `sortCompare`: numeric by score, ties by the elements' bytes; ALPHA by
/// the weights (missing ones first) or by the elements.
fn compare(a: &Item, b: &Item, alpha: bool, by: bool, storing: bool) -> Ordering {
    let strings = |x: &[u8], y: &[u8]| if storing { x.cmp(y) } else { c_str(x).cmp(c_str(y)) };
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.element.as_bytes().cmp(b.element.as_bytes()));
    }
    if by {
        match (&a.weight, &b.weight) {
            (Some(x), Some(y)) => strings(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    } else {
        strings(&a.element, &b.element)
    }
}

/// A string as C functions see it: up to the first NUL.
fn c_str(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == 0) {
        Some(end) => &bytes[..end],
        None => bytes,
    }
}

/// A numeric weight as SORT reads it with `strtod`: leading white space
/// allowed, the text ends at a NUL, the empty string is 0; NaN, overflow
/// and trailing garbage are errors, and so is any underflow (`ERANGE`):
/// unlike other Redis number parsing, SORT also refuses a subnormal result
/// that the text does not spell exactly (`1e-310`, but not `0x1p-1074`).
fn sort_score(bytes: &[u8]) -> Option<f64> {
    let text = c_str(bytes);
    if text.is_empty() {
        return Some(0.0);
    }
    let first = text
        .iter()
        .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let text = &text[first..];
    let score = parse_f64(text)?;
    if score.is_subnormal() && !exactly_representable(text) {
        return None;
    }
    Some(score)
}

/// Whether the decimal or hexadecimal number `text` is exactly a double
/// (glibc's `strtod` sets `ERANGE` for a tiny result only when rounded).
fn exactly_representable(text: &[u8]) -> bool {
    let Ok(text) = core::str::from_utf8(text) else {
        return false;
    };
    let unsigned = text.trim_start_matches(['+', '-']);
    let is_hex = unsigned.len() > 1 && unsigned.as_bytes()[1] | 0x20 == b'x';
    let mut buffer = alloc::string::String::with_capacity(unsigned.len() + 2);
    buffer.push_str(unsigned);
    if is_hex && !unsigned.bytes().any(|c| c | 0x20 == b'p') {
        buffer.push_str("p0");
    }
    match Double::from_str_r(&buffer, Round::NearestTiesToEven) {
        Ok(parsed) => !parsed.status.contains(Status::INEXACT),
        Err(_) => false,
    }
}

/// The value a BY or GET pattern names for `element` (`lookupKeyByPattern`):
/// `#` is the element itself; otherwise the first `*` is replaced by the
/// element and the resulting key read as a string, or, with `->field`
/// after the `*`, as that field of a hash. No `*`, a missing key or a
/// wrong type: nothing.
fn lookup_by_pattern(db: &mut DbMut<'_>, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    let c_pattern = c_str(pattern);
    if c_pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = c_pattern.iter().position(|&c| c == b'*')?;
    let arrow = c_pattern[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|at| star + 1 + at)
        .filter(|&at| at + 2 < c_pattern.len());
    let (postfix_end, field) = match arrow {
        Some(at) => (at, Some(&pattern[at + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(&pattern[star + 1..postfix_end]);
    match (db.get_value(&key)?, field) {
        (Value::Hash(hash), Some(field)) => hash.get(field).map(|v| v.as_bytes().to_vec()),
        (value, None) => value.as_str().map(|s| s.to_vec()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{connect, engine_with_client, propagated, send, send_args};
    use crate::engine::Engine;
    use crate::keyspace::dict::Dict;
    use crate::keyspace::hash::Hash;
    use crate::keyspace::set::Set;
    use alloc::string::String;
    use std::vec;

    /// An engine recording propagation, with values no command family of
    /// this branch can create put straight into db 0.
    fn engine_with(values: &[(&[u8], Value)]) -> (Engine, crate::engine::ClientHandle) {
        let (mut engine, _) = engine_with_client();
        engine.record_propagation(true);
        for (key, value) in values {
            engine.keyspace.db(0).add(key, value.clone());
        }
        let client = connect(&mut engine);
        (engine, client)
    }

    fn intset(members: &[i64]) -> Value {
        Value::Set(Box::new(Set::Intset(members.to_vec(), 2)))
    }

    fn table_set(members: &[&[u8]]) -> Value {
        let mut table = Dict::new();
        for member in members {
            table.insert_new(CompactBytes::new(member), ());
        }
        Value::Set(Box::new(Set::Table(table)))
    }

    fn hash(pairs: &[(&[u8], &[u8])]) -> Value {
        let pairs = pairs
            .iter()
            .map(|(f, v)| (CompactBytes::new(f), CompactBytes::new(v)))
            .collect();
        Value::Hash(Box::new(Hash::Listpack(pairs)))
    }

    /// The bulk strings of an array reply, `None` for nulls.
    fn strings(reply: &[u8]) -> Vec<Option<String>> {
        let text = String::from_utf8_lossy(reply).into_owned();
        let mut lines = text.split("\r\n");
        let header = lines.next().unwrap_or_default();
        assert!(header.starts_with('*'), "not an array: {text}");
        let mut out = Vec::new();
        while let Some(line) = lines.next() {
            if line == "$-1" || line == "_" {
                out.push(None);
            } else if line.starts_with('$') {
                out.push(lines.next().map(String::from));
            }
        }
        out
    }

    fn some(items: &[&str]) -> Vec<Option<String>> {
        items.iter().map(|s| Some(String::from(*s))).collect()
    }

    #[test]
    fn intsets_sort_numerically_and_keep_their_order_unsorted() {
        let (mut engine, client) = engine_with(&[(b"s", intset(&[-3, 2, 10, 11]))]);
        assert_eq!(
            strings(&send(&mut engine, client, "SORT s")),
            some(&["-3", "2", "10", "11"])
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT s DESC")),
            some(&["11", "10", "2", "-3"])
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT s ALPHA")),
            some(&["-3", "10", "11", "2"])
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT s BY nosort")),
            some(&["-3", "2", "10", "11"])
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT s LIMIT 1 2")),
            some(&["2", "10"])
        );
        assert_eq!(send(&mut engine, client, "OBJECT ENCODING s"), b"$6\r\nintset\r\n");
    }

    #[test]
    fn an_unsorted_set_stored_is_sorted_by_bytes_for_replicas() {
        let (mut engine, client) = engine_with(&[
            (b"t", table_set(&[b"b", b"10", b"a", b"9", b"c"])),
            (b"n", intset(&[1, 2, 10])),
        ]);
        assert_eq!(send(&mut engine, client, "SORT t BY nosort STORE d"), b":5\r\n");
        assert_eq!(
            strings(&send(&mut engine, client, "LRANGE d 0 -1")),
            some(&["10", "9", "a", "b", "c"])
        );
        // The forced sort is ALPHA, in the requested direction.
        assert_eq!(
            send(&mut engine, client, "SORT t BY nosort DESC LIMIT 0 2 STORE d"),
            b":2\r\n"
        );
        assert_eq!(strings(&send(&mut engine, client, "LRANGE d 0 -1")), some(&["c", "b"]));
        assert_eq!(send(&mut engine, client, "SORT n BY nosort STORE e"), b":3\r\n");
        assert_eq!(
            strings(&send(&mut engine, client, "LRANGE e 0 -1")),
            some(&["1", "10", "2"])
        );
        // Without STORE every element needs a score.
        assert_eq!(
            send(&mut engine, client, "SORT t"),
            b"-ERR One or more scores can't be converted into double\r\n"
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT t ALPHA LIMIT 0 3")),
            some(&["10", "9", "a"])
        );
        let unsorted = strings(&send(&mut engine, client, "SORT t BY nosort"));
        assert_eq!(unsorted.len(), 5);
        assert_eq!(
            propagated(&mut engine),
            vec![
                "SORT t BY nosort STORE d",
                "SORT t BY nosort DESC LIMIT 0 2 STORE d",
                "SORT n BY nosort STORE e"
            ]
        );
    }

    #[test]
    fn by_and_get_read_hash_fields() {
        let (mut engine, client) = engine_with(&[
            (b"h_1", hash(&[(b"w", b"30"), (b"name", b"one")])),
            (b"h_2", hash(&[(b"w", b"10"), (b"name", b"two")])),
            (b"h_3", hash(&[(b"name", b"three")])),
            (b"h_4", Value::string(b"notahash")),
            (b"m", hash(&[(b"a->b", b"deep"), (b"", b"empty")])),
            (b"s", table_set(&[b"x"])),
        ]);
        send(&mut engine, client, "RPUSH ids 1 2 3 4");
        // Missing fields and non-hash keys weigh 0; ties go by element.
        assert_eq!(
            strings(&send(&mut engine, client, "SORT ids BY h_*->w")),
            some(&["3", "4", "2", "1"])
        );
        assert_eq!(
            strings(&send(
                &mut engine,
                client,
                "SORT ids BY h_*->w DESC GET # GET h_*->name"
            )),
            vec![
                Some("1".into()),
                Some("one".into()),
                Some("2".into()),
                Some("two".into()),
                Some("4".into()),
                None,
                Some("3".into()),
                Some("three".into()),
            ]
        );
        assert_eq!(
            strings(&send(&mut engine, client, "SORT ids BY h_*->name ALPHA GET h_*->name")),
            vec![None, Some("one".into()), Some("three".into()), Some("two".into())]
        );
        // A hash read without a field, or a field of a set: nothing.
        assert_eq!(
            strings(&send(&mut engine, client, "SORT ids LIMIT 0 1 GET h_* GET s->x")),
            vec![None, None]
        );
        // The field is everything after the first `->` that follows the `*`.
        send(&mut engine, client, "RPUSH one m");
        assert_eq!(
            strings(&send(&mut engine, client, "SORT one BY nosort GET *->a->b GET *->")),
            vec![Some("deep".into()), None]
        );
        // STORE writes an empty string for a missing field.
        assert_eq!(
            send(&mut engine, client, "SORT ids BY h_*->w GET h_*->name STORE out"),
            b":4\r\n"
        );
        assert_eq!(
            strings(&send(&mut engine, client, "LRANGE out 0 -1")),
            some(&["three", "", "two", "one"])
        );
    }

    #[test]
    fn only_stores_that_change_something_propagate() {
        let (mut engine, client) = engine_with(&[]);
        send(&mut engine, client, "RPUSH l 2 1");
        send(&mut engine, client, "SORT l");
        send(&mut engine, client, "SORT_RO l");
        send(&mut engine, client, "SORT l LIMIT 5 5 STORE nothing");
        send(&mut engine, client, "SORT l STORE d");
        send(&mut engine, client, "SORT l LIMIT 5 5 STORE d");
        send(&mut engine, client, "SORT missing STORE d");
        send_args(&mut engine, client, &[&b"SORT"[..], b"l", b"STORE", b"bin\x00"]);
        assert_eq!(
            propagated(&mut engine),
            vec![
                "RPUSH l 2 1",
                "SORT l STORE d",
                "SORT l LIMIT 5 5 STORE d",
                "SORT l STORE bin\0"
            ]
        );
    }

    #[test]
    fn scores_read_like_strtod() {
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"  1.5"), Some(1.5));
        assert_eq!(sort_score(b"3\x00junk"), Some(3.0));
        assert_eq!(sort_score(b"   "), None);
        assert_eq!(sort_score(b"1x"), None);
        assert_eq!(sort_score(b"nan"), None);
        assert_eq!(sort_score(b"1e400"), None);
        assert_eq!(sort_score(b"-inf"), Some(f64::NEG_INFINITY));
        // Underflow: strtod's ERANGE for inexact tiny results.
        assert_eq!(sort_score(b"1e-400"), None);
        assert_eq!(sort_score(b"1e-310"), None);
        assert_eq!(sort_score(b"4.9406564584124654e-324"), None);
        assert_eq!(sort_score(b"2.225073858507201e-308"), None);
        assert_eq!(sort_score(b"2.2250738585072014e-308"), Some(f64::MIN_POSITIVE));
        assert_eq!(sort_score(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(sort_score(b"-0x1.8p-1070"), Some(-f64::from_bits(3 << 3)));
        assert_eq!(sort_score(b"0x1p-1080"), None);
        assert_eq!(sort_score(b" 0x1p-1030"), Some(f64::from_bits(1 << 44)));
    }

    #[test]
    fn store_key_is_the_last_store_outside_option_arguments() {
        let args = crate::resp::request::OwnedArgs::from_slices([
            &b"SORT"[..],
            b"k",
            b"BY",
            b"store",
            b"STORE",
            b"a",
            b"GET",
            b"x",
            b"STORE",
            b"b",
        ]);
        assert_eq!(
            sort_keys(args.as_args()),
            alloc::vec![(1, RO | ACCESS), (9, OW | UPDATE)]
        );
    }
}
