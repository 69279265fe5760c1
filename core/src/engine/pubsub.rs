//! Publish/subscribe: channels and patterns, and delivering messages into
//! subscribers' output buffers (RESP2 arrays or RESP3 pushes).
//!
//! A subscriber whose output grows past `client-output-buffer-limit pubsub`
//! is closed, as in Redis, so one slow reader cannot exhaust memory.

use super::client::{client_flag, ClientState};
use super::Server;
use crate::keyspace::dict::Dict;
use crate::keyspace::CompactBytes;
use crate::resp::reply::Reply;
use crate::util::glob::glob_match;
use alloc::vec::Vec;

/// Subscriptions, server-wide.
#[derive(Default)]
pub struct PubSub {
    /// Channel → subscribers, in subscription order.
    channels: Dict<Vec<u64>>,
    /// Pattern → subscribers.
    patterns: Dict<Vec<u64>>,
    /// Shard channel → subscribers (SSUBSCRIBE; one shard here).
    shard_channels: Dict<Vec<u64>>,
}

impl PubSub {
    /// Number of channels with subscribers (`pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Number of patterns with subscribers (`pubsub_patterns`).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Number of shard channels with subscribers.
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// Shard channels with at least one subscriber, matching `pattern`.
    pub fn active_shard_channels(&self, pattern: Option<&[u8]>) -> Vec<CompactBytes> {
        self.shard_channels
            .iter()
            .filter(|(channel, _)| pattern.is_none_or(|p| glob_match(p, channel, false)))
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    /// Subscribers of shard channel `channel`.
    pub fn shard_subscriber_count(&self, channel: &[u8]) -> usize {
        self.shard_channels.get(channel).map_or(0, Vec::len)
    }

    /// SSUBSCRIBE to `channel`; returns whether it is new.
    pub fn ssubscribe(&mut self, state: &mut ClientState, channel: &[u8]) -> bool {
        if state.shard_channels.iter().any(|c| c.as_bytes() == channel) {
            return false;
        }
        let (subscribers, _) = self.shard_channels.get_or_insert_with(channel, Vec::new);
        subscribers.push(state.id);
        state.shard_channels.push(CompactBytes::new(channel));
        state.flags |= client_flag::PUBSUB;
        true
    }

    /// SUNSUBSCRIBE from `channel`; returns whether it was subscribed.
    pub fn sunsubscribe(&mut self, state: &mut ClientState, channel: &[u8]) -> bool {
        let Some(at) = state.shard_channels.iter().position(|c| c.as_bytes() == channel) else {
            return false;
        };
        state.shard_channels.remove(at);
        remove_subscriber(&mut self.shard_channels, channel, state.id);
        update_pubsub_flag(state);
        true
    }

    /// Channels with at least one subscriber, matching `pattern` if given.
    pub fn active_channels(&self, pattern: Option<&[u8]>) -> Vec<CompactBytes> {
        self.channels
            .iter()
            .filter(|(channel, _)| pattern.is_none_or(|p| glob_match(p, channel, false)))
            .map(|(channel, _)| channel.clone())
            .collect()
    }

    /// Subscribers of `channel` (PUBSUB NUMSUB).
    pub fn subscriber_count(&self, channel: &[u8]) -> usize {
        self.channels.get(channel).map_or(0, Vec::len)
    }

    /// Subscribes the client to `channel`; returns whether it is new.
    pub fn subscribe(&mut self, state: &mut ClientState, channel: &[u8]) -> bool {
        if state.channels.iter().any(|c| c.as_bytes() == channel) {
            return false;
        }
        let (subscribers, _) = self.channels.get_or_insert_with(channel, Vec::new);
        subscribers.push(state.id);
        state.channels.push(CompactBytes::new(channel));
        state.flags |= client_flag::PUBSUB;
        true
    }

    /// Unsubscribes from `channel`; returns whether it was subscribed.
    pub fn unsubscribe(&mut self, state: &mut ClientState, channel: &[u8]) -> bool {
        let Some(at) = state.channels.iter().position(|c| c.as_bytes() == channel) else {
            return false;
        };
        state.channels.remove(at);
        remove_subscriber(&mut self.channels, channel, state.id);
        update_pubsub_flag(state);
        true
    }

    /// Subscribes to `pattern`; returns whether it is new.
    pub fn psubscribe(&mut self, state: &mut ClientState, pattern: &[u8]) -> bool {
        if state.patterns.iter().any(|p| p.as_bytes() == pattern) {
            return false;
        }
        let (subscribers, _) = self.patterns.get_or_insert_with(pattern, Vec::new);
        subscribers.push(state.id);
        state.patterns.push(CompactBytes::new(pattern));
        state.flags |= client_flag::PUBSUB;
        true
    }

    /// Unsubscribes from `pattern`; returns whether it was subscribed.
    pub fn punsubscribe(&mut self, state: &mut ClientState, pattern: &[u8]) -> bool {
        let Some(at) = state.patterns.iter().position(|p| p.as_bytes() == pattern) else {
            return false;
        };
        state.patterns.remove(at);
        remove_subscriber(&mut self.patterns, pattern, state.id);
        update_pubsub_flag(state);
        true
    }

    /// Drops every subscription of a departing client.
    pub fn unsubscribe_all(&mut self, state: &mut ClientState) {
        for channel in core::mem::take(&mut state.channels) {
            remove_subscriber(&mut self.channels, &channel, state.id);
        }
        for pattern in core::mem::take(&mut state.patterns) {
            remove_subscriber(&mut self.patterns, &pattern, state.id);
        }
        for channel in core::mem::take(&mut state.shard_channels) {
            remove_subscriber(&mut self.shard_channels, &channel, state.id);
        }
        update_pubsub_flag(state);
    }

    /// Matching `(pattern, subscribers)` for a message on `channel`.
    fn matching_patterns(&self, channel: &[u8]) -> Vec<(CompactBytes, Vec<u64>)> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        self.patterns
            .iter()
            .filter(|(pattern, _)| glob_match(pattern, channel, false))
            .map(|(pattern, subscribers)| (pattern.clone(), subscribers.clone()))
            .collect()
    }
}

