//! Identifiers: seeded GUIDs and SIDs (ID-1) and the immutableId encoding (ID-2).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A GUID, held in its canonical (RFC 4122, big-endian text) byte order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// The bytes as .NET `Guid.ToByteArray()` gives them (ID-2): the first three groups
    /// little-endian, the last eight bytes as written.
    pub fn to_ad_bytes(self) -> [u8; 16] {
        let b = self.0;
        [
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15],
        ]
    }

    /// The GUID whose stored bytes (Windows layout, as LDIF's `objectGUID::` and an immutableId
    /// carry them) are `b`: the inverse of [`Guid::to_ad_bytes`].
    pub fn from_ad_bytes(b: [u8; 16]) -> Guid {
        let [
            a0,
            a1,
            a2,
            a3,
            b0,
            b1,
            c0,
            c1,
            d0,
            d1,
            d2,
            d3,
            d4,
            d5,
            d6,
            d7,
        ] = b;
        Guid([
            a3, a2, a1, a0, b1, b0, c1, c0, d0, d1, d2, d3, d4, d5, d6, d7,
        ])
    }

    /// The first eight hex digits, for short displays.
    pub fn short(self) -> String {
        let s = self.to_string();
        s.chars().take(8).collect()
    }
}

impl Guid {
    /// The canonical text form, `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, as ASCII bytes.
    fn hex(&self) -> [u8; 36] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 36];
        let mut pos = 0;
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                pos += 1; // the dash already there
            }
            let digit = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
            if let Some([hi, lo]) = out.get_mut(pos..pos + 2) {
                *hi = digit(byte >> 4);
                *lo = digit(byte & 0x0f);
            }
            pos += 2;
        }
        out
    }

    /// The text form as a shared string, without the formatting machinery: the sync writes one
    /// into every user's mS-DS-ConsistencyGuid.
    pub fn text(&self) -> super::propmap::Str {
        let hex = self.hex();
        super::propmap::Str::from(std::str::from_utf8(&hex).unwrap_or_default())
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.hex()).unwrap_or_default())
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A text that is not a GUID of the form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a GUID (expected 8-4-4-4-12 hexadecimal digits, e.g. 0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9)"
)]
pub struct GuidParseError(pub String);

impl FromStr for Guid {
    type Err = GuidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || GuidParseError(s.to_string());
        let t = s.trim_start_matches('{').trim_end_matches('}');
        let groups: Vec<&str> = t.split('-').collect();
        let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lens != [8, 4, 4, 4, 12] {
            return Err(err());
        }
        let hex: String = groups.concat();
        let mut out = [0u8; 16];
        for (i, slot) in out.iter_mut().enumerate() {
            let pair = hex.get(2 * i..2 * i + 2).ok_or_else(err)?;
            *slot = u8::from_str_radix(pair, 16).map_err(|_| err())?;
        }
        Ok(Guid(out))
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The `onPremisesImmutableId` for an anchor (ID-2): base64 of the anchor's 16 bytes in AD byte
/// order. Source: <https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-design-concepts>
pub fn immutable_id(anchor: Guid) -> super::propmap::Str {
    match immutable_id_text(anchor) {
        Some(text) => super::propmap::Str::from(text.as_str()),
        None => super::propmap::Str::from(
            base64::engine::general_purpose::STANDARD.encode(anchor.to_ad_bytes()),
        ),
    }
}

/// [`immutable_id`] on the stack: 16 bytes are 24 base64 characters.
pub fn immutable_id_text(anchor: Guid) -> Option<arrayvec::ArrayString<24>> {
    let mut buf = [0u8; 24];
    let engine = base64::engine::general_purpose::STANDARD;
    match engine.encode_slice(anchor.to_ad_bytes(), &mut buf) {
        Ok(24) => arrayvec::ArrayString::from_byte_string(&buf).ok(),
        _ => None,
    }
}

/// An AD security identifier `S-1-5-21-<a>-<b>-<c>-<RID>` (ID-1).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Sid {
    pub domain: [u32; 3],
    pub rid: u32,
}

