//! GUIDs and SIDs between the bytes AD stores (what LDIF's `objectGUID::`, `objectSid::` and
//! `mS-DS-ConsistencyGuid::` carry) and the strings people and Graph show.
//!
//! A stored GUID is the Windows `GUID` struct: the first three groups little-endian, the last
//! eight bytes as they are (.NET `Guid.ToByteArray()`, Rust `Uuid::to_bytes_le()`). A binary SID
//! is a revision byte, a sub-authority count, a 6-byte big-endian identifier authority and that
//! many little-endian `u32` sub-authorities.

use std::fmt::Write as _;

/// Where each byte of the big-endian (string-order) GUID sits in the stored bytes; the swap is
/// its own inverse.
const LE_ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];

/// The most sub-authorities a SID may have (Windows `SID_MAX_SUB_AUTHORITIES`).
const MAX_SUB_AUTHORITIES: u8 = 15;

/// The canonical lower-case `8-4-4-4-12` string of a GUID from its stored bytes: bytes
/// `85 54 0d 24 52 65 2b 4f a7 80 df 77 21 91 c7 e3` give `240d5485-6552-4f2b-a780-df772191c7e3`.
pub fn guid_string(bytes_le: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, &at) in LE_ORDER.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        let b = bytes_le.get(at).copied().unwrap_or_default();
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The stored bytes of a GUID string, the inverse of [`guid_string`]. Either case is read, with
/// or without surrounding braces; anything but `8-4-4-4-12` hex digits is `None`.
pub fn guid_bytes(s: &str) -> Option<[u8; 16]> {
    let s = s
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(s);
    let groups: Vec<&str> = s.split('-').collect();
    if groups.iter().map(|g| g.len()).ne([8, 4, 4, 4, 12]) {
        return None;
    }
    let mut digits = groups
        .iter()
        .flat_map(|g| g.chars())
        .map(|c| c.to_digit(16));
    let mut big_endian = [0u8; 16];
    for b in &mut big_endian {
        let hi = digits.next()??;
        let lo = digits.next()??;
        *b = u8::try_from(hi << 4 | lo).ok()?;
    }
    let mut out = [0u8; 16];
    for (o, &at) in out.iter_mut().zip(LE_ORDER.iter()) {
        *o = *big_endian.get(at)?;
    }
    Some(out)
}

/// The `S-1-5-21-…` string of a binary SID; `None` unless the bytes are exactly one revision-1
/// SID (the length must match the sub-authority count). An identifier authority of 2^32 or more
/// is written in hex, as Windows does.
pub fn sid_string(bytes: &[u8]) -> Option<String> {
    let (&revision, rest) = bytes.split_first()?;
    let (&count, rest) = rest.split_first()?;
    let (authority, subs) = rest.split_at_checked(6)?;
    if revision != 1 || count > MAX_SUB_AUTHORITIES || subs.len() != 4 * usize::from(count) {
        return None;
    }
    let authority = authority.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
    let mut out = String::with_capacity(8 + 11 * usize::from(count));
    if authority < 1 << 32 {
        out.push_str("S-1-");
        out.push_str(itoa::Buffer::new().format(authority));
    } else {
        let _ = write!(out, "S-1-0x{authority:012X}");
    }
    let mut digits = itoa::Buffer::new();
    for sub in subs.chunks_exact(4) {
        out.push('-');
        out.push_str(digits.format(u32::from_le_bytes(sub.try_into().ok()?)));
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD.decode(s).unwrap()
    }

    /// IMPORT_FORMATS 1.1's worked example: the string, its stored bytes, and the LDIF value.
    #[test]
    fn guid_worked_example_round_trips() {
        let stored = [
            0x85, 0x54, 0x0d, 0x24, 0x52, 0x65, 0x2b, 0x4f, 0xa7, 0x80, 0xdf, 0x77, 0x21, 0x91,
            0xc7, 0xe3,
        ];
        assert_eq!(b64("hVQNJFJlK0+ngN93IZHH4w=="), stored);
        assert_eq!(guid_string(&stored), "240d5485-6552-4f2b-a780-df772191c7e3");
        assert_eq!(
            guid_bytes("240d5485-6552-4f2b-a780-df772191c7e3"),
            Some(stored)
        );
        assert_eq!(
            guid_bytes("{240D5485-6552-4F2B-A780-DF772191C7E3}"),
            Some(stored)
        );
    }

    #[test]
    fn guid_bytes_refuses_anything_but_8_4_4_4_12_hex() {
        for bad in [
            "",
            "240d5485655242f2ba780df772191c7e3",
            "240d5485-6552-4f2b-a780-df772191c7e",
            "240d5485-6552-4f2b-a780-df772191c7e3-",
            "240d548g-6552-4f2b-a780-df772191c7e3",
            "+40d5485-6552-4f2b-a780-df772191c7e3",
            "240d5485-6552-4f2b-a780-df772191c7é",
            "{240d5485-6552-4f2b-a780-df772191c7e3",
        ] {
            assert_eq!(guid_bytes(bad), None, "{bad}");
        }
    }

    /// `01 05 | 00 00 00 00 00 05 | 15 00 00 00 | d7 b5 fb 72 | 03 e2 e7 c3 | de 70 97 ed |
    /// 50 04 00 00`: revision 1, five sub-authorities, authority 5, then 0x15 = 21,
    /// 0x72fbb5d7 = 1929098711, 0xc3e7e203 = 3286753795, 0xed9770de = 3986125022, 0x450 = 1104.
    #[test]
    fn sid_example_decodes_to_a_domain_sid() {
        let sid = b64("AQUAAAAAAAUVAAAA17X7cgPi58PecJftUAQAAA==");
        assert_eq!(
            sid_string(&sid).as_deref(),
            Some("S-1-5-21-1929098711-3286753795-3986125022-1104")
        );
    }

    #[test]
    fn sid_string_checks_revision_and_lengths() {
        let sid = b64("AQUAAAAAAAUVAAAA17X7cgPi58PecJftUAQAAA==");
        assert_eq!(sid_string(sid.get(..27).unwrap()), None);
        let mut longer = sid.clone();
        longer.push(0);
        assert_eq!(sid_string(&longer), None);
        let mut revision2 = sid.clone();
        revision2[0] = 2;
        assert_eq!(sid_string(&revision2), None);
        assert_eq!(sid_string(&[]), None);
        assert_eq!(sid_string(&[1]), None);
        assert_eq!(
            sid_string(&[1, 0, 0, 0, 0, 0, 0, 5]).as_deref(),
            Some("S-1-5")
        );
        assert_eq!(
            sid_string(&[1, 1, 1, 0, 0, 0, 0, 0, 7, 0, 0, 0]).as_deref(),
            Some("S-1-0x010000000000-7")
        );
        assert_eq!(sid_string(&[1, 16, 0, 0, 0, 0, 0, 5]), None);
    }
}
