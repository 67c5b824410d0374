//! One retry policy for every HTTP request of the source (listings, small
//! reads, downloads): how long to wait before the next attempt.
//!
//! The wait doubles from `backoff` (0.5 s, 1 s, 2 s, …); a server that says
//! how long to wait (`Retry-After` on 429 or 503, in seconds or as an HTTP
//! date) is believed, up to `max_wait`.

use std::time::Duration;

use crate::source::HttpOptions;

/// The wait before attempt `attempt` (1 for the first retry), given the
/// server's `Retry-After` of the failed attempt when it sent one.
pub fn wait(options: &HttpOptions, attempt: u32, retry_after: Option<Duration>) -> Duration {
    let doubling = options
        .backoff
        .saturating_mul(1 << attempt.saturating_sub(1).min(10));
    match retry_after {
        Some(asked) => asked.min(options.max_wait),
        None => doubling.min(options.max_wait),
    }
}

/// `Retry-After` of a response: delay-seconds or an HTTP date (RFC 9110).
pub fn retry_after<B>(response: &ureq::http::Response<B>) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    parse_retry_after(value, jiff::Timestamp::now())
}

fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(v)
        .ok()?;
    let d = at.duration_since(now);
    Some(Duration::try_from(d).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 10:00:07 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past: now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn the_wait_doubles_and_the_server_is_believed_up_to_the_maximum() {
        let o = HttpOptions {
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(10),
            ..HttpOptions::default()
        };
        assert_eq!(wait(&o, 1, None), Duration::from_millis(500));
        assert_eq!(wait(&o, 2, None), Duration::from_secs(1));
        assert_eq!(wait(&o, 3, None), Duration::from_secs(2));
        assert_eq!(wait(&o, 20, None), Duration::from_secs(10), "bounded");
        assert_eq!(
            wait(&o, 1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            wait(&o, 1, Some(Duration::from_secs(3600))),
            Duration::from_secs(10)
        );
    }
}
