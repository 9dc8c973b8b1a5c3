//! The clock: the only place that reads the system time.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Real time.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one reader of the wall clock (clippy.toml disallows it everywhere else).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Real time plus an offset that the ops API moves forward, so time rules are testable
/// without sleeping. The offset only grows: time never runs backwards.
#[derive(Debug, Default)]
pub struct SandboxClock {
    offset_seconds: AtomicI64,
}

impl SandboxClock {
    /// How far ahead of real time this clock runs.
    pub fn offset(&self) -> i64 {
        self.offset_seconds.load(Ordering::SeqCst)
    }

    /// Moves to `offset` when that is ahead (another instance advanced the shared time).
    pub fn catch_up(&self, offset: i64) {
        self.offset_seconds.fetch_max(offset, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) -> DateTime<Utc> {
        self.offset_seconds
            .fetch_add(seconds.max(0), Ordering::SeqCst);
        self.now()
    }
}

impl Clock for SandboxClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + TimeDelta::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_clock_moves_forward_only() {
        let clock = SandboxClock::default();
        let before = clock.now();
        clock.advance(3600);
        assert!(clock.now() - before >= TimeDelta::seconds(3600));
        clock.advance(-7200);
        assert!(clock.now() - before >= TimeDelta::seconds(3600));
    }
}
