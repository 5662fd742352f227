//! Which hosts are this computer: the one fact behind three rules — the bridge accepts
//! `http://` origins only for loopback hosts (anyone on the network path to any other `http`
//! origin can inject script into it), the module's `connectBridge` connects only to loopback
//! bridges unless its caller opts in, and the demo page's CSP.
//!
//! Loopback here is what a browser and the OS both treat as this computer without asking a
//! resolver: the name `localhost`, IPv4 `127.0.0.0/8` (canonical dotted decimal) and IPv6
//! `::1` (in brackets, as URLs and origins write it). Names that merely resolve to
//! 127.0.0.1 (`evil.example`, `*.localhost`) are not loopback for these rules: their
//! resolution is not ours to trust.

/// Whether `host` (as it appears in a URL or origin: lower-case name, dotted IPv4 or
/// bracketed IPv6, no port) is a loopback host.
pub fn is_loopback_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return ipv6(inner) == Some([0, 0, 0, 0, 0, 0, 0, 1]);
    }
    ipv4(host).is_some_and(|ip| ip[0] == 127)
}

// The two readers below accept exactly what `std::net`'s `Ipv4Addr` / `Ipv6Addr` parsers
// accept, with the same result (test `the_readers_agree_with_std`): in the browser module
// `std`'s parsers and their address formatting were 1.9 KB of the gzipped module (issue 15).

