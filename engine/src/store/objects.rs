//! The objects both directories hold, as the storage floor keeps them: AD objects and their
//! attributes, Entra objects and their properties, catalogue entries, and the relations between
//! them. Data only: what may happen to them is decided by the systems' rules.

use std::fmt;

use serde::Serialize;

use petgraph::graph::NodeIndex;

use super::ids::{Guid, Sid};
use super::propmap::{PropMap, Str, Value};
use super::schema::{AdAttr, EntraProp};

pub type NodeIx = NodeIndex<u32>;

/// Simulated time, in seconds since 1970-01-01T00:00:00Z.
pub type Time = i64;

/// Index of a handle in [`Handles`](super::handles::Handles).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct HandleId(pub u32);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    User,
    Group,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::User => "user",
            Kind::Group => "group",
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Directory {
    Ad,
    Entra,
}

impl fmt::Display for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Directory::Ad => "AD",
            Directory::Entra => "Entra ID",
        })
    }
}

/// The life cycle of an AD object (AD-2, AD-3).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AdState {
    Live,
    /// A deleted object with the Recycle Bin enabled: every attribute and link kept (AD-2).
    Deleted {
        since: Time,
    },
    /// A tombstone (Recycle Bin disabled): most attributes and all links stripped (AD-3).
    Tombstone {
        since: Time,
    },
    /// A recycled object: cannot be undeleted (AD-2).
    Recycled {
        since: Time,
    },
    /// Removed completely (permanent delete, or garbage-collected).
    Gone,
}

/// The life cycle of an Entra object (ENTRA-1, ENTRA-2).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EntraState {
    Live,
    SoftDeleted {
        since: Time,
    },
    /// Hard-deleted or purged: gone for good.
    Purged,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupType {
    Security,
    Microsoft365,
}

#[derive(Clone, Debug)]
pub struct AdObject {
    pub kind: Kind,
    pub handle: HandleId,
    pub guid: Guid,
    pub sid: Sid,
    /// The OU; for a deleted object its last known parent.
    pub ou: Str,
    pub state: AdState,
    pub attrs: AdAttrs,
}

impl AdObject {
    pub fn is_live(&self) -> bool {
        self.state == AdState::Live
    }
    pub fn sam(&self) -> Option<&str> {
        self.attrs.text(AdAttr::SamAccountName)
    }

    /// An attribute's value, mS-DS-ConsistencyGuid however it is held.
    pub fn attr(&self, a: AdAttr) -> Option<Value> {
        self.attrs.get(a, self.guid)
    }

    /// Sets an attribute (`None` clears it); returns whether its value changed.
    pub fn set_attr(&mut self, a: AdAttr, v: Option<Value>) -> bool {
        self.attrs.set(a, v, self.guid)
    }

    /// mS-DS-ConsistencyGuid as a GUID, however it is held; `None` when empty or not a GUID.
    pub fn consistency_guid(&self) -> Option<Guid> {
        self.attrs.consistency_guid(self.guid)
    }
}

/// An AD object's attributes, or a backup's copy of them.
///
/// mS-DS-ConsistencyGuid may hold the owner's own objectGUID, as Entra Connect writes it into
/// an empty one (SYNC-1): that is kept as a flag, not as a value, since writing the value would
/// copy the attributes of every user of an initial cycle into a map one value larger. So that
/// attribute is read and written with the owner's
/// objectGUID ([`AdAttrs::get`], [`AdAttrs::set`]); the others are read directly
/// ([`AdAttrs::str`], [`AdAttrs::text`], [`AdAttrs::value`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdAttrs {
    values: PropMap<AdAttr>,
    /// mS-DS-ConsistencyGuid is the owner's objectGUID; `values` holds none then.
    consistency_guid_is_owner_guid: bool,
}

impl AdAttrs {
    pub fn new(values: PropMap<AdAttr>) -> Self {
        Self {
            values,
            consistency_guid_is_owner_guid: false,
        }
    }

    /// Has the processor fetch the values (see [`PropMap::prefetch`]).
    pub fn prefetch(&self) {
        self.values.prefetch();
    }

    /// The value of an attribute other than mS-DS-ConsistencyGuid.
    pub fn value(&self, a: AdAttr) -> Option<&Value> {
        debug_assert!(a != AdAttr::ConsistencyGuid, "read with AdAttrs::get");
        self.values.get(a)
    }

    /// The text of an attribute other than mS-DS-ConsistencyGuid.
    pub fn str(&self, a: AdAttr) -> Option<&Str> {
        debug_assert!(a != AdAttr::ConsistencyGuid, "read with AdAttrs::get");
        self.values.str(a)
    }

    /// The text of an attribute other than mS-DS-ConsistencyGuid.
    pub fn text(&self, a: AdAttr) -> Option<&str> {
        self.str(a).map(Str::as_str)
    }

    /// Any attribute's value, for an owner with objectGUID `owner`.
    pub fn get(&self, a: AdAttr, owner: Guid) -> Option<Value> {
        match a {
            AdAttr::ConsistencyGuid if self.consistency_guid_is_owner_guid => {
                Some(Value::from(owner.text()))
            }
            _ => self.values.get(a).cloned(),
        }
    }

