//! Replays generated workloads through this engine and two open-source peers, checking each
//! engine's totals against the reference model and printing throughput and latency.
//!
//! `cargo bench -p matching --bench engine`; `BENCH_MESSAGES=300000` for a quick run,
//! `BENCH_WORKLOADS=ecmix,sweep` to pick workloads.

#[path = "support/mixes.rs"]
mod mixes;
#[path = "support/peers.rs"]
mod peers;
#[path = "../tests/common/reference.rs"]
#[allow(dead_code)]
mod reference;
#[path = "support/workload.rs"]
mod workload;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use peers::{Engine, Lobster, Ours, RustOrderBook};
use workload::{Msg, Totals, Workload};

const SEED: u64 = 0x00B0_0125;

type Generator = fn(usize, u64) -> Workload;

struct Run {
    name: &'static str,
    note: &'static str,
    totals: Totals,
    rate: f64,
    hist: Histogram<u64>,
    market_hist: Histogram<u64>,
}

fn max_id(w: &Workload) -> u64 {
    w.setup
        .iter()
        .chain(&w.msgs)
        .map(|m| match *m {
            Msg::Gtc { id, .. } | Msg::Ioc { id, .. } | Msg::Market { id, .. } => id,
            Msg::Cancel { id } | Msg::Move { id, .. } => id,
        })
        .max()
        .unwrap_or(0)
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds")
}

fn run<E: Engine>(w: &Workload) -> Run {
    let ids = max_id(w);
    // Throughput: no timer inside the loop; best of three fresh runs, because other
    // processes on the machine steal whole scheduler slices from some runs.
    let mut elapsed = Duration::MAX;
    let mut totals = Totals::default();
    for _ in 0..3 {
        let mut e = E::new(ids);
        for m in &w.setup {
            e.apply(m);
        }
        let start = Instant::now();
        for m in &w.msgs {
            e.apply(black_box(m));
        }
        elapsed = elapsed.min(start.elapsed());
        totals = e.totals();
    }

    // Latency: a fresh book, each message timed on its own.
    let mut e = E::new(ids);
    for m in &w.setup {
        e.apply(m);
    }
    let mut hist = histogram();
    let mut market_hist = histogram();
    for m in &w.msgs {
        let t = Instant::now();
        e.apply(black_box(m));
        let ns = t.elapsed().as_nanos() as u64;
        hist.saturating_record(ns.max(1));
        if let Msg::Market { .. } = m {
            market_hist.saturating_record(ns.max(1));
        }
    }
    if e.totals() != totals {
        eprintln!("{}: totals differ between its two runs", E::NAME);
    }
    Run {
        name: E::NAME,
        note: E::NOTE,
        totals,
        rate: w.msgs.len() as f64 / elapsed.as_secs_f64(),
        hist,
        market_hist,
    }
}

/// Cost of one `Instant::now()` pair, which every latency sample includes.
fn timer_overhead() -> u64 {
    let mut hist = histogram();
    for _ in 0..1_000_000 {
        let t = Instant::now();
        hist.saturating_record((t.elapsed().as_nanos() as u64).max(1));
    }
    hist.value_at_quantile(0.5)
}

fn us(ns: u64) -> String {
    format!("{:.3}", ns as f64 / 1000.0)
}

fn print_runs(w: &Workload, runs: &[Run]) {
    println!(
        "{:<24} {:>14} {:>9} {:>9} {:>9} {:>10}  {:<9} how driven",
        "engine", "msgs/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "result"
    );
    for r in runs {
        let ok = r.totals == w.expected;
        if ok {
            println!(
                "{:<24} {:>14} {:>9} {:>9} {:>9} {:>10}  {:<9} {}",
                r.name,
                group(r.rate as u64),
                us(r.hist.value_at_quantile(0.5)),
                us(r.hist.value_at_quantile(0.99)),
                us(r.hist.value_at_quantile(0.999)),
                us(r.hist.max()),
                "correct",
                r.note
            );
        } else {
            println!(
                "{:<24} {:>14} {:>9} {:>9} {:>9} {:>10}  {:<9} {} (traded {} and {} cancels; expected {} and {})",
                r.name,
                "-",
                "-",
                "-",
                "-",
                "-",
                "INCORRECT",
                r.note,
                r.totals.traded,
                r.totals.cancels,
                w.expected.traded,
                w.expected.cancels
            );
        }
    }
    if w.name == "sweep" {
        for r in runs.iter().filter(|r| r.totals == w.expected) {
            println!(
                "  sweep orders only, {:<22} p50 {} µs, p99 {} µs, max {} µs",
                r.name,
                us(r.market_hist.value_at_quantile(0.5)),
                us(r.market_hist.value_at_quantile(0.99)),
                us(r.market_hist.max())
            );
        }
    }
    let ours = &runs[0];
    let best_peer = runs[1..]
        .iter()
        .filter(|r| r.totals == w.expected)
        .map(|r| r.rate)
        .fold(0.0, f64::max);
    if ours.totals == w.expected && best_peer > 0.0 {
        println!("  => {:.2}x the best correct peer", ours.rate / best_peer);
    } else if ours.totals == w.expected {
        println!("  => no correct peer to compare with");
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn main() {
    let n: usize = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000_000);
    let only = std::env::var("BENCH_WORKLOADS").unwrap_or_default();
    // BENCH_ENGINES=none runs only this crate (for profiling).
    let engines = std::env::var("BENCH_ENGINES").unwrap_or_default();
    let wanted = |name: &str| only.is_empty() || only.split(',').any(|w| w.trim() == name);
    let generators: [(&str, Generator); 4] = [
        ("ecmix", mixes::ecmix),
        ("mixed", mixes::mixed),
        ("inserts", mixes::inserts),
        ("sweep", mixes::sweep),
    ];
    println!("matching engine benchmark: {n} messages per workload, seed {SEED:#x}, one thread");
    println!(
        "latency samples include the timer itself: about {} ns per sample",
        timer_overhead()
    );
    for (name, generate) in generators {
        if !wanted(name) {
            continue;
        }
        let t = Instant::now();
        let w = generate(n, SEED);
        let gen_time: Duration = t.elapsed();
        println!();
        println!("== {} — {}", w.name, w.description);
        println!(
            "   {} messages after {} setup orders; mix: {}; at the end {} resting orders on {} bid / {} ask levels",
            w.msgs.len(),
            w.setup.len(),
            w.mix,
            w.resting_at_end,
            w.levels_at_end.0,
            w.levels_at_end.1
        );
        println!(
            "   reference model (generated in {:.1} s): traded {} lots, {} cancels",
            gen_time.as_secs_f64(),
            w.expected.traded,
            w.expected.cancels
        );
        let mut runs = vec![run::<Ours>(&w)];
        if engines.is_empty() || engines.contains("lobster") {
            runs.push(run::<Lobster>(&w));
        }
        if engines.is_empty() || engines.contains("rust-order-book") {
            runs.push(run::<RustOrderBook>(&w));
        }
        print_runs(&w, &runs);
    }
}
