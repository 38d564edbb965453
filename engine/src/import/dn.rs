//! Distinguished names as AD writes them (RFC 4514): split on unescaped commas, compare
//! case-insensitively after unescaping.
//!
//! Nothing here fails or panics: an export's DN is kept as written and only compared, so a DN
//! AD would never write is read leniently rather than refused. A trailing lone backslash is kept
//! as a backslash; a backslash before a character that needs no escape (or before a bad `\XX`
//! pair) is dropped and the character kept; escaped bytes that are not UTF-8 become U+FFFD. A
//! value starting with an unescaped `#` (RFC 4514's hex-encoded BER form, which AD does not
//! write) is taken literally.

use std::borrow::Cow;

/// The RDNs of `dn`, left to right, split on unescaped commas and trimmed of unescaped
/// whitespace; still escaped. `CN=Kim\, Jordan,OU=Staff` gives `CN=Kim\, Jordan` and `OU=Staff`.
pub fn rdns(dn: &str) -> impl Iterator<Item = &str> {
    split_unescaped(dn, b',').map(trim_unescaped)
}

/// The value of `dn`'s first RDN, unescaped (`CN=Kim\, Jordan,OU=Staff` gives `Kim, Jordan`):
/// what AD holds in the object's naming attribute. For a multi-valued RDN, the first value;
/// `None` when the first RDN has no `=`.
pub fn first_value(dn: &str) -> Option<String> {
    let rdn = rdns(dn).next()?;
    let ava = split_unescaped(rdn, b'+').next()?;
    let eq = find_unescaped(ava, b'=')?;
    let (_, value) = split_around(ava, eq);
    Some(unescape(trim_unescaped(value)).into_owned())
}

/// The parent of `dn`: the text after its first unescaped comma, as written (leading spaces
/// trimmed), i.e. the OU or container an object lives in. `None` for a single-RDN (or empty) DN.
pub fn parent(dn: &str) -> Option<&str> {
    let comma = find_unescaped(dn, b',')?;
    let (_, rest) = split_around(dn, comma);
    let rest = rest.trim_start();
    (!rest.is_empty()).then_some(rest)
}

/// A key that two spellings of the same DN share: attribute types and values unescaped and
/// lower-cased, whitespace around `,` `+` `=` dropped, the values of a multi-valued RDN sorted.
/// So that distinct DNs never share a key, the separators `\` `,` `+` `=` inside a value are
/// escaped again (with a backslash) in the key; a key is for comparing, not for showing.
pub fn key(dn: &str) -> String {
    if is_plain(dn) {
        return dn.to_ascii_lowercase();
    }
    key_general(dn)
}

/// Whether `dn` is its own key but for case, as nearly every DN AD writes is: ASCII, nothing
/// escaped, one `type=value` per RDN, no whitespace at the ends or next to `,` and `=`. Keys are
/// made for every DN and link of an export, so this spares the general path a million times.
fn is_plain(dn: &str) -> bool {
    let mut equals = 0;
    let mut prev = b',';
    for &c in dn.as_bytes() {
        if c < 128 && PLAIN >> c & 1 == 1 {
            prev = c;
            continue;
        }
        match c {
            b',' if equals != 1 || is_space(prev) => return false,
            b',' => equals = 0,
            b'=' if is_space(prev) => return false,
            b'=' => equals += 1,
            c if is_space(c) && !matches!(prev, b',' | b'=') => {}
            _ => return false,
        }
        prev = c;
    }
    equals == 1 && !is_space(prev)
}

/// The ASCII bytes [`is_plain`] need not look at (all but `\` `+` `,` `=` and whitespace), as
/// a bit mask.
const PLAIN: u128 = {
    let mut mask = 0u128;
    let mut c = 0u8;
    while c < 128 {
        if !matches!(c, b'\\' | b'+' | b',' | b'=') && !is_space(c) {
            mask |= 1 << c;
        }
        c += 1;
    }
    mask
};