    /// Sets an attribute (`None` clears it) of an owner with objectGUID `owner`; returns whether
    /// its value changed.
    pub fn set(&mut self, a: AdAttr, v: Option<Value>, owner: Guid) -> bool {
        if a == AdAttr::ConsistencyGuid && self.consistency_guid_is_owner_guid {
            if v.as_ref().and_then(Value::as_text) == Some(owner.text().as_str()) {
                return false;
            }
            self.consistency_guid_is_owner_guid = false;
            self.values.set(a, v);
            return true;
        }
        self.values.set(a, v)
    }

    /// mS-DS-ConsistencyGuid as a GUID, for an owner with objectGUID `owner`; `None` when empty
    /// or not a GUID.
    pub fn consistency_guid(&self, owner: Guid) -> Option<Guid> {
        if self.consistency_guid_is_owner_guid {
            return Some(owner);
        }
        self.values
            .text(AdAttr::ConsistencyGuid)
            .and_then(|s| s.parse().ok())
    }

    /// Writes the owner's objectGUID into mS-DS-ConsistencyGuid, over any value (SYNC-1).
    pub fn write_owner_guid_as_consistency_guid(&mut self) {
        self.values.set(AdAttr::ConsistencyGuid, None);
        self.consistency_guid_is_owner_guid = true;
    }

    /// Keeps only the attributes for which `keep` holds.
    pub fn retain(&mut self, keep: impl Fn(AdAttr) -> bool) {
        if !keep(AdAttr::ConsistencyGuid) {
            self.consistency_guid_is_owner_guid = false;
        }
        self.values.retain(keep);
    }

    /// The attributes that have a value, in catalogue order.
    pub fn present(&self) -> impl Iterator<Item = AdAttr> + '_ {
        AdAttr::ALL.iter().copied().filter(|a| {
            self.values.get(*a).is_some()
                || (*a == AdAttr::ConsistencyGuid && self.consistency_guid_is_owner_guid)
        })
    }

    /// The attributes of owner `owner` as copied to an object with another objectGUID: an
    /// mS-DS-ConsistencyGuid that was the owner's objectGUID becomes that GUID as a value.
    pub fn copied_from(&self, owner: Guid) -> Self {
        let mut values = self.values.clone();
        if self.consistency_guid_is_owner_guid {
            values.set(AdAttr::ConsistencyGuid, Some(Value::from(owner.text())));
        }
        Self::new(values)
    }
}

/// A property conflict recorded on an Entra object, as Graph's `onPremisesProvisioningErrors`
/// lists them: the property whose value another object holds, and that value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisioningError {
    pub prop: EntraProp,
    pub value: Str,
}

#[derive(Clone, Debug)]
pub struct EntraObject {
    pub kind: Kind,
    /// For groups.
    pub group_type: GroupType,
    pub handle: HandleId,
    pub id: Guid,
    pub state: EntraState,
    pub props: PropMap<EntraProp>,
    pub errors: thin_vec::ThinVec<ProvisioningError>,
    /// Whether `mobilePhone` was written in the cloud while the object was synced: Entra ID's
    /// DirSyncOverrides mark, which the sync reads. Storage only; the rule is ENTRA-7.
    pub mobile_phone_overridden: bool,
}

impl EntraObject {
    pub fn is_live(&self) -> bool {
        self.state == EntraState::Live
    }
    /// `onPremisesSyncEnabled` (section 2): `None` when never synced.
    pub fn sync_enabled(&self) -> Option<bool> {
        self.props
            .get(EntraProp::OnPremisesSyncEnabled)
            .and_then(Value::as_bool)
    }
    /// Whether the object is a synced object whose AD-mastered properties the cloud cannot write
    /// (ENTRA-5).
    pub fn is_synced(&self) -> bool {
        self.sync_enabled() == Some(true)
    }
    pub fn upn(&self) -> Option<&str> {
        self.props.text(EntraProp::UserPrincipalName)
    }
    pub fn immutable_id(&self) -> Option<&str> {
        self.props.text(EntraProp::OnPremisesImmutableId)
    }
}

/// A node: an object of one directory, or a cloud catalogue entry (role, licence SKU, app).
#[derive(Clone, Debug)]
pub enum Node {
    Ad(AdObject),
    Entra(EntraObject),
    Role(Str),
    Sku(Str),
    App(Str),
}

impl Node {
    pub fn directory(&self) -> Directory {
        match self {
            Node::Ad(_) => Directory::Ad,
            _ => Directory::Entra,
        }
    }
    /// Catalogue nodes are always live; objects by their state.
    pub fn is_live(&self) -> bool {
        match self {
            Node::Ad(o) => o.is_live(),
            Node::Entra(o) => o.is_live(),
            _ => true,
        }
    }
}

/// A relation (ID-3) or a sync join.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rel {
    /// member → group (AD `member`/`memberOf`, Entra membership; groups nest).
    Member,
    /// user → group.
    Owner,
    /// user → directory role.
    Role,
    /// user → SKU (a direct assignment), or group → SKU (group-based licensing).
    Licence,
    /// user or group → app (an app role assignment).
    App,
    /// user → their manager.
    Manager,
    /// AD object → Entra object: Entra Connect's join (anchor).
    Join,
}

impl fmt::Display for Rel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rel::Member => "member of",
            Rel::Owner => "owner of",
            Rel::Role => "role",
            Rel::Licence => "licence",
            Rel::App => "app",
            Rel::Manager => "manager",
            Rel::Join => "joined to",
        })
    }
}
