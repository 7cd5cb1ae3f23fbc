//! Calendar dates as carriers write them, read to time since the epoch:
//! pure, without a clock or a date crate (a few lines of arithmetic, where a
//! date library would add its time-zone tables to every worker).

/// Milliseconds since the epoch of an RFC 2822 date as Twilio writes it
/// (`Tue, 21 Nov 2026 22:00:00 +0000`); the weekday is optional.
pub fn rfc2822_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.split_once(',').map_or(text, |(_, rest)| rest).trim();
    let mut parts = text.split_ascii_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':');
    let (h, m): (i64, i64) = (hms.next()?.parse().ok()?, hms.next()?.parse().ok()?);
    let s: i64 = hms.next().map_or(Some(0), |s| s.parse().ok())?;
    let zone = parts.next().unwrap_or("+0000");
    let offset_min = match zone {
        "GMT" | "UT" | "UTC" | "Z" => 0,
        z if z.len() == 5 && (z.starts_with('+') || z.starts_with('-')) => {
            let hh: i64 = z[1..3].parse().ok()?;
            let mm: i64 = z[3..5].parse().ok()?;
            let sign = if z.starts_with('-') { -1 } else { 1 };
            sign * (hh * 60 + mm)
        }
        _ => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    epoch_ms(year, month, day, (h, m, s), offset_min)
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`, as
/// Twilio's Debugger writes its times (fractions of a second dropped).
pub fn iso8601_ms(text: &str) -> Option<u64> {
    let (date, time) = text.trim().strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-');
    let (y, m, day) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut hms = time.split('.').next()?.split(':');
    let mut next = || -> Option<i64> { hms.next()?.parse().ok() };
    let hms = (next()?, next()?, next()?);
    if d.next().is_some() {
        return None;
    }
    epoch_ms(y, m, day, hms, 0)
}

/// Milliseconds since the epoch of a checked date and time of day, at an
/// offset from UTC in minutes; `None` for a field out of range or a time
/// before 1970.
pub fn epoch_ms(
    year: i64,
    month: u32,
    day: u32,
    (h, m, s): (i64, i64, i64),
    offset_min: i64,
) -> Option<u64> {
    let in_range = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..=23).contains(&h)
        && (0..=59).contains(&m)
        && (0..=60).contains(&s);
    if !in_range {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s - offset_min * 60;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// The UTC month `YYYY-MM` as [start, end) in ms since the epoch: what a
/// month of usage covers, for billing.
pub fn month_range(text: &str) -> Option<(u64, u64)> {
    let (y, m) = text.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i64, u32) = (y.parse().ok()?, m.parse().ok()?);
    let start = epoch_ms(y, m, 1, (0, 0, 0), 0)?;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    Some((start, epoch_ms(ny, nm, 1, (0, 0, 0), 0)?))
}

/// `YYYY-MM` of a time, UTC: the month [`month_range`] reads back.
pub fn month_of(ms: u64) -> String {
    let (y, m, _) = civil(ms);
    format!("{y:04}-{m:02}")
}

/// `YYYY-MM-DD` of a time, UTC.
pub fn day_of(ms: u64) -> String {
    let (y, m, d) = civil(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The UTC date of a time: civil from days (Howard Hinnant's algorithm),
/// the inverse of [`days_from_civil`].
fn civil(ms: u64) -> (i64, i64, i64) {
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    // The same tests run compiled to wasm, under Node (scripts/test.sh).
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_day_reads_back_as_the_date_it_came_from() {
        // Every day of four years, leap days and year ends included.
        let first = days_from_civil(2027, 1, 1);
        for n in first..first + 4 * 366 {
            let ms = n as u64 * 86_400_000;
            let text = day_of(ms);
            let (y, rest) = text.split_once('-').unwrap();
            let (m, d) = rest.split_once('-').unwrap();
            let back = days_from_civil(y.parse().unwrap(), m.parse().unwrap(), d.parse().unwrap());
            assert_eq!(back, n, "{text}");
            assert_eq!(day_of(ms + 86_399_999), text, "the day's last millisecond");
        }
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(
            day_of(epoch_ms(2028, 2, 29, (12, 0, 0), 0).unwrap()),
            "2028-02-29"
        );
    }

    #[test]
    fn a_month_is_its_first_day_to_the_next_months() {
        let day = 86_400_000;
        assert_eq!(
            month_range("2026-11"),
            Some((
                epoch_ms(2026, 11, 1, (0, 0, 0), 0).unwrap(),
                epoch_ms(2026, 12, 1, (0, 0, 0), 0).unwrap()
            ))
        );
        let (a, b) = month_range("2026-12").unwrap();
        assert_eq!(b - a, 31 * day);
        let (a, b) = month_range("2028-02").unwrap();
        assert_eq!(b - a, 29 * day);
        // Every month start and end reads back as its own month.
        for m in [
            "1970-01", "2000-02", "2026-11", "2026-12", "2028-02", "2099-12",
        ] {
            let (a, b) = month_range(m).unwrap();
            assert_eq!(
                (month_of(a), month_of(b - 1)),
                (m.to_string(), m.to_string())
            );
        }
        for bad in [
            "2026-13",
            "2026-00",
            "2026-1",
            "26-11",
            "2026-11-01",
            "2026/11",
            "",
            "1969-12",
        ] {
            assert_eq!(month_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn debugger_times_read_as_utc() {
        assert_eq!(
            iso8601_ms("2026-11-21T22:00:05.123Z"),
            rfc2822_ms("21 Nov 2026 22:00:05 +0000")
        );
        for bad in [
            "2026-11-21T22:00:05",
            "2026-13-01T00:00:00Z",
            "2026-11-21",
            "2026-11-21-4T22:00:05Z",
        ] {
            assert_eq!(iso8601_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn twilio_dates_read_in_any_zone() {
        assert_eq!(rfc2822_ms("Thu, 01 Jan 1970 00:00:00 +0000"), Some(0));
        assert_eq!(
            rfc2822_ms("Mon, 16 Aug 2010 03:45:01 +0000"),
            Some(1_281_930_301_000)
        );
        assert_eq!(
            rfc2822_ms("29 Feb 2028 12:00:00 GMT"),
            Some(1_835_438_400_000)
        );
        assert_eq!(
            rfc2822_ms("Sat, 21 Nov 2026 17:00:05 -0500"),
            rfc2822_ms("Sat, 21 Nov 2026 22:00:05 +0000")
        );
        assert_eq!(
            rfc2822_ms("Sat, 21 Nov 2026 22:00 +0000").map(|m| m % 60_000),
            Some(0)
        );
        for bad in [
            "",
            "21 Nov",
            "Sat, 32 Nov 2026 22:00:05 +0000",
            "21 Foo 2026 22:00:05 +0000",
            "21 Nov 2026 24:00:00 +0000",
            "21 Nov 2026 22:00:05 +00",
        ] {
            assert_eq!(rfc2822_ms(bad), None, "{bad}");
        }
    }
}
