//! What the first time-zone lookups of a fresh process cost (docs/performance.md#time-zones):
//! `IspTimeZone::parse` of a first zone (which opens the time-zone database), of a second
//! zone, and of the first again (from jiff's cache). A lookup happens at start-up when
//! `TIME_ZONE` is not UTC, and on a warm instance when a list first needs an ISP's zone.
//!
//! `cargo run --release --example tz_lookup` starts itself `TZ_LOOKUP_RUNS` times (default
//! 40) as a child that measures once, so every figure is a cold process, and prints medians
//! and p90 in microseconds, and which database jiff used.

use isp_crm::domain::zone::IspTimeZone;
use std::process::Command;
use std::time::Instant;

const CHILD: &str = "TZ_LOOKUP_CHILD";

fn micros(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e6
}

/// One cold measurement: the three lookups, then the database's description.
fn child() {
    let parse = |name| IspTimeZone::parse("time_zone", name).map(|z| z.name().to_owned());
    let t = Instant::now();
    let first = parse("Asia/Kolkata");
    let first_us = micros(t);
    let t = Instant::now();
    let second = parse("America/New_York");
    let second_us = micros(t);
    let t = Instant::now();
    let again = parse("Asia/Kolkata");
    let again_us = micros(t);
    match (first, second, again) {
        (Ok(_), Ok(_), Ok(_)) => println!(
            "{first_us:.1} {second_us:.1} {again_us:.1} {:?}",
            jiff::tz::db()
        ),
        other => {
            eprintln!("a lookup failed: {other:?}");
            std::process::exit(1);
        }
    }
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let at = ((values.len() as f64 - 1.0) * q).round() as usize;
    values.get(at).copied().unwrap_or(f64::NAN)
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let runs: usize = std::env::var("TZ_LOOKUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let exe = std::env::current_exe().expect("the example's own path");
    let mut columns: [Vec<f64>; 3] = Default::default();
    let mut database = String::new();
    for _ in 0..runs {
        let out = Command::new(&exe)
            .env(CHILD, "1")
            .output()
            .expect("run the child");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let mut fields = line.splitn(4, ' ');
        for column in &mut columns {
            let value = fields.next().and_then(|v| v.parse().ok());
            column.push(value.expect("a figure"));
        }
        database = fields.next().unwrap_or_default().to_owned();
    }
    println!("{runs} cold processes; {database}");
    for (name, column) in [
        "first lookup (opens the database)",
        "a second zone",
        "the first zone again",
    ]
    .iter()
    .zip(columns.iter_mut())
    {
        let median = quantile(column, 0.5);
        let p90 = quantile(column, 0.9);
        println!("{name:<36} median {median:>8.1} µs   p90 {p90:>8.1} µs");
    }
}
