//! Finds integer literals in JSON text that do not fit in 64 bits.
//!
//! serde_json (without `arbitrary_precision`, which would change every `Value` in the
//! program and slow all of them down) reads `12345678901234567890123` as the float
//! `1.2345678901234568e22`; afterwards nobody can tell that digits were lost. So the
//! text is checked before it is parsed: one pass that jumps over strings with `memchr`
//! (most of an ERP record is strings) and looks closely only at number tokens. It is
//! cheap enough to run over every batch the ERP pushes.
//!
//! A literal with a fraction or an exponent (`1.5`, `1e30`) is a float as sent and is
//! left alone: only integers are promised to be kept exactly.

/// An integer literal beyond `i64::MIN..=u64::MAX` (the range serde_json keeps exact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WideInt {
    /// Byte offset of the literal in the scanned text.
    pub offset: usize,
    pub literal: String,
}

impl WideInt {
    /// Why the record is refused, without the position (callers know how to say it).
    pub fn reason(&self) -> String {
        format!(
            "the integer {} does not fit in 64 bits and would lose digits as a float; send it as a string",
            self.literal
        )
    }
}

/// The first integer literal outside strings that does not fit in 64 bits, if any.
/// Text that is not valid JSON is scanned as far as it goes (the parser reports it).
pub fn first_wide_int(text: &[u8]) -> Option<WideInt> {
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'"' => i = string_end(text, i + 1),
            b'-' | b'0'..=b'9' => {
                let token = number_token(text, i);
                if token.integer && !fits(&text[i..token.end]) {
                    return Some(WideInt {
                        offset: i,
                        literal: String::from_utf8_lossy(&text[i..token.end]).into_owned(),
                    });
                }
                i = token.end;
            }
            _ => i += 1,
        }
    }
    None
}

/// The index just past the string whose contents start at `i` (or the end of `text`).
fn string_end(text: &[u8], mut i: usize) -> usize {
    loop {
        let Some(rest) = text.get(i..) else {
            return text.len();
        };
        match memchr::memchr2(b'"', b'\\', rest) {
            None => return text.len(),
            // a quote ends the string; a backslash escapes whatever byte follows it
            Some(k) if rest[k] == b'"' => return i + k + 1,
            Some(k) => i += k + 2,
        }
    }
}

struct Token {
    end: usize,
    /// At least one digit and neither a fraction nor an exponent.
    integer: bool,
}

fn number_token(text: &[u8], start: usize) -> Token {
    let mut i = start;
    if text.get(i) == Some(&b'-') {
        i += 1;
    }
    let digits_start = i;
    while text.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let has_digits = i > digits_start;
    let mut integer = has_digits;
    while let Some(b'.' | b'e' | b'E' | b'+' | b'-' | b'0'..=b'9') = text.get(i) {
        integer = false;
        i += 1;
    }
    Token {
        end: i.max(start + 1),
        integer,
    }
}

/// Whether an integer literal fits where serde_json keeps it exact: `i64` when
/// negative, `u64` otherwise.
fn fits(literal: &[u8]) -> bool {
    // 18 digits always fit; only longer literals need parsing
    if literal.len() <= 18 {
        return true;
    }
    let Ok(s) = std::str::from_utf8(literal) else {
        return true;
    };
    if s.starts_with('-') {
        s.parse::<i64>().is_ok()
    } else {
        s.parse::<u64>().is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wide(text: &str) -> Option<(usize, String)> {
        first_wide_int(text.as_bytes()).map(|w| (w.offset, w.literal))
    }

    #[test]
    fn integers_within_64_bits_pass() {
        for ok in [
            r#"{"a":1,"b":-2,"c":0}"#,
            r#"{"max":18446744073709551615,"min":-9223372036854775808}"#,
            r#"{"nineteen":1234567890123456789}"#,
            r#"[1.5, -0.25, 1e30, 1E+400, 12345678901234567890123.0, 12345678901234567890123e0]"#,
            r#"{"neg_float":-12345678901234567890123.5}"#,
            "",
            "true false null [] {}",
        ] {
            assert_eq!(wide(ok), None, "{ok}");
        }
    }

    #[test]
    fn integers_beyond_64_bits_are_found_with_their_offset() {
        let text = r#"{"id":"SO-1","data":{"tracking":12345678901234567890123}}"#;
        let at = text.find("123456").unwrap();
        assert_eq!(
            wide(text),
            Some((at, "12345678901234567890123".to_string()))
        );
        // one past u64::MAX, one below i64::MIN
        assert_eq!(
            wide("[18446744073709551616]").map(|w| w.1),
            Some("18446744073709551616".to_string())
        );
        assert_eq!(
            wide("[-9223372036854775809]"),
            Some((1, "-9223372036854775809".to_string()))
        );
        // a negative that fits u64 but not i64
        assert!(wide(r#"{"x": -18446744073709551615}"#).is_some());
    }

    #[test]
    fn numbers_inside_strings_are_text() {
        for ok in [
            r#"{"tracking":"12345678901234567890123"}"#,
            r#"{"12345678901234567890123":1}"#,
            r#"{"q":"a \"12345678901234567890123\" b"}"#,
            r#"{"back":"\\","n":5}"#,
            r#"{"esc":"\u0031 99999999999999999999999"}"#,
            r#"{"unterminated":"99999999999999999999999"#,
        ] {
            assert_eq!(wide(ok), None, "{ok}");
        }
        // an escaped backslash ends right before the closing quote: the number after
        // the string is seen
        let text = r#"{"a":"x\\","b":99999999999999999999999}"#;
        assert_eq!(wide(text).map(|w| w.0), text.find("999"));
    }

    #[test]
    fn nested_values_are_scanned() {
        let text = r#"{"data":{"lines":[{"sku":"A","qty":1},{"sku":"B","ids":[1,[2,{"n":-99999999999999999999}]]}]}}"#;
        assert_eq!(
            wide(text).map(|w| w.1),
            Some("-99999999999999999999".to_string())
        );
    }

    #[test]
    fn the_first_of_several_is_reported() {
        let text = "[1, 99999999999999999999, 88888888888888888888]";
        assert_eq!(wide(text), Some((4, "99999999999999999999".to_string())));
        assert!(first_wide_int(text.as_bytes())
            .unwrap()
            .reason()
            .contains("send it as a string"));
    }

    #[test]
    fn malformed_text_does_not_panic() {
        for bad in [
            "-",
            "--",
            "-x",
            "\"",
            "\\",
            "[1,",
            "{\"a\":\"\\",
            "1e",
            "-.",
        ] {
            let _ = wide(bad);
        }
        assert_eq!(wide("-"), None);
    }
}
