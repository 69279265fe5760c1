//! What a key's `lru` field records about its accesses, as Redis 7.0's
//! `evict.c` defines it: under an LRU (or no) eviction policy the seconds
//! clock of the last access (`OBJECT IDLETIME`); under an LFU policy the
//! minute of the last access and a logarithmic access counter (`OBJECT
//! FREQ`). The policy is read from the config for every command, so
//! switching `maxmemory-policy` at run time behaves as in Redis: old
//! fields are reinterpreted and adjust as keys are accessed.

use crate::util::rng::Rng;

/// The LRU clock wraps at 24 bits, as Redis's `LRU_CLOCK_MAX`.
pub const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

/// The counter a new key starts with under LFU, so that it is not evicted
/// before it had a chance to be accessed (`LFU_INIT_VAL`).
const LFU_INIT_VAL: u32 = 5;

/// How accesses are recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tracking {
    /// Seconds clock of the last access.
    #[default]
    Lru,
    /// Minutes of the last access (16 bits) and a counter (8 bits).
    Lfu {
        /// `lfu-log-factor`: how much harder each increment gets.
        log_factor: u32,
        /// `lfu-decay-time`: minutes for the counter to lose one point.
        decay_minutes: u32,
    },
}

/// The clocks and the policy a command runs with.
#[derive(Clone, Debug)]
pub struct Access {
    pub(crate) tracking: Tracking,
    /// Seconds, wrapped at [`LRU_CLOCK_MAX`].
    pub(crate) lru_clock: u32,
    /// Minutes, wrapped at 16 bits.
    pub(crate) minutes: u32,
    /// The coin tossed for LFU increments.
    pub(crate) rng: Rng,
}

impl Access {
    pub(crate) fn new() -> Self {
        Access {
            tracking: Tracking::Lru,
            lru_clock: 0,
            minutes: 0,
            rng: Rng::new(*b"vitrine lfu counter increments!!"),
        }
    }

    pub(crate) fn set_clock(&mut self, now_ms: i64) {
        let seconds = now_ms.max(0) / 1000;
        self.lru_clock = (seconds as u64 & LRU_CLOCK_MAX as u64) as u32;
        self.minutes = ((seconds / 60) & 0xffff) as u32;
    }

    /// The field of a key created now (`createObject`).
    #[inline]
    pub(crate) fn initial(&self) -> u32 {
        match self.tracking {
            Tracking::Lru => self.lru_clock,
            Tracking::Lfu { .. } => (self.minutes << 8) | LFU_INIT_VAL,
        }
    }

    /// The field of a key restored with the idle time or counter it had
    /// (`objectSetLRUOrLFU`: RDB `IDLE`/`FREQ`, `RESTORE … IDLETIME|FREQ`);
    /// what the policy does not track is ignored, and a key without either
    /// starts fresh.
    ///
    /// The idle time is taken as Redis's signed 64-bit `long long` (an RDB
    /// length of 2^63 or more is negative, hence ignored), scaled by
    /// 1000/1000 with the multiplication wrapping as it does in Redis,
    /// subtracted from the clock, lifted once by [`LRU_CLOCK_MAX`] when
    /// negative, and kept to the field's 24 bits: an idle time longer than
    /// the clock's cycle reads back modulo that cycle, as in Redis 7.0.
    pub fn restored(&self, idle_seconds: Option<u64>, freq: Option<u8>) -> u32 {
        match (self.tracking, idle_seconds, freq) {
            (Tracking::Lfu { .. }, _, Some(freq)) => (self.minutes << 8) | u32::from(freq),
            (Tracking::Lru, Some(idle), _) if idle as i64 >= 0 => {
                let idle = (idle as i64).wrapping_mul(1000) / 1000;
                let mut at = i64::from(self.lru_clock) - idle;
                if at < 0 {
                    at += i64::from(LRU_CLOCK_MAX);
                }
                (at as u64 & u64::from(LRU_CLOCK_MAX)) as u32
            }
            _ => self.initial(),
        }
    }

    /// Records an access in `field` (`updateLFU`, or the LRU stamp).
    #[inline]
    pub(crate) fn touch(&mut self, field: &mut u32) {
        match self.tracking {
            Tracking::Lru => *field = self.lru_clock,
            Tracking::Lfu { log_factor, .. } => {
                let counter = self.frequency(*field);
                let counter = self.log_increment(counter, log_factor);
                *field = (self.minutes << 8) | counter;
            }
        }
    }