fn remove_subscriber(table: &mut Dict<Vec<u64>>, name: &[u8], id: u64) {
    let now_empty = match table.get_mut(name) {
        Some(subscribers) => {
            subscribers.retain(|&s| s != id);
            subscribers.is_empty()
        }
        None => false,
    };
    if now_empty {
        table.remove(name);
        table.shrink_if_needed();
    }
}

fn update_pubsub_flag(state: &mut ClientState) {
    if state.subscription_count() + state.shard_channels.len() == 0 {
        state.flags &= !client_flag::PUBSUB;
    }
}

/// Writes a `message` (or `smessage`) push.
fn write_message(reply: &mut Reply, kind: &[u8], channel: &[u8], message: &[u8]) {
    reply.push(3);
    reply.bulk(kind);
    reply.bulk(channel);
    reply.bulk(message);
}

/// Writes a `pmessage` push.
fn write_pmessage(reply: &mut Reply, pattern: &[u8], channel: &[u8], message: &[u8]) {
    reply.push(4);
    reply.bulk(b"pmessage");
    reply.bulk(pattern);
    reply.bulk(channel);
    reply.bulk(message);
}

/// PUBLISH: delivers `message` on `channel` to every subscriber and
/// returns how many received it. `current` is the publishing client (its
/// own subscriptions get the message in `current_reply`).
pub fn publish(
    server: &mut Server,
    current: &ClientState,
    current_reply: &mut Reply,
    channel: &[u8],
    message: &[u8],
    sharded: bool,
) -> usize {
    let mut receivers = 0;
    let (table, kind): (&Dict<Vec<u64>>, &[u8]) = if sharded {
        (&server.pubsub.shard_channels, b"smessage")
    } else {
        (&server.pubsub.channels, b"message")
    };
    let subscribers: Vec<u64> = table.get(channel).cloned().unwrap_or_default();
    for id in subscribers {
        receivers += 1;
        if id == current.id {
            write_message(current_reply, kind, channel, message);
        } else if let Some(client) = server.clients.by_id_mut(id) {
            write_message(&mut client.reply, kind, channel, message);
            enforce_pubsub_limit(server, id);
        }
    }
    if sharded {
        return receivers;
    }
    for (pattern, subscribers) in server.pubsub.matching_patterns(channel) {
        for id in subscribers {
            receivers += 1;
            if id == current.id {
                write_pmessage(current_reply, &pattern, channel, message);
            } else if let Some(client) = server.clients.by_id_mut(id) {
                write_pmessage(&mut client.reply, &pattern, channel, message);
                enforce_pubsub_limit(server, id);
            }
        }
    }
    receivers
}

/// Closes a subscriber whose pending output passed the pubsub hard limit
/// (or stayed over the soft limit too long), and wakes it either way.
fn enforce_pubsub_limit(server: &mut Server, id: u64) {
    let pending = server.clients.by_id_mut(id).map_or(0, |c| c.reply.len() as u64);
    enforce_output_limit(server, id, 2, pending);
    server.wake(id);
}

/// Schedules client `id` to be closed when `pending` output bytes pass
/// the hard limit of `client-output-buffer-limit` class `class` (0 normal,
/// 1 replica, 2 pubsub) or stayed over its soft limit for its seconds
/// (`checkClientOutputBufferLimits`), logging Redis's line; returns
/// whether this call scheduled it (the caller wakes it).
pub(crate) fn enforce_output_limit(server: &mut Server, id: u64, class: usize, pending: u64) -> bool {
    let limit = server.config.output_buffer_limits()[class];
    let now = server.now_ms;
    let Some(client) = server.clients.by_id_mut(id) else {
        return false;
    };
    let over_hard = limit.hard_bytes > 0 && pending > limit.hard_bytes;
    let over_soft = limit.soft_bytes > 0 && pending > limit.soft_bytes;
    let soft_expired = match (over_soft, client.state.soft_limit_since_ms) {
        (true, Some(since)) => now - since > limit.soft_seconds as i64 * 1000,
        (true, None) => {
            client.state.soft_limit_since_ms = Some(now);
            false
        }
        (false, _) => {
            client.state.soft_limit_since_ms = None;
            false
        }
    };
    if client.state.has(client_flag::CLOSE_ASAP) || !(over_hard || soft_expired) {
        return false;
    }
    // Described as it was (Redis's line shows no `A` flag yet).
    let info = super::process::client_info_line_at(&client.state, client.query.len(), client.reply.len(), now);
    client.state.flags |= client_flag::CLOSE_ASAP;
    server.log(
        3,
        &alloc::format!(
            "Client {} scheduled to be closed ASAP for overcoming of output buffer limits.",
            info
        ),
    );
    true
}
