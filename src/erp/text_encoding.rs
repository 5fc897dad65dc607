//! Reading an export's bytes as text (`--encoding`).
//!
//! Chinese spreadsheet exports are often GB18030/GBK, and "Unicode text" from Excel is
//! UTF-16 with a byte-order mark. Decoding never replaces a bad byte with U+FFFD: a file
//! read in the wrong encoding is refused whole, with a hint, rather than imported as
//! mojibake that looks like data.

use std::borrow::Cow;
use std::str::FromStr;

use encoding_rs::{Encoding, GB18030, UTF_16LE};

/// The encoding of a file without a byte-order mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
    /// UTF-16, little-endian unless a byte-order mark says otherwise (as Windows writes it).
    Utf16,
}

impl FromStr for TextEncoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Ok(TextEncoding::Gb18030),
            "utf-16" | "utf16" | "utf-16le" => Ok(TextEncoding::Utf16),
            other => Err(format!(
                "unknown encoding '{other}': use utf-8, gb18030 or utf-16"
            )),
        }
    }
}

/// The file's text. A byte-order mark (UTF-8, UTF-16 LE or BE) decides the encoding and
/// is dropped; otherwise `given`, or UTF-8 with a hint when that fails.
pub fn decode(bytes: &[u8], given: Option<TextEncoding>) -> Result<Cow<'_, str>, String> {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom..).unwrap_or_default();
        return enc
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or_else(|| {
                format!(
                    "the file starts with a {} byte-order mark but is not valid {}",
                    enc.name(),
                    enc.name()
                )
            });
    }
    let strict = |enc: &'static Encoding| {
        enc.decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(|| format!("the file is not valid {}", enc.name()))
    };
    match given {
        Some(TextEncoding::Gb18030) => strict(GB18030),
        Some(TextEncoding::Utf16) => strict(UTF_16LE),
        Some(TextEncoding::Utf8) => utf8(bytes, false),
        None => utf8(bytes, true),
    }
}

fn utf8(bytes: &[u8], hint: bool) -> Result<Cow<'_, str>, String> {
    // NUL is valid UTF-8 (and GB18030), but no text export has it: it is UTF-16 without
    // a BOM, whose ASCII characters come with a zero byte each
    if let Some(at) = memchr::memchr(0, bytes).filter(|_| hint) {
        return Err(format!(
            "not UTF-8; it has NUL bytes (the first on line {}), so it looks like UTF-16 without a byte-order mark — pass --encoding utf-16",
            line_of(bytes, at)
        ));
    }
    std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
        let line = line_of(bytes, e.valid_up_to());
        let guess = if !hint {
            ""
        } else if GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
        {
            "; it looks like GB18030 — pass --encoding gb18030"
        } else {
            "; if it is GB18030/GBK or UTF-16, pass --encoding gb18030 or --encoding utf-16"
        };
        format!("not UTF-8{guess} (the first byte that is not UTF-8 is on line {line})")
    })
}

/// The 1-based line of byte `offset`.
fn line_of(bytes: &[u8], offset: usize) -> usize {
    let before = bytes.get(..offset).unwrap_or(bytes);
    memchr::memchr_iter(b'\n', before).count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id,name\nSO-1,深圳仓 蓝色马克杯\n";

    fn utf16(text: &str, le: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
        }
        for u in text.encode_utf16() {
            out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn boms_decide_and_are_dropped() {
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(TEXT.as_bytes());
        assert_eq!(decode(&with_bom, None).unwrap(), TEXT);
        assert_eq!(decode(&utf16(TEXT, true, true), None).unwrap(), TEXT);
        assert_eq!(decode(&utf16(TEXT, false, true), None).unwrap(), TEXT);
        // the BOM wins over the option
        assert_eq!(
            decode(&utf16(TEXT, false, true), Some(TextEncoding::Gb18030)).unwrap(),
            TEXT
        );
        let mut broken = utf16(TEXT, true, true);
        broken.push(0x41);
        assert!(decode(&broken, None).unwrap_err().contains("UTF-16LE"));
    }

    #[test]
    fn utf8_without_bom_is_the_default() {
        assert_eq!(decode(TEXT.as_bytes(), None).unwrap(), TEXT);
        assert_eq!(
            decode(TEXT.as_bytes(), Some(TextEncoding::Utf8)).unwrap(),
            TEXT
        );
    }

    #[test]
    fn gb18030_is_detected_with_a_hint_and_read_when_asked() {
        let (gb, _, unmappable) = GB18030.encode(TEXT);
        assert!(!unmappable);
        let e = decode(&gb, None).unwrap_err();
        assert!(
            e.contains("not UTF-8; it looks like GB18030 — pass --encoding gb18030 (")
                && e.contains("line 2"),
            "{e}"
        );
        assert_eq!(decode(&gb, Some(TextEncoding::Gb18030)).unwrap(), TEXT);
        // told it is UTF-8: no guessing
        let e = decode(&gb, Some(TextEncoding::Utf8)).unwrap_err();
        assert!(!e.contains("GB18030"), "{e}");
    }

    #[test]
    fn utf16_without_bom_needs_the_option() {
        let le = utf16(TEXT, true, false);
        let e = decode(&le, None).unwrap_err();
        assert!(
            e.contains("looks like UTF-16") && e.contains("--encoding utf-16"),
            "{e}"
        );
        // all ASCII, hence valid UTF-8, but with a NUL byte after each character
        let e = decode(&utf16("id,sku\nA,1\n", true, false), None).unwrap_err();
        assert!(e.contains("looks like UTF-16"), "{e}");
        assert_eq!(decode(&le, Some(TextEncoding::Utf16)).unwrap(), TEXT);
    }

    #[test]
    fn bytes_valid_in_nothing_get_a_general_hint() {
        let e = decode(b"id\n\x80\xff\n", None).unwrap_err();
        assert!(
            e.contains("not UTF-8; if it is") && e.contains("line 2"),
            "{e}"
        );
        assert!(decode(b"\x80\xff", Some(TextEncoding::Gb18030)).is_err());
    }

    #[test]
    fn encoding_names() {
        assert_eq!("GBK".parse(), Ok(TextEncoding::Gb18030));
        assert_eq!("utf-16".parse(), Ok(TextEncoding::Utf16));
        assert_eq!("UTF8".parse(), Ok(TextEncoding::Utf8));
        assert!("latin1"
            .parse::<TextEncoding>()
            .unwrap_err()
            .contains("gb18030"));
    }
}