impl Sid {
    /// The text form, as [`fmt::Display`] writes it, as a shared string: the sync writes one
    /// per user and cycle, so without the formatting machinery or a temporary `String`.
    pub fn text(&self) -> super::propmap::Str {
        let [a, b, c] = self.domain;
        let mut digits = [(); 4].map(|_| itoa::Buffer::new());
        let [da, db, dc, dr] = &mut digits;
        super::propmap::concat(&[
            "S-1-5-21-",
            da.format(a),
            "-",
            db.format(b),
            "-",
            dc.format(c),
            "-",
            dr.format(self.rid),
        ])
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.domain;
        write!(f, "S-1-5-21-{a}-{b}-{c}-{}", self.rid)
    }
}

/// The one seeded source of every GUID, SID and random digit of a run (ID-1). ChaCha8 is a
/// portable algorithm: the same seed gives the same identifiers on every platform.
#[derive(Clone, Debug)]
pub struct IdGenerator {
    rng: ChaCha8Rng,
    domain: [u32; 3],
    next_rid: u32,
}

/// The first relative identifier given to objects created in the simulated domain.
const FIRST_RID: u32 = 1103;

impl IdGenerator {
    pub fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let domain = [rng.next_u32(), rng.next_u32(), rng.next_u32()];
        IdGenerator {
            rng,
            domain,
            next_rid: FIRST_RID,
        }
    }

    /// A new random (version 4) GUID.
    pub fn guid(&mut self) -> Guid {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Guid(b)
    }

    /// A new SID in the simulated domain; RIDs are never reused.
    pub fn sid(&mut self) -> Sid {
        let rid = self.next_rid;
        self.next_rid = self.next_rid.saturating_add(1);
        Sid {
            domain: self.domain,
            rid,
        }
    }

    /// A number below `bound` (for SYNC-9's four random digits).
    pub fn below(&mut self, bound: u32) -> u32 {
        self.rng.next_u32() % bound.max(1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn id_2_immutable_id_uses_ad_byte_order() {
        let g: Guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9".parse().unwrap();
        assert_eq!(immutable_id(g), "PSwbCl9OcWCCk6S1xtfo+Q==");
        assert_ne!(immutable_id(g), "ChssPU5fYHGCk6S1xtfo+Q==");
    }

    #[test]
    fn id_1_sid_text_is_its_display_form() {
        for sid in [
            Sid {
                domain: [0, 1, 10],
                rid: 1105,
            },
            Sid {
                domain: [u32::MAX, 4_000_000_000, 99],
                rid: 0,
            },
        ] {
            assert_eq!(sid.text().as_str(), sid.to_string());
        }
    }

    #[test]
    fn id_1_guid_text_is_its_display_form() {
        let mut ids = IdGenerator::new(3);
        for g in [Guid::default(), Guid([0xff; 16]), ids.guid(), ids.guid()] {
            assert_eq!(g.text().as_str(), g.to_string());
            assert_eq!(g.text().parse::<Guid>(), Ok(g));
        }
    }

    #[test]
    fn id_1_generator_is_reproducible_and_seeded() {
        let mut a = IdGenerator::new(7);
        let mut b = IdGenerator::new(7);
        let mut c = IdGenerator::new(8);
        let ga: Vec<Guid> = (0..5).map(|_| a.guid()).collect();
        let gb: Vec<Guid> = (0..5).map(|_| b.guid()).collect();
        assert_eq!(ga, gb);
        assert_ne!(ga[0], c.guid());
        assert_eq!(a.sid().to_string(), b.sid().to_string());
        let s1 = a.sid();
        let s2 = a.sid();
        assert_eq!(s1.domain, s2.domain);
        assert_eq!(s2.rid, s1.rid + 1);
        assert!(s1.to_string().starts_with("S-1-5-21-"));
    }

    #[test]
    fn id_2_ad_bytes_round_trip() {
        // IMPORT: the worked example of the GUID byte order.
        let g: Guid = "240d5485-6552-4f2b-a780-df772191c7e3"
            .parse()
            .unwrap_or_default();
        let b = g.to_ad_bytes();
        assert_eq!(b[..4], [0x85, 0x54, 0x0d, 0x24]);
        assert_eq!(Guid::from_ad_bytes(b), g);
    }

    #[test]
    fn id_1_guid_text_round_trips() {
        let mut g = IdGenerator::new(0);
        let x = g.guid();
        assert_eq!(x.to_string().parse::<Guid>().unwrap(), x);
        assert!("not-a-guid".parse::<Guid>().is_err());
        assert!(
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fz"
                .parse::<Guid>()
                .is_err()
        );
    }
}