/// A dotted-decimal IPv4 address: four numbers from 0 to 255 of one to three digits, none
/// with a leading zero (so the text is the address's canonical form).
fn ipv4(text: &str) -> Option<[u8; 4]> {
    let mut octets = [0; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        *octet = u8::try_from(number(part, 10, 3)?).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

/// An IPv6 address's eight groups: hex groups of one to four digits separated by `:`, one
/// `::` standing for one or more zero groups, and a dotted IPv4 address as the last two.
fn ipv6(text: &str) -> Option<[u16; 8]> {
    let mut groups = [0; 8];
    let Some((head, tail)) = split_once(text, "::") else {
        return (read_groups(text, &mut groups, true)? == 8).then_some(groups);
    };
    let mut tail_groups = [0; 7];
    let h = if head.is_empty() {
        0
    } else {
        read_groups(head, &mut groups[..7], false)?
    };
    let t = if tail.is_empty() {
        0
    } else {
        read_groups(tail, &mut tail_groups[..7 - h], true)?
    };
    groups[8 - t..].copy_from_slice(&tail_groups[..t]);
    Some(groups)
}

/// Reads `text`'s `:`-separated groups into `out` (no more than it holds) and counts them;
/// when `v4_last`, a dotted IPv4 address may end `text` as two groups.
fn read_groups(text: &str, out: &mut [u16], v4_last: bool) -> Option<usize> {
    let mut n = 0;
    let mut parts = text.split(':').peekable();
    while let Some(part) = parts.next() {
        if v4_last && parts.peek().is_none() && part.contains('.') {
            let [a, b, c, d] = ipv4(part)?;
            *out.get_mut(n + 1)? = u16::from_be_bytes([c, d]);
            out[n] = u16::from_be_bytes([a, b]);
            return Some(n + 2);
        }
        *out.get_mut(n)? = u16::try_from(number(part, 16, 4)?).ok()?;
        n += 1;
    }
    Some(n)
}

/// One to `max_digits` digits in `radix`, nothing else (no sign).
fn number(text: &str, radix: u32, max_digits: usize) -> Option<u32> {
    if text.is_empty() || text.len() > max_digits {
        return None;
    }
    text.chars()
        .try_fold(0, |n, c| Some(n * radix + c.to_digit(radix)?))
}

/// The host of `scheme://host[:port]` (an origin, or a URL's authority without user info),
/// `None` if it has no `://`. The path, query and fragment, if any, are cut off.
pub fn host_of(url: &str) -> Option<&str> {
    let (_, rest) = split_scheme(url)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if authority.contains('@') {
        return None;
    }
    if authority.starts_with('[') {
        let end = authority.find(']')?;
        return Some(&authority[..=end]);
    }
    Some(authority.split(':').next().unwrap_or(authority))
}

/// `url`'s scheme and what follows its `://`, `None` without one.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    split_once(url, "://")
}

/// `text.split_once(separator)` for an ASCII `separator`, by a plain byte search: `str`'s
/// substring search (two-way) was 0.5 KB of the gzipped browser module (issue 15).
fn split_once<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let at = text
        .as_bytes()
        .windows(separator.len())
        .position(|w| w == separator.as_bytes())?;
    Some((&text[..at], &text[at + separator.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "127.255.255.255",
            "[::1]",
        ] {
            assert!(is_loopback_host(yes), "{yes}");
        }
        for no in [
            "clinic.example.jp",
            "localhost.example.jp",
            "a.localhost",
            "128.0.0.1",
            "0.0.0.0",
            "10.0.0.1",
            "127.000.0.1",
            "127.1",
            "::1",
            "[::]",
            "[::ffff:127.0.0.1]",
            "LOCALHOST",
            "",
        ] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }

    /// `ipv4` / `ipv6` against `std::net`'s parsers: every string of up to six characters
    /// over the characters addresses are made of, and strings joined from address pieces.
    #[test]
    fn the_readers_agree_with_std() {
        let check = |text: &str| {
            let std4 = text.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets());
            assert_eq!(ipv4(text), std4, "{text:?}");
            let std6 = text
                .parse::<std::net::Ipv6Addr>()
                .ok()
                .map(|a| a.segments());
            assert_eq!(ipv6(text), std6, "{text:?}");
        };
        let alphabet = ['0', '1', '7', 'f', 'F', ':', '.', '+'];
        let mut texts = vec![String::new()];
        for _ in 0..6 {
            texts = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.iter().for_each(|t| check(t));
        }
        let pieces = [
            "0",
            "1",
            "00",
            "0000",
            "00000",
            "ffff",
            "fffff",
            "127",
            "255",
            "256",
            "01",
            "1000",
            ":",
            "::",
            ".",
            "0.0.0.1",
            "127.0.0.1",
            "1.2.3.4",
            "01.2.3.4",
            "g",
            "",
            "é",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300_000 {
            let mut text = String::new();
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            for _ in 0..(state >> 60) + 1 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
                if state & 1 == 0 {
                    text.push(':');
                }
            }
            check(&text);
        }
        for text in [
            "::1",
            "0:0:0:0:0:0:0:1",
            "0000:0000:0000:0000:0000:0000:0000:0001",
            "::0.0.0.1",
            "0:0:0:0:0:0:0.0.0.1",
            "::0:1",
            "0::1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7",
            "::1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5::1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "1.2.3.4::",
            "::ffff:127.0.0.1",
            "1::2::3",
            ":::1",
            "255.255.255.255",
            "256.0.0.1",
            "1.2.3.4.5",
            "1.2.3",
        ] {
            check(text);
        }
    }

    #[test]
    fn split_once_is_str_s() {
        for text in [
            "",
            ":",
            "::",
            "a::b::c",
            "1:2",
            ":::",
            "ws://x://y",
            "資::格",
            "a:",
        ] {
            for separator in ["::", "://", ":"] {
                assert_eq!(
                    split_once(text, separator),
                    text.split_once(separator),
                    "{text:?} {separator:?}"
                );
            }
        }
    }

    #[test]
    fn hosts_of_urls() {
        assert_eq!(host_of("ws://127.0.0.1:27450/v1"), Some("127.0.0.1"));
        assert_eq!(host_of("ws://[::1]:27450/v1"), Some("[::1]"));
        assert_eq!(host_of("http://localhost"), Some("localhost"));
        assert_eq!(host_of("wss://evil.example/v1?x"), Some("evil.example"));
        assert_eq!(host_of("ws://127.0.0.1@evil.example/"), None);
        assert_eq!(host_of("127.0.0.1:80"), None);
    }
}
