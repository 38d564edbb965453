//! An EntraExporter folder (`Export-Entra -All`): one object per file at `<Type>/<id>/<id>.json`,
//! children nested under their parent (`Groups/<id>/Members/<mid>/<mid>.json`), read with the
//! same deserializers as a Graph response. It has no manager and no recycle bin: said in warnings.

use std::path::{Path, PathBuf};

use super::super::{InputError, MAX_EXPORT_FILE_BYTES, Warning};
use super::body::{Kind, read_object};
use super::files::{self, file_error};
use super::{Builder, GraphExport, Route};

/// The top folders EntraExporter writes that hysim reads: one of them marks the layout.
const TOP: [&str; 6] = [
    "Users",
    "Groups",
    "Organization",
    "Directory",
    "SubscribedSkus",
    "RoleManagement",
];

/// Whether `dir` looks like an EntraExporter folder.
pub(super) fn looks_like(dir: &Path) -> bool {
    TOP.iter()
        .chain(["ServicePrincipals"].iter())
        .any(|name| child(dir, name).ok().flatten().is_some())
}

/// One object file to read and what it is.
struct Job {
    path: PathBuf,
    file: String,
    route: Route,
}

pub(super) fn read(dir: &Path) -> Result<GraphExport, InputError> {
    let mut jobs = Vec::new();
    let users = child(dir, "Users")?;
    if let Some(users) = &users {
        objects(users, &plain(Kind::Users), &mut jobs)?;
    }
    let groups = child(dir, "Groups")?;
    if let Some(groups) = &groups {
        for (name, g) in subdirs(groups)? {
            json_files(&g, &plain(Kind::Groups), &mut jobs)?;
            for (folder, kind) in [("Members", Kind::Members), ("Owners", Kind::Owners)] {
                if let Some(d) = child(&g, folder)? {
                    objects(&d, &owned(kind, &name), &mut jobs)?;
                }
            }
        }
    }
    let single = [
        (["Organization", "Organization.json"], Kind::Organization),
        (
            ["Directory", "OnPremisesSynchronization.json"],
            Kind::OnPremisesSynchronization,
        ),
    ];
    for ([folder, file], kind) in single {
        if let Some(path) = child(dir, folder)?
            .map(|d| child(&d, file))
            .transpose()?
            .flatten()
        {
            jobs.push(Job {
                file: path.display().to_string(),
                path,
                route: plain(kind),
            });
        }
    }
    if let Some(d) = child(dir, "SubscribedSkus")? {
        objects(&d, &plain(Kind::SubscribedSkus), &mut jobs)?;
    }
    if let Some(d) = child(dir, "RoleManagement")?
        .map(|d| child(&d, "Directory"))
        .transpose()?
    {
        for (folder, kind) in [
            ("RoleDefinitions", Kind::RoleDefinitions),
            ("RoleAssignments", Kind::RoleAssignments),
        ] {
            if let Some(d) = d
                .as_deref()
                .map(|d| child(d, folder))
                .transpose()?
                .flatten()
            {
                objects(&d, &plain(kind), &mut jobs)?;
            }
        }
    }
    if let Some(sps) = child(dir, "ServicePrincipals")? {
        for (name, sp) in subdirs(&sps)? {
            if let Some(d) = child(&sp, "AppRoleAssignedTo")? {
                objects(&d, &owned(Kind::AppRoleAssignments, &name), &mut jobs)?;
            }
        }
    }
    let pages = files::parallel(&jobs, Vec::new, |buf, j| {
        files::read_into(&j.path, &j.file, MAX_EXPORT_FILE_BYTES, buf)?;
        read_object(&j.file, j.route.kind, buf)
    });
    let mut b = Builder::new(dir);
    b.export.entra_exporter = true;
    for (job, page) in jobs.iter().zip(pages) {
        b.add(&job.route, &job.file, page?);
    }
    let mut export = b.finish();
    let root = export.root.clone();
    let warn = |message: String| Warning {
        at: root.clone(),
        message,
    };
    let mut notes = vec![warn(
        "EntraExporter never captures users' managers nor the recycle bin (deleted users and \
         groups): they are not captured here, not empty"
            .to_owned(),
    )];
    if users.is_none() {
        notes.push(warn(
            "no Users folder: EntraExporter exports users only with `-Type Users` or `-All`"
                .to_owned(),
        ));
    } else if !export
        .users
        .iter()
        .any(|u| u.on_premises_sync_enabled == Some(true))
    {
        notes.push(warn(
            "no user has `onPremisesSyncEnabled: true`: this may be a `-CloudUsersAndGroupsOnly` \
             export, which leaves out every synced user and group"
                .to_owned(),
        ));
    }
    if groups.is_none() {
        notes.push(warn(
            "no Groups folder: EntraExporter exports groups and memberships only with `-Type Groups` or `-All`"
                .to_owned(),
        ));
    }
    for g in &export.groups {
        let dynamic = g
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("DynamicMembership"));
        if dynamic && !export.members.contains_key(&g.id) {
            notes.push(Warning {
                at: g.at.file.to_string(),
                message: "a dynamic group: EntraExporter exports no members for it".to_owned(),
            });
        }
    }
    export.warnings.extend(notes);
    Ok(export)
}

fn plain(kind: Kind) -> Route {
    Route {
        kind,
        owner: None,
        expand_manager: false,
    }
}

fn owned(kind: Kind, owner: &str) -> Route {
    Route {
        kind,
        owner: Some(owner.to_ascii_lowercase()),
        expand_manager: false,
    }
}

/// `<dir>/<id>/*.json` for every object folder, in name order.
fn objects(dir: &Path, route: &Route, jobs: &mut Vec<Job>) -> Result<(), InputError> {
    for (_, d) in subdirs(dir)? {
        json_files(&d, route, jobs)?;
    }
    Ok(())
}

/// The `.json` files directly in `dir`, in name order.
fn json_files(dir: &Path, route: &Route, jobs: &mut Vec<Job>) -> Result<(), InputError> {
    for (_, path) in list(dir)? {
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if json && path.is_file() {
            jobs.push(Job {
                file: path.display().to_string(),
                path,
                route: route.clone(),
            });
        }
    }
    Ok(())
}

/// The sub-folders of `dir` with their names, in name order.
fn subdirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, InputError> {
    Ok(list(dir)?.into_iter().filter(|(_, p)| p.is_dir()).collect())
}

/// `dir`'s entries in name order, so that what is read does not depend on the filesystem.
fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, InputError> {
    let shown = || dir.display().to_string();
    let mut out = Vec::new();
    for entry in
        std::fs::read_dir(dir).map_err(|e| file_error(&shown(), format!("cannot list: {e}")))?
    {
        let entry = entry.map_err(|e| file_error(&shown(), format!("cannot list: {e}")))?;
        out.push((
            entry.file_name().to_string_lossy().into_owned(),
            entry.path(),
        ));
    }
    out.sort();
    Ok(out)
}

/// The entry of `dir` named `name`, matched without regard to case (exact case first), as
/// exports copied between systems may change it.
fn child(dir: &Path, name: &str) -> Result<Option<PathBuf>, InputError> {
    let exact = dir.join(name);
    if exact.exists() {
        return Ok(Some(exact));
    }
    if !dir.is_dir() {
        return Ok(None);
    }
    Ok(list(dir)?
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, p)| p))
}
