//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3) for the embedded assets: which of
//! the encodings we hold (brotli, gzip, identity) a client prefers.

use axum::http::{header, HeaderMap};

/// A content coding an asset can be sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Brotli,
    Gzip,
    Identity,
}

impl Coding {
    /// The `Content-Encoding` value, `None` for identity (which is never labelled).
    pub fn header_value(self) -> Option<&'static str> {
        match self {
            Coding::Brotli => Some("br"),
            Coding::Gzip => Some("gzip"),
            Coding::Identity => None,
        }
    }

    /// What is appended to the asset's ETag, so a cache never answers a conditional
    /// request for one encoding with another encoding's validator.
    pub fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Brotli => "-br",
            Coding::Gzip => "-gz",
            Coding::Identity => "",
        }
    }
}

/// The q-value (in thousandths) a client gave each coding we can send.
#[derive(Debug, Default)]
struct Weights {
    br: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    star: Option<u16>,
}

/// Parse a q-value (`0`, `0.5`, `1.000`…) into thousandths; `None` when malformed, so a
/// garbled entry is ignored rather than guessed at.
fn parse_q(s: &str) -> Option<u16> {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1000,
        _ => return None,
    };
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        let digit = u16::from(b - b'0');
        thousandths += digit * [100, 10, 1][i];
    }
    if whole == 1000 && thousandths != 0 {
        return None;
    }
    Some(whole + thousandths)
}

fn weights(headers: &HeaderMap) -> Option<Weights> {
    let mut w = Weights::default();
    let mut any = false;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        any = true;
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            if coding.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for param in parts {
                if let Some((name, val)) = param.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("q") {
                        q = parse_q(val);
                    }
                }
            }
            let Some(q) = q else { continue };
            let slot = match coding.as_str() {
                "br" => &mut w.br,
                "gzip" | "x-gzip" => &mut w.gzip,
                "identity" => &mut w.identity,
                "*" => &mut w.star,
                _ => continue,
            };
            // the same coding listed twice: the higher weight counts
            *slot = Some(slot.map_or(q, |old| old.max(q)));
        }
    }
    any.then_some(w)
}

/// The coding to send, given which compressed forms this asset has (identity it always
/// has). No `Accept-Encoding` means identity (old clients and tools); when nothing we
/// hold is acceptable we still send identity rather than a 406 — a page that loads beats
/// an error page, and RFC 9110 allows it.
pub fn choose(headers: &HeaderMap, has_brotli: bool, has_gzip: bool) -> Coding {
    let Some(w) = weights(headers) else {
        return Coding::Identity;
    };
    let star = w.star;
    // identity is acceptable unless refused by name or by `*;q=0`
    let identity = w
        .identity
        .or(star.map(|s| if s == 0 { 0 } else { 1 }))
        .unwrap_or(1);
    let mut best = (Coding::Identity, identity);
    // server preference on equal weights: brotli (smallest), then gzip
    let offers = [
        (Coding::Gzip, has_gzip, w.gzip.or(star)),
        (Coding::Brotli, has_brotli, w.br.or(star)),
    ];
    for (coding, held, q) in offers {
        if let (true, Some(q)) = (held, q) {
            if q > 0 && q >= best.1 {
                best = (coding, q);
            }
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(values: &[&str], held: bool) -> Coding {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
        }
        choose(&h, held, held)
    }

    #[test]
    fn negotiation_table() {
        use Coding::*;
        let cases: &[(&[&str], Coding)] = &[
            (&[], Identity),
            (&[""], Identity),
            (&["gzip, deflate, br, zstd"], Brotli),
            (&["gzip"], Gzip),
            (&["x-gzip"], Gzip),
            (&["br;q=0.5, gzip;q=0.8"], Gzip),
            (&["br;q=1.0, gzip;q=0.999"], Brotli),
            (&["br;q=0, gzip;q=0"], Identity),
            (&["identity"], Identity),
            (&["*"], Brotli),
            (&["*;q=0.5, identity;q=0.6"], Identity),
            (&["*;q=0"], Identity),
            (&["br;q=abc, gzip"], Gzip),
            (&["br;q=1.5, gzip;q=0.1"], Gzip),
            (&["deflate"], Identity),
            (&["GZIP"], Gzip),
            (&["gzip;q=0.2", "br;q=0.3"], Brotli),
            (&["identity;q=1, br;q=0.9"], Identity),
            (&[" br ; q = 0.9 , gzip ; q=0.1"], Brotli),
        ];
        for (values, want) in cases {
            assert_eq!(pick(values, true), *want, "{values:?}");
        }
    }

    #[test]
    fn an_asset_without_compressed_forms_is_identity() {
        assert_eq!(pick(&["br, gzip"], false), Coding::Identity);
    }

    #[test]
    fn a_missing_form_falls_back_to_the_next_acceptable_one() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.5"),
        );
        assert_eq!(choose(&h, false, true), Coding::Gzip);
        assert_eq!(choose(&h, true, false), Coding::Brotli);
        assert_eq!(choose(&h, false, false), Coding::Identity);
    }

    #[test]
    fn q_values() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0.001"), Some(1));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1.001"), None);
        assert_eq!(parse_q("0.0001"), None);
        assert_eq!(parse_q("2"), None);
        assert_eq!(parse_q("-1"), None);
        assert_eq!(parse_q(""), None);
    }
}
