//! Handles: the names a scenario gives identities across both directories, numbered once when
//! the scenario is loaded, so that operations carry a [`HandleId`] and never look a name up.

use super::idmap::PerHandle;
use super::objects::{Directory, HandleId, Kind, NodeIx};
use super::propmap::Str;
use super::valuemap::{Exact, ValueMap};

/// Names that no handle may take: they are words of the scenario format.
pub const RESERVED_HANDLES: &[&str] = &["restore", "sync", "every"];

/// Why a name cannot become a handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandleError {
    /// The name is a handle of another kind already.
    WrongKind { expected: Kind, actual: Kind },
    /// The name is one of [`RESERVED_HANDLES`].
    Reserved,
}

/// The handles of a world, numbered in the order they were made.
#[derive(Clone, Debug, Default)]
pub struct Handles {
    /// Shared: an event or a message names a handle without copying it.
    names: Vec<Str>,
    kinds: Vec<Kind>,
    by_name: ValueMap<Exact, HandleId>,
}

impl Handles {
    /// The handle named `name`, if any.
    pub fn get(&self, name: &str) -> Option<HandleId> {
        self.by_name.get(name)
    }

    /// The shared name of `h` (`?` for a handle that does not exist).
    pub fn name_str(&self, h: HandleId) -> &Str {
        static UNKNOWN: Str = arcstr::literal!("?");
        self.names.get(h.0 as usize).unwrap_or(&UNKNOWN)
    }

    pub fn name(&self, h: HandleId) -> &str {
        self.name_str(h)
    }

    pub fn kind(&self, h: HandleId) -> Option<Kind> {
        self.kinds.get(h.0 as usize).copied()
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn all(&self) -> impl Iterator<Item = HandleId> + '_ {
        (0..self.names.len() as u32).map(HandleId)
    }

    pub fn reserve(&mut self, handles: usize) {
        self.names.reserve(handles);
        self.kinds.reserve(handles);
        self.by_name.reserve(handles);
    }

    /// The handle named `name`, made with the next number if it is new.
    pub fn intern(&mut self, name: &Str, kind: Kind) -> Result<HandleId, HandleError> {
        if let Some(h) = self.get(name) {
            return match self.kind(h) {
                Some(actual) if actual != kind => Err(HandleError::WrongKind {
                    expected: kind,
                    actual,
                }),
                _ => Ok(h),
            };
        }
        if RESERVED_HANDLES.contains(&name.as_str()) {
            return Err(HandleError::Reserved);
        }
        let h = HandleId(self.names.len() as u32);
        self.names.push(name.clone());
        self.kinds.push(kind);
        self.by_name.insert(name.clone(), h);
        Ok(h)
    }
}

/// Every object that ever carried each handle, oldest first, in each directory.
#[derive(Clone, Debug, Default)]
pub struct HandleObjects {
    ad: PerHandle<NodeIx>,
    entra: PerHandle<NodeIx>,
}

impl HandleObjects {
    pub fn reserve(&mut self, handles: usize) {
        self.ad.reserve(handles);
        self.entra.reserve(handles);
    }
    pub fn ad(&self, h: HandleId) -> &[NodeIx] {
        self.ad.get(&h).unwrap_or_default()
    }
    pub fn entra(&self, h: HandleId) -> &[NodeIx] {
        self.entra.get(&h).unwrap_or_default()
    }
    pub fn add_ad(&mut self, h: HandleId, n: NodeIx) {
        self.ad.push(h, n);
    }
    pub fn add_entra(&mut self, h: HandleId, n: NodeIx) {
        self.entra.push(h, n);
    }
    /// Has the processor fetch where the objects of `h` in `dir` are listed, for a read a
    /// little later.
    pub fn prefetch(&self, dir: Directory, h: HandleId) {
        match dir {
            Directory::Ad => self.ad.prefetch(h),
            Directory::Entra => self.entra.prefetch(h),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A handle names one identity: interned again it is the same handle, of the same kind;
    /// reserved words and a second kind are refused.
    #[test]
    fn handles_are_numbered_once_and_keep_their_kind() {
        let mut hs = Handles::default();
        let names: Vec<Str> = (0..500).map(|i| Str::from(format!("user{i:04}"))).collect();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(hs.intern(n, Kind::User), Ok(HandleId(i as u32)));
        }
        for (i, n) in names.iter().enumerate().rev() {
            assert_eq!(hs.get(n), Some(HandleId(i as u32)));
            assert_eq!(hs.intern(n, Kind::User), Ok(HandleId(i as u32)));
        }
        assert_eq!(hs.get("nobody"), None);
        assert_eq!(
            hs.intern(&names[0].clone(), Kind::Group),
            Err(HandleError::WrongKind {
                expected: Kind::Group,
                actual: Kind::User
            })
        );
        assert_eq!(
            hs.intern(&Str::from("sync"), Kind::User),
            Err(HandleError::Reserved)
        );
        assert_eq!(hs.name(HandleId(3)), "user0003");
        assert_eq!(hs.name(HandleId(9999)), "?");
    }
}
