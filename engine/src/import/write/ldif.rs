//! A world's AD side as `ldifde -f` writes it: CRLF lines, an empty line first and between
//! records, `changetype: add`, binary and non-ASCII values in base64, long lines folded.

use std::collections::BTreeSet;
use std::io::{self, Write};

use base64::Engine as _;

use crate::ad::distinguished_name;
use crate::store::{AdAttr, AdObject, Kind, Rel, Sid};
use crate::world::World;

/// The width ldifde folds at: a longer line goes on in lines that start with one space.
const FOLD: usize = 78;

/// `groupType` of a global security group (0x80000002, signed).
const GLOBAL_SECURITY: i32 = -2_147_483_646;

pub(super) fn write(w: &World, out: &mut impl Write) -> io::Result<()> {
    let st = w.store();
    let names = w.names();
    let live: Vec<(crate::store::NodeIx, &AdObject)> =
        st.g.nodes()
            .filter_map(|n| Some((n, st.g.ad(n).filter(|o| o.is_live())?)))
            .collect();
    out.write_all(b"\r\n")?;
    let ous: BTreeSet<&str> = live
        .iter()
        .map(|(_, o)| o.ou.as_str())
        .filter(|ou| !ou.is_empty())
        .collect();
    let suffix = names
        .domain
        .split('.')
        .map(|p| format!(",DC={p}"))
        .collect::<String>();
    for ou in ous {
        let container = ou.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("CN="));
        let dn = if container {
            format!("{ou}{suffix}")
        } else {
            format!("OU={ou}{suffix}")
        };
        line(out, "dn", dn.as_bytes())?;
        out.write_all(b"changetype: add\r\nobjectClass: top\r\n")?;
        if container {
            out.write_all(b"objectClass: container\r\n\r\n")?;
        } else {
            out.write_all(b"objectClass: organizationalUnit\r\n\r\n")?;
        }
    }
    for (n, o) in &live {
        let dn = distinguished_name(names, o);
        line(out, "dn", dn.as_bytes())?;
        out.write_all(b"changetype: add\r\nobjectClass: top\r\n")?;
        match o.kind {
            Kind::User => out.write_all(
                b"objectClass: person\r\nobjectClass: organizationalPerson\r\nobjectClass: user\r\n",
            )?,
            Kind::Group => out.write_all(b"objectClass: group\r\n")?,
        }
        if let Some(cn) = o.attrs.text(AdAttr::Cn) {
            line(out, "cn", cn.as_bytes())?;
        }
        if let Some(sam) = o.sam() {
            line(out, "sAMAccountName", sam.as_bytes())?;
        }
        for a in o.attrs.present() {
            if matches!(
                a,
                AdAttr::Cn | AdAttr::SamAccountName | AdAttr::Enabled | AdAttr::ConsistencyGuid
            ) {
                continue;
            }
            if let Some(v) = o.attr(a) {
                for s in v.as_list() {
                    line(out, a.name(), s.as_bytes())?;
                }
                if let Some(t) = v.as_text() {
                    line(out, a.name(), t.as_bytes())?;
                }
            }
        }
        if let Some(m) = st.g.live_out(*n, Rel::Manager).find_map(|m| st.g.ad(m)) {
            line(out, "manager", distinguished_name(names, m).as_bytes())?;
        }
        if o.kind == Kind::Group {
            for m in st.g.live_inc(*n, Rel::Member).filter_map(|m| st.g.ad(m)) {
                line(out, "member", distinguished_name(names, m).as_bytes())?;
            }
        }
        binary(out, "objectGUID", &o.guid.to_ad_bytes())?;
        binary(out, "objectSid", &sid_bytes(o.sid))?;
        match o.kind {
            Kind::User => {
                let enabled = o
                    .attr(AdAttr::Enabled)
                    .and_then(|v| v.as_bool())
                    .unwrap_or(true);
                let uac = if enabled { 512 } else { 514 };
                writeln_crlf(out, &format!("userAccountControl: {uac}"))?;
                if let Some(c) = o.consistency_guid() {
                    binary(out, "mS-DS-ConsistencyGuid", &c.to_ad_bytes())?;
                }
            }
            Kind::Group => writeln_crlf(out, &format!("groupType: {GLOBAL_SECURITY}"))?,
        }
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

fn writeln_crlf(out: &mut impl Write, s: &str) -> io::Result<()> {
    out.write_all(s.as_bytes())?;
    out.write_all(b"\r\n")
}

/// `name: value`, or `name:: base64` for a value LDIF cannot carry as it is (non-ASCII, or
/// starting with a space, `:` or `<`), folded at [`FOLD`].
fn line(out: &mut impl Write, name: &str, value: &[u8]) -> io::Result<()> {
    let safe = value
        .iter()
        .all(|b| b.is_ascii() && *b != b'\r' && *b != b'\n' && *b != 0)
        && !matches!(value.first(), Some(b' ' | b':' | b'<'));
    if safe {
        folded(out, name, ": ", value)
    } else {
        binary(out, name, value)
    }
}

fn binary(out: &mut impl Write, name: &str, value: &[u8]) -> io::Result<()> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    folded(out, name, ":: ", b64.as_bytes())
}

fn folded(out: &mut impl Write, name: &str, sep: &str, value: &[u8]) -> io::Result<()> {
    let mut text = Vec::with_capacity(name.len() + sep.len() + value.len());
    text.extend_from_slice(name.as_bytes());
    text.extend_from_slice(sep.as_bytes());
    text.extend_from_slice(value);
    out.write_all(text.get(..FOLD).unwrap_or(&text))?;
    out.write_all(b"\r\n")?;
    // Continuation lines carry one byte less: the leading space counts in the width.
    for chunk in text.get(FOLD..).unwrap_or_default().chunks(FOLD - 1) {
        out.write_all(b" ")?;
        out.write_all(chunk)?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// A domain SID's binary form: revision 1, five sub-authorities, authority 5 (big-endian), then
/// 21, the domain's three numbers and the RID (little-endian).
fn sid_bytes(s: Sid) -> Vec<u8> {
    let [a, b2, c] = s.domain;
    let mut b = vec![1, 5, 0, 0, 0, 0, 0, 5];
    for x in [21, a, b2, c, s.rid] {
        b.extend_from_slice(&x.to_le_bytes());
    }
    b
}
