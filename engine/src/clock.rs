//! The simulated clock: the time now and the expiries scheduled (INV-4). Time only moves
//! forward, and what is due happens in time order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::{EngineError, Result};
use crate::rules::RuleId;
use crate::store::{NodeIx, Time};

pub(crate) const DAY: i64 = 86_400;

/// A scheduled expiry (ENTRA-2, AD-2, AD-3), applied in time order (INV-4).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct Expiry {
    pub at: Time,
    pub seq: u64,
    pub node: NodeIx,
    /// The state's start time when the expiry was scheduled: a stale entry is ignored.
    pub since: Time,
}

/// The clock and its schedule.
#[derive(Clone, Debug)]
pub struct Clock {
    now: Time,
    expiries: BinaryHeap<Reverse<Expiry>>,
    seq: u64,
}

impl Clock {
    pub fn new(start: Time) -> Clock {
        Clock {
            now: start,
            expiries: BinaryHeap::new(),
            seq: 0,
        }
    }

    pub fn now(&self) -> Time {
        self.now
    }

    /// Schedules an expiry of `node`'s state that began at `since`, `days` later.
    pub fn schedule(&mut self, node: NodeIx, since: Time, days: u32) {
        self.seq += 1;
        self.expiries.push(Reverse(Expiry {
            at: since.saturating_add(i64::from(days).saturating_mul(DAY)),
            seq: self.seq,
            node,
            since,
        }));
    }

    /// The next expiry due by `until`, with the clock moved to it (INV-4); `None` when none is
    /// left, the clock then at `until`. A negative wait or an expiry left behind is a defect.
    pub fn next_due(&mut self, until: Time) -> Result<Option<Expiry>> {
        if until < self.now {
            return Err(EngineError::Invariant {
                rule: RuleId::Inv4,
                message: format!("the clock cannot go back by {} s", self.now - until),
            });
        }
        match self.expiries.peek().copied() {
            Some(Reverse(e)) if e.at <= until => {
                self.expiries.pop();
                if e.at < self.now {
                    return Err(EngineError::Invariant {
                        rule: RuleId::Inv4,
                        message: format!(
                            "an expiry due at {} was left behind at {}",
                            e.at, self.now
                        ),
                    });
                }
                self.now = e.at;
                Ok(Some(e))
            }
            _ => {
                self.now = until;
                Ok(None)
            }
        }
    }
}
