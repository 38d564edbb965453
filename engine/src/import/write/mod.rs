//! A world written as the exports an engineer would capture of it: an `ldifde` LDIF file of its
//! AD side and a Microsoft Graph export (response bodies with their `manifest.json`) of its
//! Entra side, in the shapes docs/import.md documents. It is what `hysim generate --exports`
//! writes, so that the tests and the bench go through the real import path, and what the
//! round-trip tests read back.

use std::path::Path;

use crate::world::World;

mod graph;
mod ldif;

/// Writes `w`'s AD side as LDIF to `ldif` and its Entra side as a Graph export in the folder
/// `graph` (created if missing).
pub fn exports(w: &World, ldif: &Path, graph: &Path) -> std::io::Result<()> {
    let file = std::fs::File::create(ldif)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    ldif::write(w, &mut out)?;
    std::io::Write::flush(&mut out)?;
    graph::write(w, graph)
}

/// A stable id for a catalogue entry (a role definition, a licence SKU, a service principal)
/// named `name`: the model names them, Graph gives them GUIDs. Built-in roles keep the ids
/// Microsoft gives them.
pub(crate) fn catalogue_id(kind: u8, name: &str) -> String {
    const BUILT_IN: &[(&str, &str)] = &[
        (
            "Global Administrator",
            "62e90394-69f5-4237-9190-012177145e10",
        ),
        (
            "Helpdesk Administrator",
            "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        ),
        ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
        ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
        (
            "Exchange Administrator",
            "29232cdf-9323-42fd-ade2-1d097af3e4de",
        ),
        ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
    ];
    if kind == 0
        && let Some((_, id)) = BUILT_IN.iter().find(|(n, _)| *n == name)
    {
        return (*id).to_string();
    }
    // FNV-1a over the kind and the name, twice with different offsets: 128 stable bits.
    let fnv = |offset: u64| {
        let mut h = offset;
        for b in std::iter::once(kind).chain(name.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::catalogue_id;

    #[test]
    fn catalogue_ids_are_guids_stable_and_distinct() {
        let a = catalogue_id(1, "Microsoft 365 E3");
        assert_eq!(a, catalogue_id(1, "Microsoft 365 E3"));
        assert_ne!(a, catalogue_id(2, "Microsoft 365 E3"));
        assert!(a.parse::<crate::store::Guid>().is_ok(), "{a}");
        assert_eq!(
            catalogue_id(0, "Global Administrator"),
            "62e90394-69f5-4237-9190-012177145e10"
        );
    }
}
