//! A world read from the engineer's exports (`world.import`): the exports are read and joined
//! when the scenario is loaded, so that their errors come with the file's other errors, and every
//! identity they hold is a handle the steps may name.

use std::path::Path;
use std::sync::Arc;

use super::format::{ImportSpec, WorldSpec};
use super::validate::{Origin_, Validator};
use crate::import::tenant::{Imported, Options};
use crate::op::Op;

impl Validator {
    /// Reads the exports `spec` names, relative to the scenario file, defines a handle for each
    /// identity, and returns the world's one operation with what the exports say of the tenant.
    pub(super) fn import(
        &mut self,
        spec: &ImportSpec,
        world: &WorldSpec,
    ) -> Option<(Imported, Vec<(String, Op)>)> {
        if world.ad.is_some() || world.entra.is_some() {
            self.error(
                "world.import",
                "a world is either imported or written out: `import` cannot go with `ad` or `entra`",
            );
            return None;
        }
        if spec.graph.is_none() && spec.ldif.is_none() {
            self.error(
                "world.import",
                "name at least one export: `graph` (a folder) or `ldif` (a file)",
            );
            return None;
        }
        let base = Path::new(&self.file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let graph = spec.graph.as_ref().map(|g| base.join(g));
        let ldif = spec.ldif.as_ref().map(|l| base.join(l));
        let opts = Options {
            sync_ous: world.sync_ous.clone(),
            source_anchor: None,
            licence_names: spec
                .licence_names
                .0
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        };
        let mut imported = match crate::import::read(graph.as_deref(), ldif.as_deref(), &opts) {
            Ok(i) => i,
            Err(errors) => {
                self.errors.extend(errors);
                return None;
            }
        };
        let mut ids = Vec::with_capacity(imported.identities.len());
        for (i, identity) in imported.identities.iter().enumerate() {
            let origin = if identity.in_ad {
                Origin_::Ad
            } else {
                Origin_::Cloud
            };
            let path = format!("world.import: identity {i}");
            self.define(&path, &identity.handle, identity.kind, origin);
            ids.push(self.id(&identity.handle));
        }
        let renumber = |h: &mut crate::store::HandleId| {
            if let Some(id) = ids.get(h.0 as usize) {
                *h = *id;
            }
        };
        let capture = &mut imported.capture;
        capture.ad.iter_mut().for_each(|a| renumber(&mut a.handle));
        capture
            .entra
            .iter_mut()
            .for_each(|e| renumber(&mut e.handle));
        let op = Op::Adopt(Arc::new(std::mem::take(&mut imported.capture)));
        Some((imported, vec![("world.import".to_string(), op)]))
    }
}
