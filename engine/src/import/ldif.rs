//! LDIF as `ldifde -f` writes it (and OpenLDAP's `ldapsearch`): RFC 2849 records, read into the
//! AD objects hysim models. See docs/import.md for the capture command.

/// One AD user of the export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdUser {
    /// The DN as written (escaped, RFC 4514).
    pub dn: String,
    /// The 1-based physical line of the record's `dn:` line.
    pub line: usize,
    pub sam: Option<String>,
    /// `objectGUID`'s 16 stored bytes (Windows GUID layout).
    pub object_guid: Option<[u8; 16]>,
    /// `mS-DS-ConsistencyGuid`'s 16 stored bytes; other lengths are a warning and `None`.
    pub consistency_guid: Option<[u8; 16]>,
    /// `objectSid` as `S-1-5-21-…`.
    pub sid: Option<String>,
    /// `userAccountControl` bit 0x2 clear; `true` when the attribute is absent.
    pub enabled: bool,
    /// The manager's DN as written.
    pub manager: Option<String>,
    /// The text attributes hysim models, by their LDAP names in the casing of
    /// docs/scenario-format.md (`userPrincipalName`, `displayName`, `givenName`, `sn`, `mail`,
    /// `mailNickname`, `proxyAddresses`, `department`, `title`, `company`,
    /// `physicalDeliveryOfficeName`, `l`, `co`, `telephoneNumber`, `mobile`, `otherMobile`,
    /// `employeeID`, `msExchUsageLocation`, `description`), each with all its values in file order.
    pub attrs: Vec<(&'static str, Vec<String>)>,
    /// `adminCount: 1`.
    pub admin_count: bool,
}

/// One AD group of the export.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdGroup {
    pub dn: String,
    pub line: usize,
    pub sam: Option<String>,
    pub object_guid: Option<[u8; 16]>,
    pub sid: Option<String>,
    /// `groupType` as the signed 32-bit value AD stores (absent: `None`).
    pub group_type: Option<i32>,
    /// Members' DNs as written (users and groups).
    pub members: Vec<String>,
    /// The text attributes hysim models for groups (`cn`, `displayName`, `mail`, `proxyAddresses`,
    /// `description`, `mailNickname`), all values in file order.
    pub attrs: Vec<(&'static str, Vec<String>)>,
}

/// What an LDIF export holds, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdExport {
    pub users: Vec<AdUser>,
    pub groups: Vec<AdGroup>,
    /// The DNs of `organizationalUnit` (and container) records.
    pub ous: Vec<String>,
    /// Records skipped (computers, contacts, other classes), odd values, DNs pointing outside
    /// the export: never silent.
    pub warnings: Vec<super::Warning>,
    /// Records of other object classes, counted by class, e.g. `("contact", 3)`.
    pub skipped: Vec<(String, usize)>,
}