/// ASCII whitespace as `char::is_whitespace` counts it.
const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// [`key`] for any DN.
fn key_general(dn: &str) -> String {
    let mut out = String::with_capacity(dn.len());
    for (i, rdn) in rdns(dn).enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_rdn_key(&mut out, rdn);
    }
    out
}

/// An RDN or attribute value with its escapes resolved: `\,` `\+` `\"` `\\` `\<` `\>` `\;` `\=`
/// `\#` and `\ ` give the character, `\XX` the byte (bytes joined as UTF-8). Borrowed when
/// nothing is escaped.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match tail {
            [h, l, after @ ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                out.push(hex(*h) << 4 | hex(*l));
                rest = after;
            }
            [c, after @ ..] => {
                out.push(*c);
                rest = after;
            }
            [] => out.push(b'\\'),
        }
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Appends the key of one RDN; the values of a multi-valued RDN are sorted, since their order
/// carries no meaning.
fn push_rdn_key(out: &mut String, rdn: &str) {
    if find_unescaped(rdn, b'+').is_none() {
        push_ava_key(out, rdn);
        return;
    }
    let mut avas: Vec<String> = split_unescaped(rdn, b'+')
        .map(|ava| {
            let mut k = String::new();
            push_ava_key(&mut k, ava);
            k
        })
        .collect();
    avas.sort_unstable();
    out.push_str(&avas.join("+"));
}

/// Appends the key of one `type=value`; a piece with no `=` is keyed as a bare value.
fn push_ava_key(out: &mut String, ava: &str) {
    let ava = trim_unescaped(ava);
    let value = match find_unescaped(ava, b'=') {
        Some(eq) => {
            let (ty, value) = split_around(ava, eq);
            push_lowered(out, &unescape(ty.trim()));
            out.push('=');
            value
        }
        None => ava,
    };
    push_lowered(out, &unescape(trim_unescaped(value)));
}