    /// Increments `counter` with probability `1 / ((counter - 5) * factor + 1)`,
    /// saturating at 255 (`LFULogIncr`).
    fn log_increment(&mut self, counter: u32, log_factor: u32) -> u32 {
        if counter >= 255 {
            return 255;
        }
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let probability = 1.0 / (base * log_factor as f64 + 1.0);
        if self.rng.unit_f64() < probability {
            counter + 1
        } else {
            counter
        }
    }

    /// The LFU counter in `field` after the decay for the minutes since its
    /// last access (`LFUDecrAndReturn`).
    pub fn frequency(&self, field: u32) -> u32 {
        let last = field >> 8;
        let counter = field & 0xff;
        let decay = match self.tracking {
            Tracking::Lfu { decay_minutes, .. } => decay_minutes,
            Tracking::Lru => 1,
        };
        let elapsed = if self.minutes >= last {
            self.minutes - last
        } else {
            65535 - last + self.minutes
        };
        let periods = elapsed.checked_div(decay).unwrap_or(0);
        counter.saturating_sub(periods)
    }

    /// Milliseconds since the access recorded in an LRU `field`
    /// (`estimateObjectIdleTime`), the clock having possibly wrapped.
    pub fn idle_ms(&self, field: u32) -> u64 {
        let seconds = if self.lru_clock >= field {
            self.lru_clock - field
        } else {
            self.lru_clock + (LRU_CLOCK_MAX - field)
        };
        seconds as u64 * 1000
    }

    /// Whether LFU counters are kept.
    pub fn is_lfu(&self) -> bool {
        matches!(self.tracking, Tracking::Lfu { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lfu(log_factor: u32, decay_minutes: u32) -> Access {
        let mut access = Access::new();
        access.tracking = Tracking::Lfu {
            log_factor,
            decay_minutes,
        };
        access
    }

    #[test]
    fn lru_idle_time_survives_the_clock_wrap() {
        let mut access = Access::new();
        access.set_clock(10_000);
        let field = access.initial();
        access.set_clock(25_000);
        assert_eq!(access.idle_ms(field), 15_000);
        access.lru_clock = 3;
        assert_eq!(access.idle_ms(LRU_CLOCK_MAX - 2), 5_000);
    }

    #[test]
    fn lfu_counter_starts_at_five_grows_slowly_and_decays() {
        let mut access = lfu(10, 1);
        access.set_clock(60_000 * 100);
        let mut field = access.initial();
        assert_eq!(access.frequency(field), 5);
        for _ in 0..1000 {
            access.touch(&mut field);
        }
        let after = access.frequency(field);
        // 1000 hits with factor 10 give roughly 18 (Redis's table in redis.conf).
        assert!((12..30).contains(&after), "{after}");
        access.set_clock(60_000 * 103);
        assert_eq!(access.frequency(field), after - 3);
        access.set_clock(60_000 * 400);
        assert_eq!(access.frequency(field), 0);
    }

    #[test]
    fn restored_idle_times_wrap_as_in_redis() {
        let mut access = Access::new();
        access.lru_clock = 440_140;
        let idle_s = |access: &Access, idle: u64| access.idle_ms(access.restored(Some(idle), None)) / 1000;
        // Figures read from redis-server 7.0.15 at LRU clock 440140.
        assert_eq!(idle_s(&access, 100), 100);
        assert_eq!(idle_s(&access, 440_140), 440_140);
        assert_eq!(idle_s(&access, 440_141), 440_141);
        assert_eq!(idle_s(&access, 16_777_215), 0);
        assert_eq!(idle_s(&access, 16_777_216), 1);
        assert_eq!(idle_s(&access, 20_000_000), 3_222_784);
        assert_eq!(idle_s(&access, 100_000_000), 16_113_920);
        // The seconds times 1000 wrap past 2^63 in Redis.
        assert_eq!(idle_s(&access, i64::MAX as u64), 16_777_214);
        assert_eq!(idle_s(&access, 1 << 62), 0);
        // A length of 2^63 or more is a negative `long long`: not given.
        assert_eq!(access.restored(Some(u64::MAX), None), access.initial());
        // LRU ignores a counter, LFU an idle time.
        assert_eq!(access.restored(None, Some(7)), access.initial());
        let mut lfu = lfu(10, 1);
        lfu.set_clock(60_000 * 100);
        assert_eq!(lfu.restored(Some(30), None), lfu.initial());
        assert_eq!(lfu.frequency(lfu.restored(Some(30), Some(200))), 200);
    }

    #[test]
    fn factor_zero_counts_every_hit_up_to_255() {
        let mut access = lfu(0, 0);
        let mut field = access.initial();
        for _ in 0..300 {
            access.touch(&mut field);
        }
        assert_eq!(access.frequency(field), 255);
    }
}
