//! Time as fleet reads it from an engine: docker's RFC 3339 times
//! (`State.StartedAt`, a lock's `since`, the engine's clock) as Unix
//! seconds, and this machine's clock. The one date parser of the crate, at
//! the bottom of the layers so that `snapshot`, `engine_lock` and
//! `dispatch` all read times alike.

use std::time::{SystemTime, UNIX_EPOCH};

/// This machine's clock, in Unix seconds. Read by the code that talks to
/// an engine (when a look was taken, a claim's age), never by the pure
/// modules, which are given the time.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An RFC 3339 time (`2026-11-29T07:24:36.123456789Z`, `…+01:00`) as Unix
/// seconds.
pub(crate) fn unix_seconds(t: &str) -> Option<f64> {
    let t = t.trim();
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let (date, time) = t.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let zone_at = time.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = time.split_at(zone_at);
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut c = hms.splitn(3, ':');
    let (hh, mm, ss) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let (oh, om) = zone[1..].split_once(':')?;
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            sign * (num(oh)? * 3600 + num(om)? * 60)
        }
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let frac: f64 = match frac {
        "" => 0.0,
        f if f.bytes().all(|b| b.is_ascii_digit()) => format!("0.{f}").parse().ok()?,
        _ => return None,
    };
    let secs = days_from_civil(y, m, day) * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    Some(secs as f64 + frac)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
