//! Publish/subscribe commands (Redis's `pubsub.c`): channels, patterns and
//! the 7.0 shard channels (one shard here), with RESP2 arrays or RESP3
//! pushes as Redis writes them.

use super::spec::{flag::*, key_flag::*, Command, Group, KeySpec};
use super::{reply_help, Ctx};
use crate::engine::client::client_flag;
use crate::engine::pubsub;
use crate::resp::reply::Reply;
use crate::resp::request::Args;

const P: Group = Group::Pubsub;
const SUBSCRIBE_FLAGS: u64 = PUBSUB | NOSCRIPT | LOADING | STALE;
const SHARD_KEYS: &[KeySpec] = &[KeySpec::range(1, -1, 1, 0, NOT_KEY)];

/// The pub/sub commands.
pub static COMMANDS: &[Command] = &[
    Command::new("subscribe", -2, SUBSCRIBE_FLAGS, P, subscribe).doc(
        "2.0.0",
        "O(N) where N is the number of channels to subscribe to.",
        "Listens for messages published to channels.",
    ),
    Command::new("unsubscribe", -1, SUBSCRIBE_FLAGS, P, unsubscribe).doc(
        "2.0.0",
        "O(N) where N is the number of channels unsubscribed from.",
        "Stops listening to messages posted to channels.",
    ),
    Command::new("psubscribe", -2, SUBSCRIBE_FLAGS, P, psubscribe).doc(
        "2.0.0",
        "O(N) where N is the number of patterns.",
        "Listens for messages published to channels that match one or more patterns.",
    ),
    Command::new("punsubscribe", -1, SUBSCRIBE_FLAGS, P, punsubscribe).doc(
        "2.0.0",
        "O(N+M) where N is the client's patterns and M all patterns.",
        "Stops listening to messages published to channels that match one or more patterns.",
    ),
    Command::new(
        "publish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        P,
        publish,
    )
    .doc(
        "2.0.0",
        "O(N+M) where N is the channel's subscribers and M the subscribed patterns.",
        "Posts a message to a channel.",
    ),
    Command::new("ssubscribe", -2, SUBSCRIBE_FLAGS, P, ssubscribe)
        .keys(SHARD_KEYS)
        .doc(
            "7.0.0",
            "O(N) where N is the number of shard channels to subscribe to.",
            "Listens for messages published to shard channels.",
        ),
    Command::new("sunsubscribe", -1, SUBSCRIBE_FLAGS, P, sunsubscribe)
        .keys(SHARD_KEYS)
        .doc(
            "7.0.0",
            "O(N) where N is the number of shard channels.",
            "Stops listening to messages posted to shard channels.",
        ),
    Command::new(
        "spublish",
        3,
        PUBSUB | LOADING | STALE | FAST | MAY_REPLICATE,
        P,
        spublish,
    )
    .keys(&[KeySpec::one(1, NOT_KEY)])
    .doc(
        "7.0.0",
        "O(N) where N is the number of the shard channel's subscribers.",
        "Post a message to a shard channel",
    ),
    Command::container("pubsub", P, PUBSUB_SUBCOMMANDS).doc(
        "2.8.0",
        "Depends on subcommand.",
        "A container for Pub/Sub commands.",
    ),
];

static PUBSUB_SUBCOMMANDS: &[Command] = &[
    Command::new("channels", -2, PUBSUB | LOADING | STALE, P, pubsub_channels).doc(
        "2.8.0",
        "O(N) where N is the number of active channels.",
        "Returns the active channels.",
    ),
    Command::new("numsub", -2, PUBSUB | LOADING | STALE, P, pubsub_numsub).doc(
        "2.8.0",
        "O(N) for N requested channels.",
        "Returns a count of subscribers to channels.",
    ),
    Command::new("numpat", 2, PUBSUB | LOADING | STALE, P, pubsub_numpat).doc(
        "2.8.0",
        "O(1)",
        "Returns a count of unique pattern subscriptions.",
    ),
    Command::new("shardchannels", -2, PUBSUB | LOADING | STALE, P, pubsub_shardchannels).doc(
        "7.0.0",
        "O(N) where N is the number of active shard channels.",
        "Returns the active shard channels.",
    ),
    Command::new("shardnumsub", -2, PUBSUB | LOADING | STALE, P, pubsub_shardnumsub).doc(
        "7.0.0",
        "O(N) for N requested shard channels.",
        "Returns the count of subscribers of shard channels.",
    ),
    Command::new("help", 2, LOADING | STALE, P, pubsub_help).doc(
        "6.2.0",
        "O(1)",
        "Returns helpful text about the different subcommands.",
    ),
];