/// Appends `s` lower-cased, with the key's separators escaped.
fn push_lowered(out: &mut String, s: &str) {
    for c in s.chars() {
        if c.is_ascii() {
            if matches!(c, '\\' | ',' | '+' | '=') {
                out.push('\\');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// The pieces of `s` between unescaped `sep` bytes (always at least one piece).
fn split_unescaped(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let s = rest?;
        match find_unescaped(s, sep) {
            Some(i) => {
                let (piece, after) = split_around(s, i);
                rest = Some(after);
                Some(piece)
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// The byte offset of the first `sep` in `s` not preceded by an escaping backslash. `sep` must
/// be ASCII, so the offset is a char boundary.
fn find_unescaped(s: &str, sep: u8) -> Option<usize> {
    let mut escaped = false;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == sep {
            return Some(i);
        }
    }
    None
}

/// `s` without the one-byte (ASCII) separator at `at`: the text before it and after it.
fn split_around(s: &str, at: usize) -> (&str, &str) {
    (
        s.get(..at).unwrap_or(s),
        s.get(at + 1..).unwrap_or_default(),
    )
}

/// `s` trimmed of leading whitespace and of trailing whitespace that is not escaped (`a\ `
/// keeps its space).
fn trim_unescaped(s: &str) -> &str {
    let s = s.trim_start();
    let mut end = s.len();
    while let Some(before) = s.get(..end) {
        let Some(last) = before.chars().next_back() else {
            break;
        };
        if !last.is_whitespace() {
            break;
        }
        let head = before.get(..end - last.len_utf8()).unwrap_or_default();
        let backslashes = head.bytes().rev().take_while(|&b| b == b'\\').count();
        if backslashes % 2 == 1 {
            break;
        }
        end -= last.len_utf8();
    }
    s.get(..end).unwrap_or(s)
}

/// The value of an ASCII hex digit (the caller has checked it is one).
fn hex(d: u8) -> u8 {
    match d {
        b'0'..=b'9' => d - b'0',
        b'a'..=b'f' => d - b'a' + 10,
        b'A'..=b'F' => d - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rdns_split_on_unescaped_commas_only() {
        let got: Vec<&str> = rdns(r"CN=Kim\, Jordan,OU=Staff, DC=contoso,DC=com").collect();
        assert_eq!(
            got,
            [r"CN=Kim\, Jordan", "OU=Staff", "DC=contoso", "DC=com"]
        );
    }

    #[test]
    fn first_value_unescapes_the_naming_value() {
        let dn = r"CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com";
        assert_eq!(first_value(dn).as_deref(), Some("Kim, Jordan"));
        assert_eq!(
            first_value(r#"CN=\#1 \+ \<x\>\;\=\"q\"\\,DC=c"#).as_deref(),
            Some(r#"#1 + <x>;="q"\"#)
        );
        assert_eq!(first_value("no equals sign"), None);
        assert_eq!(first_value("CN=a+UID=b,DC=c").as_deref(), Some("a"));
    }

    #[test]
    fn unescape_joins_hex_bytes_as_utf8() {
        assert_eq!(unescape(r"Fran\C3\A7ois"), "François");
        assert_eq!(unescape(r"name\0ADEL:1234"), "name\nDEL:1234");
        assert_eq!(unescape(r"\ lead and trail\ "), " lead and trail ");
        assert!(matches!(unescape("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn unescape_is_lenient_on_malformed_escapes() {
        assert_eq!(unescape("trailing\\"), "trailing\\");
        assert_eq!(unescape(r"bad\4Ghex"), "bad4Ghex");
        assert_eq!(unescape(r"half\F"), "halfF");
        assert_eq!(unescape(r"notutf8\FF"), "notutf8\u{FFFD}");
    }

    #[test]
    fn parent_is_the_text_after_the_first_unescaped_comma() {
        let dn = r"CN=Kim\, Jordan, OU=Staff,DC=contoso,DC=com";
        assert_eq!(parent(dn), Some("OU=Staff,DC=contoso,DC=com"));
        assert_eq!(parent("DC=com"), None);
        assert_eq!(parent("CN=x,"), None);
        assert_eq!(parent(r"CN=a\,b"), None);
    }

    #[test]
    fn key_ignores_case_spacing_and_escape_spelling() {
        let a = key(r"CN=Kim\, Jordan,OU=Staff,DC=contoso,DC=com");
        assert_eq!(a, r"cn=kim\, jordan,ou=staff,dc=contoso,dc=com");
        assert_eq!(key(r"cn = KIM\2C Jordan , ou=STAFF,  dc=Contoso,dc=COM"), a);
        assert_eq!(key(r"CN=Fran\C3\A7ois,DC=c"), key("cn=FRANÇOIS,dc=c"));
        assert_eq!(key("CN=a+UID=b,DC=c"), key("uid=B + cn=A,dc=c"));
    }

    #[test]
    fn key_keeps_escaped_spaces_and_separates_distinct_dns() {
        assert_ne!(key(r"CN=a\ ,DC=c"), key("CN=a,DC=c"));
        assert_eq!(key(r"CN=a\ ,DC=c"), key(r"CN=a\20,DC=c"));
        assert_ne!(key(r"CN=a\,b=c,DC=x"), key("CN=a,B=c,DC=x"));
        assert_ne!(key(r"CN=a\+b=c"), key("CN=a+B=c"));
    }

    #[test]
    fn key_of_a_plain_dn_is_the_general_key() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4514);
        let alphabet: Vec<char> = "aZ=,  \t+\\#é".chars().collect();
        let mut plain = 0;
        for _ in 0..20_000 {
            let len = rng.random_range(0..12);
            let dn: String = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            plain += usize::from(is_plain(&dn));
            assert_eq!(key(&dn), key_general(&dn), "{dn:?}");
        }
        assert!(plain > 100, "only {plain} plain DNs tried");
        assert!(is_plain("CN=Alice Jones,OU=Staff,DC=contoso,DC=com"));
    }

    #[test]
    fn malformed_dns_never_panic() {
        for dn in [
            "",
            "\\",
            ",",
            "=",
            "+",
            "CN=\\",
            "CN=a\\\\\\",
            "é\\é,\\",
            "  ,  +  =  ",
        ] {
            let _ = (key(dn), parent(dn), first_value(dn), rdns(dn).count());
        }
    }
}
