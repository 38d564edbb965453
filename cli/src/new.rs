//! `hysim new NAME`: writes a commented starter scenario that validates and passes, to be edited
//! into a runbook. It never overwrites a file.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The starter scenario; `{TITLE}` is replaced by a quoted title naming the file.
const STARTER: &str = r#"# A hysim scenario: the tenant before the first step (`world`), the steps of a runbook (`steps`)
# and what must hold at the end (`expect`). Replay it with `hysim run {FILE}`; check it without
# running it with `hysim validate {FILE}`. For completion and checking in an editor, write the
# schema with `hysim schema > hysim.schema.json` and point your YAML language server at it (see
# the README).

title: {TITLE}
source: https://helpcenter.veeam.com/docs/vdc/provider/entra_id_restore_user_sync.html   # one URL or a list
description: |
  Alice is synchronized from AD. Someone deletes her from Entra ID and purges her from the
  recycle bin; the backup tool restores her before any sync runs, and the next sync joins the
  restored user to her AD account again. Describe here the situation, why each step is there,
  and what to do in production.

# Every setting is optional; the values below are the defaults.
settings:
  source_anchor: ms-ds-consistencyguid   # the sync's source anchor: ms-ds-consistencyguid or objectguid
  block_soft_match: false                # BlockSoftMatch: no match of cloud users by UPN or address
  soft_match_on_upn: true                # soft match on userPrincipalName as well as proxyAddresses
  block_hard_match_takeover: false       # BlockCloudObjectTakeoverThroughHardMatch
  deletion_threshold: 500                # the accidental-delete threshold; null turns it off
  entra_retention_days: 30               # how long Entra ID keeps deleted objects in its recycle bin
  ad_recycle_bin: true                   # the AD Recycle Bin is enabled
  seed: 0                                # seeds every generated GUID and SID
  start: 2026-01-05T09:00:00Z            # the simulated clock's start
  # More: sync_restores_soft_deleted, security_groups_soft_delete, soft_match_conflict,
  # deletion_threshold_counts, bypass_dir_sync_overrides, ad_deleted_object_lifetime_days,
  # vead_copies_consistency_guid.

# The tenant before step 1. It is built as: the AD objects, one initial sync cycle (so synced
# users and groups exist in Entra ID), the cloud-only objects, then the cloud relations.
world:
  ad:
    domain: contoso.com                  # also a verified domain of the tenant
    sync_ous: [Staff]                    # the OUs in Entra Connect's scope
    users:
      alice:                             # a handle: how steps and checks name this person
        ou: Staff
        displayName: Alice Jones
        department: Finance
        title: Analyst
        manager: bob
        groups: [Finance]                # AD group memberships
      bob: {ou: Staff, displayName: Bob Smith}
    groups:
      Finance: {ou: Staff}
  entra:
    users:
      carol: {displayName: Carol Cloud}  # a cloud-only user
    groups:
      Project X: {type: microsoft365, members: [alice, carol], owners: [carol]}   # a cloud group
    licenses:
      Microsoft 365 E3: [alice]          # a direct licence assignment

# The runbook, one step at a time. A step the simulated system refuses is reported as an event,
# and the run goes on.
steps:
  - backup: nightly                      # a VDC restore point of Entra ID (and an AD backup)
  - delete: {user: alice, from: entra, permanently: true}   # deleted and purged from the recycle bin
  - expect:                              # checks in the middle of the run
      alice: {entra: absent, ad: live, hybrid: false}
  - restore: {users: [alice], from: nightly, keep_relationships: true}   # VDC re-creates her
    quiz:                                # what `hysim quiz` asks a trainee to predict first
      - alice: [object_id, hybrid]
  - sync                                 # a delta cycle: the hard match joins her to AD again

# What must hold after the last step. Lists compare as sets.
expect:
  alice:
    entra: live
    hybrid: true
    object_id: new                       # the purge lost her first object id
    relations: kept                      # every relation she had at the backup is back
    groups: [Finance, Project X]
    licenses: [Microsoft 365 E3]
    manager: bob
    properties: {displayName: Alice Jones, department: Finance, jobTitle: Analyst}
  restore:
    alice: warning                       # Finance is synced from AD: VDC cannot write that membership
  sync:
    errors: []
    export: completed
"#;

/// The file to write: `NAME` as given when it ends in `.yaml` or `.yml`, else `NAME.yaml` (a
/// scenario is a `.yaml` or `.yml` file: folders are searched for those only). A folder is not a
/// file name.
pub fn target(name: &Path) -> Result<PathBuf, String> {
    let file = match name.file_name() {
        Some(f) if !name.is_dir() => f.to_string_lossy().to_string(),
        _ => {
            return Err(format!(
                "{} is a folder: give the name of the file to write, e.g. {}",
                name.display(),
                name.join("my-runbook.yaml").display()
            ));
        }
    };
    Ok(match name.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => name.to_path_buf(),
        _ => name.with_file_name(format!("{file}.yaml")),
    })
}

/// The starter scenario for the file `path`.
pub fn starter(path: &Path) -> String {
    let stem = path.file_stem().map_or_else(
        || "scenario".to_string(),
        |s| s.to_string_lossy().to_string(),
    );
    // A JSON string is a YAML double-quoted scalar: any file name gives a valid title.
    let title = serde_json::Value::String(format!(
        "{stem}: a synced user deleted from Entra ID, restored, then synced"
    ))
    .to_string();
    STARTER.replace("{TITLE}", &title).replace(
        "{FILE}",
        &path.display().to_string().replace(['\n', '\r'], " "),
    )
}

/// Writes the starter scenario; refuses to overwrite a file. Returns the exit code.
pub fn new(name: &Path, ok: u8, input_error: u8) -> u8 {
    let path = match target(name) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return input_error;
        }
    };
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let mut f = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} already exists: `hysim new` does not overwrite a file (choose another name, or delete it first)",
                path.display()
            );
            return input_error;
        }
        Err(e) => {
            eprintln!("error: {}: cannot create the file: {e}", path.display());
            return input_error;
        }
    };
    if let Err(e) = f.write_all(starter(&path).as_bytes()) {
        drop(f);
        // The file is ours (created just now): leave no half-written scenario behind.
        let _ = std::fs::remove_file(&path);
        eprintln!("error: {}: cannot write the file: {e}", path.display());
        return input_error;
    }
    let said = format!(
        "wrote {}\nnext: edit it, then `hysim run {}`\n",
        path.display(),
        path.display()
    );
    crate::output::then(crate::output::emit(said.as_bytes(), input_error), ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_yaml_unless_the_name_ends_in_yaml_or_yml() {
        let t = |n: &str| target(Path::new(n)).unwrap();
        assert_eq!(t("runbook"), Path::new("runbook.yaml"));
        assert_eq!(t("a/runbook.yml"), Path::new("a/runbook.yml"));
        assert_eq!(t("runbook.yaml"), Path::new("runbook.yaml"));
        assert_eq!(t("v1.2"), Path::new("v1.2.yaml"));
    }

    #[test]
    fn a_folder_is_not_a_file_name() {
        assert!(target(Path::new("..")).is_err());
        assert!(target(Path::new("/")).is_err());
        assert!(target(&std::env::temp_dir()).is_err());
    }

    #[test]
    fn the_title_is_quoted() {
        let s = starter(Path::new("we: \"odd\" #name.yaml"));
        assert!(
            s.contains("title: \"we: \\\"odd\\\" #name: a synced user"),
            "{s}"
        );
    }
}