/// Writes a subscription confirmation push (`kind channel count`).
fn confirm(reply: &mut Reply, kind: &[u8], name: Option<&[u8]>, count: usize) {
    reply.push(3);
    reply.bulk(kind);
    match name {
        Some(name) => reply.bulk(name),
        None => reply.null(),
    }
    reply.integer(count as i64);
}

/// Refuses subscriptions inside EXEC (`CLIENT_DENY_BLOCKING` outside MULTI).
fn deny_blocking(ctx: &Ctx<'_>, command: &[u8], reply: &mut Reply) -> bool {
    if ctx.client.has(client_flag::DENY_BLOCKING) && !ctx.client.has(client_flag::MULTI) {
        reply.error_parts(&[b"ERR ", command, b" isn't allowed for a DENY BLOCKING client"]);
        return true;
    }
    false
}

/// `SUBSCRIBE channel [channel ...]`
fn subscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if deny_blocking(ctx, b"SUBSCRIBE", reply) {
        return;
    }
    for channel in args.iter().skip(1) {
        ctx.server.pubsub.subscribe(ctx.client, channel);
        confirm(reply, b"subscribe", Some(channel), ctx.client.subscription_count());
    }
    ctx.client.flags |= client_flag::PUBSUB;
}

/// `UNSUBSCRIBE [channel ...]`
fn unsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let channels: alloc::vec::Vec<_> = if args.len() == 1 {
        ctx.client.channels.clone()
    } else {
        args.iter().skip(1).map(crate::keyspace::CompactBytes::new).collect()
    };
    for channel in &channels {
        ctx.server.pubsub.unsubscribe(ctx.client, channel);
        confirm(reply, b"unsubscribe", Some(channel), ctx.client.subscription_count());
    }
    if channels.is_empty() {
        confirm(reply, b"unsubscribe", None, ctx.client.subscription_count());
    }
}

/// `PSUBSCRIBE pattern [pattern ...]`
fn psubscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if deny_blocking(ctx, b"PSUBSCRIBE", reply) {
        return;
    }
    for pattern in args.iter().skip(1) {
        ctx.server.pubsub.psubscribe(ctx.client, pattern);
        confirm(reply, b"psubscribe", Some(pattern), ctx.client.subscription_count());
    }
    ctx.client.flags |= client_flag::PUBSUB;
}

/// `PUNSUBSCRIBE [pattern ...]`
fn punsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let patterns: alloc::vec::Vec<_> = if args.len() == 1 {
        ctx.client.patterns.clone()
    } else {
        args.iter().skip(1).map(crate::keyspace::CompactBytes::new).collect()
    };
    for pattern in &patterns {
        ctx.server.pubsub.punsubscribe(ctx.client, pattern);
        confirm(reply, b"punsubscribe", Some(pattern), ctx.client.subscription_count());
    }
    if patterns.is_empty() {
        confirm(reply, b"punsubscribe", None, ctx.client.subscription_count());
    }
}

/// `SSUBSCRIBE shardchannel [shardchannel ...]`
fn ssubscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if ctx.client.has(client_flag::DENY_BLOCKING) {
        reply.error(b"ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        return;
    }
    for channel in args.iter().skip(1) {
        ctx.server.pubsub.ssubscribe(ctx.client, channel);
        confirm(reply, b"ssubscribe", Some(channel), ctx.client.shard_channels.len());
    }
    ctx.client.flags |= client_flag::PUBSUB;
}

