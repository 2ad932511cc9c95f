//! Candles and the 24-hour ticker, kept as trades happen: each engine step folds its trades into one candle per
//! width and bucket it touched (upserted with the step), and into the ticker's minute buckets in memory. Nothing
//! is recomputed from the trade table per request.

use chrono::{DateTime, TimeZone, Utc};
use std::collections::{BTreeMap, VecDeque};

/// A candle's width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Width {
    M1,
    M5,
    M15,
    H1,
    H4,
    D1,
}

impl Width {
    pub const ALL: [Width; 6] = [Width::M1, Width::M5, Width::M15, Width::H1, Width::H4, Width::D1];

    pub fn as_str(self) -> &'static str {
        match self {
            Width::M1 => "1m",
            Width::M5 => "5m",
            Width::M15 => "15m",
            Width::H1 => "1h",
            Width::H4 => "4h",
            Width::D1 => "1d",
        }
    }

    pub fn parse(text: &str) -> Option<Width> {
        Width::ALL.into_iter().find(|w| w.as_str() == text)
    }

    pub fn seconds(self) -> i64 {
        match self {
            Width::M1 => 60,
            Width::M5 => 300,
            Width::M15 => 900,
            Width::H1 => 3_600,
            Width::H4 => 14_400,
            Width::D1 => 86_400,
        }
    }

    /// The start of the bucket `at` falls in (buckets are aligned on the Unix epoch, so on UTC days).
    pub fn bucket(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let s = self.seconds();
        let start = at.timestamp().div_euclid(s) * s;
        Utc.timestamp_opt(start, 0).single().unwrap_or(at)
    }
}

/// Open, high, low and close in ticks; volume in lots and in quote minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    pub width: Width,
    pub open_time: DateTime<Utc>,
    pub open: u64,
    pub high: u64,
    pub low: u64,
    pub close: u64,
    pub volume: u128,
    pub quote_volume: u128,
    pub trades: u64,
}

impl Candle {
    fn first(width: Width, open_time: DateTime<Utc>, price: u64, qty: u64, quote: u128) -> Candle {
        Candle {
            width,
            open_time,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: u128::from(qty),
            quote_volume: quote,
            trades: 1,
        }
    }

    fn add(&mut self, price: u64, qty: u64, quote: u128) {
        self.high = self.high.max(price);
        self.low = self.low.min(price);
        self.close = price;
        self.volume += u128::from(qty);
        self.quote_volume += quote;
        self.trades += 1;
    }

    /// `later` (the same bucket, trades after this candle's) folded in.
    pub fn merge(&mut self, later: &Candle) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        self.volume += later.volume;
        self.quote_volume += later.quote_volume;
        self.trades += later.trades;
    }
}

/// The candles one step's trades make, one per width and bucket, to be merged into the stored ones.
#[derive(Debug, Default)]
pub struct StepCandles {
    candles: BTreeMap<(Width, DateTime<Utc>), Candle>,
}

impl StepCandles {
    pub fn record(&mut self, at: DateTime<Utc>, price: u64, qty: u64, quote: u128) {
        for width in Width::ALL {
            let open_time = width.bucket(at);
            self.candles
                .entry((width, open_time))
                .and_modify(|c| c.add(price, qty, quote))
                .or_insert_with(|| Candle::first(width, open_time, price, qty, quote));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.candles.is_empty()
    }

    pub fn candles(&self) -> impl Iterator<Item = &Candle> {
        self.candles.values()
    }
}

/// The 24-hour statistics of a market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ticker {
    /// Ticks; `None` before the first trade of the window.
    pub open: Option<u64>,
    pub high: Option<u64>,
    pub low: Option<u64>,
    /// The last trade ever, even if older than the window.
    pub last: Option<u64>,
    pub volume: u128,
    pub quote_volume: u128,
    pub trades: u64,
}