/// `SUNSUBSCRIBE [shardchannel ...]`
fn sunsubscribe(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let channels: alloc::vec::Vec<_> = if args.len() == 1 {
        ctx.client.shard_channels.clone()
    } else {
        args.iter().skip(1).map(crate::keyspace::CompactBytes::new).collect()
    };
    for channel in &channels {
        ctx.server.pubsub.sunsubscribe(ctx.client, channel);
        confirm(reply, b"sunsubscribe", Some(channel), ctx.client.shard_channels.len());
    }
    if channels.is_empty() {
        confirm(reply, b"sunsubscribe", None, ctx.client.shard_channels.len());
    }
}

/// `PUBLISH channel message`: replicated to replicas even though it
/// changes no key, as Redis forces.
fn publish(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let receivers = pubsub::publish(ctx.server, ctx.client, reply, args.get(1), args.get(2), false);
    ctx.force_propagation();
    reply.integer(receivers as i64);
}

/// `SPUBLISH shardchannel message`
fn spublish(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    let receivers = pubsub::publish(ctx.server, ctx.client, reply, args.get(1), args.get(2), true);
    ctx.force_propagation();
    reply.integer(receivers as i64);
}

fn reply_names(reply: &mut Reply, names: &[crate::keyspace::CompactBytes]) {
    reply.array(names.len());
    for name in names {
        reply.bulk(name);
    }
}

/// `PUBSUB CHANNELS [pattern]`
fn pubsub_channels(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 3 {
        reply_subcommand_syntax_error(args, reply);
        return;
    }
    reply_names(reply, &ctx.server.pubsub.active_channels(args.try_get(2)));
}

/// `PUBSUB SHARDCHANNELS [pattern]`
fn pubsub_shardchannels(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    if args.len() > 3 {
        reply_subcommand_syntax_error(args, reply);
        return;
    }
    reply_names(reply, &ctx.server.pubsub.active_shard_channels(args.try_get(2)));
}

/// `PUBSUB NUMSUB [channel ...]`
fn pubsub_numsub(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply.array((args.len() - 2) * 2);
    for channel in args.iter().skip(2) {
        reply.bulk(channel);
        reply.integer(ctx.server.pubsub.subscriber_count(channel) as i64);
    }
}

/// `PUBSUB SHARDNUMSUB [shardchannel ...]`
fn pubsub_shardnumsub(ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply.array((args.len() - 2) * 2);
    for channel in args.iter().skip(2) {
        reply.bulk(channel);
        reply.integer(ctx.server.pubsub.shard_subscriber_count(channel) as i64);
    }
}

/// `PUBSUB NUMPAT`
fn pubsub_numpat(ctx: &mut Ctx<'_>, _args: Args<'_>, reply: &mut Reply) {
    reply.integer(ctx.server.pubsub.pattern_count() as i64);
}

/// `PUBSUB HELP`
fn pubsub_help(_ctx: &mut Ctx<'_>, args: Args<'_>, reply: &mut Reply) {
    reply_help(
        reply,
        args.get(0),
        &[
            "CHANNELS [<pattern>]",
            "    Lists the channels with subscribers, matching <pattern> if given.",
            "NUMPAT",
            "    Counts the distinct patterns subscribed to.",
            "NUMSUB [<channel> ...]",
            "    Counts the subscribers of each channel (pattern subscribers excluded).",
            "SHARDCHANNELS [<pattern>]",
            "    Lists the shard channels with subscribers, matching <pattern> if given.",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Counts the subscribers of each shard channel.",
        ],
    );
}

/// `ERR unknown subcommand or wrong number of arguments for '…'. Try X HELP.`
pub fn reply_subcommand_syntax_error(args: Args<'_>, reply: &mut Reply) {
    let command = args.get(0).to_ascii_uppercase();
    let sub = args.get(1);
    reply.error_parts(&[
        b"ERR unknown subcommand or wrong number of arguments for '",
        &sub[..sub.len().min(128)],
        b"'. Try ",
        &command,
        b" HELP.",
    ]);
}