/// The last 24 hours as one-minute candles, in memory.
#[derive(Debug, Default, Clone)]
pub struct RollingDay {
    minutes: VecDeque<Candle>,
    last: Option<u64>,
}

const DAY_SECS: i64 = 86_400;

impl RollingDay {
    /// From stored one-minute candles (any order) and the last trade price.
    pub fn from_minutes(mut minutes: Vec<Candle>, last: Option<u64>) -> RollingDay {
        minutes.sort_by_key(|c| c.open_time);
        RollingDay {
            minutes: minutes.into(),
            last,
        }
    }

    pub fn record(&mut self, at: DateTime<Utc>, price: u64, qty: u64, quote: u128) {
        let open_time = Width::M1.bucket(at);
        match self.minutes.back_mut() {
            Some(c) if c.open_time == open_time => c.add(price, qty, quote),
            _ => self
                .minutes
                .push_back(Candle::first(Width::M1, open_time, price, qty, quote)),
        }
        self.last = Some(price);
    }

    /// The last trade price ever.
    pub fn last(&self) -> Option<u64> {
        self.last
    }

    /// The statistics of the 24 hours before `now`, dropping minutes that left the window.
    pub fn ticker(&mut self, now: DateTime<Utc>) -> Ticker {
        let since = now.timestamp() - DAY_SECS;
        while self
            .minutes
            .front()
            .is_some_and(|c| c.open_time.timestamp() + 60 <= since)
        {
            self.minutes.pop_front();
        }
        let mut t = Ticker {
            last: self.last,
            ..Ticker::default()
        };
        for c in &self.minutes {
            t.open.get_or_insert(c.open);
            t.high = Some(t.high.map_or(c.high, |h| h.max(c.high)));
            t.low = Some(t.low.map_or(c.low, |l| l.min(c.low)));
            t.volume += c.volume;
            t.quote_volume += c.quote_volume;
            t.trades += c.trades;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn buckets_align_on_the_epoch() {
        assert_eq!(Width::M5.bucket(at(1_000)), at(900));
        assert_eq!(Width::D1.bucket(at(86_400 * 3 + 5)), at(86_400 * 3));
        assert_eq!(Width::parse("4h"), Some(Width::H4));
        assert_eq!(Width::parse("2m"), None);
    }

    #[test]
    fn a_step_folds_its_trades_into_one_candle_per_width_and_bucket() {
        let mut step = StepCandles::default();
        step.record(at(60), 100, 2, 200);
        step.record(at(70), 120, 1, 120);
        step.record(at(130), 90, 1, 90);
        let m1: Vec<_> = step.candles().filter(|c| c.width == Width::M1).collect();
        assert_eq!(m1.len(), 2);
        assert_eq!((m1[0].open, m1[0].high, m1[0].low, m1[0].close), (100, 120, 100, 120));
        assert_eq!((m1[0].volume, m1[0].quote_volume, m1[0].trades), (3, 320, 2));
        let h1: Vec<_> = step.candles().filter(|c| c.width == Width::H1).collect();
        assert_eq!(
            (h1[0].open, h1[0].high, h1[0].low, h1[0].close, h1[0].trades),
            (100, 120, 90, 90, 3)
        );
    }

    #[test]
    fn the_ticker_covers_the_last_24_hours() {
        let mut day = RollingDay::default();
        day.record(at(0), 100, 1, 100);
        day.record(at(3_600), 150, 2, 300);
        day.record(at(7_200), 120, 1, 120);
        let t = day.ticker(at(7_300));
        assert_eq!(
            (t.open, t.high, t.low, t.last),
            (Some(100), Some(150), Some(100), Some(120))
        );
        assert_eq!((t.volume, t.trades), (4, 3));
        let later = day.ticker(at(86_400 + 3_700));
        assert_eq!((later.open, later.volume, later.last), (Some(120), 1, Some(120)));
        let empty = day.ticker(at(86_400 * 3));
        assert_eq!((empty.open, empty.volume, empty.last), (None, 0, Some(120)));
    }
}
