//! One response body (or one EntraExporter object file) read into hysim's Graph model, without
//! the filesystem: what the reader does for every file and what the fuzzer calls.

use std::borrow::Cow;

use serde::Deserialize;

use super::super::{InputError, Warning};
use super::convert::{app, at, group, lower, organization, role_assignment, sync, to_ref, user};
use super::files::{file_error, utf8};
use super::stream;
use super::{
    AppAssignment, At, GraphGroup, GraphUser, Organization, Ref, RoleAssignment, SyncFeatures, wire,
};

/// What a response body holds, told by the request URL's path (or an EntraExporter folder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `/users`
    Users,
    /// `/directory/deletedItems/microsoft.graph.user`
    DeletedUsers,
    /// `/groups`
    Groups,
    /// `/directory/deletedItems/microsoft.graph.group`
    DeletedGroups,
    /// `/groups/{id}/members`
    Members,
    /// `/groups/{id}/owners`
    Owners,
    /// `/users/{id}/manager`: one object, or 404 for none.
    Manager,
    /// `/users/{id}/appRoleAssignments` and `/servicePrincipals/{id}/appRoleAssignedTo`
    AppRoleAssignments,
    /// `/roleManagement/directory/roleDefinitions`
    RoleDefinitions,
    /// `/roleManagement/directory/roleAssignments`
    RoleAssignments,
    /// `/subscribedSkus`
    SubscribedSkus,
    /// `/organization`
    Organization,
    /// `/directory/onPremisesSynchronization`
    OnPremisesSynchronization,
}

impl Kind {
    /// Every kind, for the tests and the fuzz target that try bodies as each.
    pub const ALL: [Kind; 13] = [
        Kind::Users,
        Kind::DeletedUsers,
        Kind::Groups,
        Kind::DeletedGroups,
        Kind::Members,
        Kind::Owners,
        Kind::Manager,
        Kind::AppRoleAssignments,
        Kind::RoleDefinitions,
        Kind::RoleAssignments,
        Kind::SubscribedSkus,
        Kind::Organization,
        Kind::OnPremisesSynchronization,
    ];
}

/// One body read: its objects, the next page's URL, and what was odd in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub next_link: Option<String>,
    pub items: Items,
    pub warnings: Vec<Warning>,
}

/// The objects of one body, by [`Kind`].
#[derive(Clone, Debug, PartialEq)]
pub enum Items {
    /// Users (live or deleted) and, for those carrying a `manager` key (`$expand=manager`),
    /// `(user id, manager)`, `None` for `"manager": null`.
    Users {
        users: Vec<GraphUser>,
        managers: Vec<(String, Option<Ref>)>,
    },
    Groups(Vec<GraphGroup>),
    /// Members or owners.
    Refs(Vec<Ref>),
    /// `None`: Graph answered 404 `Request_ResourceNotFound`, the user has no manager.
    Manager(Option<Ref>),
    AppAssignments(Vec<AppAssignment>),
    /// `(id, displayName)`.
    RoleDefinitions(Vec<(String, String)>),
    RoleAssignments(Vec<RoleAssignment>),
    /// `(skuId, skuPartNumber)`.
    Skus(Vec<(String, String)>),
    Organizations(Vec<Organization>),
    Sync(Vec<SyncFeatures>),
}

/// Reads one Graph response body saved by a capture, given the HTTP status it came with.
pub fn read_body(file: &str, kind: Kind, status: u16, bytes: &[u8]) -> Result<Page, InputError> {
    read(file, kind, Source::Response(status), &text(file, bytes)?)
}

/// Reads one EntraExporter file: one object without the collection envelope (an array of
/// objects is accepted for the tenant-wide `Organization.json` and `OnPremisesSynchronization.json`).
pub fn read_object(file: &str, kind: Kind, bytes: &[u8]) -> Result<Page, InputError> {
    read(file, kind, Source::Exporter, &text(file, bytes)?)
}

/// The body as text: byte-order marks handled ([`utf8`]) and the UTF-8 checked once for the
/// whole body, which is much faster than serde_json checking every string on its own.
pub(super) fn text<'a>(file: &str, bytes: &'a [u8]) -> Result<Cow<'a, str>, InputError> {
    let invalid = |bytes: &[u8], e: std::str::Utf8Error| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        InputError {
            file: file.to_owned(),
            line: Some(line),
            column: Some(before.len() - start + 1),
            path: None,
            message: "not UTF-8 text".to_owned(),
        }
    };
    match utf8(file, bytes)? {
        Cow::Borrowed(b) => std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|e| invalid(b, e)),
        Cow::Owned(b) => String::from_utf8(b)
            .map(Cow::Owned)
            .map_err(|e| invalid(e.as_bytes(), e.utf8_error())),
    }
}

/// Where a body came from: a saved Graph response (with its HTTP status) or EntraExporter.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Response(u16),
    Exporter,
}

fn read(file: &str, kind: Kind, source: Source, bytes: &str) -> Result<Page, InputError> {
    let mut warnings = Vec::new();
    let (items, next_link) = match kind {
        Kind::Users | Kind::DeletedUsers => {
            let exporter = source == Source::Exporter;
            let deleted = kind == Kind::DeletedUsers;
            let (mut users, mut managers) = (Vec::new(), Vec::new());
            let next = listing(file, source, bytes, false, |at, w| {
                let (u, m) = user(at, w, deleted, exporter, &mut warnings)?;
                if let Some(m) = m {
                    managers.push((u.id.clone(), m));
                }
                users.push(u);
                Ok(())
            })?;
            (Items::Users { users, managers }, next)
        }
        Kind::Groups | Kind::DeletedGroups => {
            let (rows, next) = collect(file, source, bytes, false, |at, w| Ok(group(at, w)))?;
            (Items::Groups(rows), next)
        }
        Kind::Members | Kind::Owners => {
            let (rows, next) = collect(file, source, bytes, false, |at, w| {
                to_ref(at, w, &mut warnings)
            })?;
            (Items::Refs(rows), next)
        }
        Kind::Manager => (
            Items::Manager(manager(file, source, bytes, &mut warnings)?),
            None,
        ),
        Kind::AppRoleAssignments => {
            let (rows, next) = collect(file, source, bytes, false, |at, w| Ok(app(at, w)))?;
            (Items::AppAssignments(rows), next)
        }
        Kind::RoleDefinitions => {
            let (rows, next) =
                collect(file, source, bytes, false, |_, w: wire::RoleDefinition| {
                    Ok((lower(w.id), w.display_name.unwrap_or_default()))
                })?;
            (Items::RoleDefinitions(rows), next)
        }
        Kind::RoleAssignments => {
            let (rows, next) = collect(file, source, bytes, false, role_assignment)?;
            (Items::RoleAssignments(rows), next)
        }
        Kind::SubscribedSkus => {
            let (rows, next) = collect(file, source, bytes, false, |_, w: wire::SubscribedSku| {
                Ok((lower(w.sku_id), w.sku_part_number.unwrap_or_default()))
            })?;
            (Items::Skus(rows), next)
        }
        Kind::Organization => {
            let (rows, next) = collect(file, source, bytes, true, |_, w| Ok(organization(w)))?;
            (Items::Organizations(rows), next)
        }
        Kind::OnPremisesSynchronization => {
            let (rows, next) = collect(file, source, bytes, true, |_, w| Ok(sync(w)))?;
            (Items::Sync(rows), next)
        }
    };
    Ok(Page {
        next_link,
        items,
        warnings,
    })
}

/// [`listing`] into a list, one model object per wire object.
fn collect<'a, T: Deserialize<'a>, M>(
    file: &str,
    source: Source,
    bytes: &'a str,
    array_ok: bool,
    mut f: impl FnMut(At, T) -> Result<M, InputError>,
) -> Result<(Vec<M>, Option<String>), InputError> {
    let mut rows = Vec::new();
    let next = listing(file, source, bytes, array_ok, |at, w| {
        rows.push(f(at, w)?);
        Ok(())
    })?;
    Ok((rows, next))
}

/// Hands each object of a collection response to `row` as it is read, and returns the
/// `@odata.nextLink`; refuses an error body or an error status. For an EntraExporter file, the
/// one object (or, where `array_ok`, each object of a bare array).
fn listing<'a, T: Deserialize<'a>>(
    file: &str,
    source: Source,
    bytes: &'a str,
    array_ok: bool,
    mut row: impl FnMut(At, T) -> Result<(), InputError>,
) -> Result<Option<String>, InputError> {
    let shared: std::sync::Arc<str> = file.into();
    let Source::Response(status) = source else {
        if array_ok && bytes.trim_start().starts_with('[') {
            let rows: Vec<T> = parse(file, bytes)?;
            for (i, w) in rows.into_iter().enumerate() {
                row(at(&shared, format!("[{i}]")), w)?;
            }
        } else {
            row(at(&shared, ".".to_owned()), parse(file, bytes)?)?;
        }
        return Ok(None);
    };
    let envelope = read_stream(file, bytes, |i, w| {
        row(at(&shared, format!("value[{i}]")), w)
    })?;
    if let Some(e) = envelope.error {
        return Err(graph_error(file, status, &e));
    }
    if !(200..300).contains(&status) {
        return Err(file_error(
            file,
            format!("HTTP status {status} without a Graph error body: the capture failed"),
        ));
    }
    if !envelope.has_value {
        return Err(file_error(
            file,
            "no `value` array: not a Graph collection response",
        ));
    }
    Ok(envelope.next_link)
}

/// Reads a collection response object by object ([`stream::Stream`]): a page of 999 users is never
/// held as wire objects, only as what they become.
fn read_stream<'a, T: Deserialize<'a>>(
    file: &str,
    bytes: &'a str,
    row: impl FnMut(usize, T) -> Result<(), InputError>,
) -> Result<stream::End, InputError> {
    let mut state = stream::StreamState::new(row);
    let mut de = serde_json::Deserializer::from_str(bytes);
    let read = serde::de::DeserializeSeed::deserialize(stream::Stream::new(&mut state), &mut de)
        .and_then(|()| de.end());
    if let Some(e) = state.stopped.take() {
        return Err(e);
    }
    match read {
        Ok(()) => Ok(state.end),
        // The typed envelope fails where the stream did: it names the JSON path.
        Err(e) => Err(located::<wire::Envelope<T>>(file, bytes, &e)),
    }
}

/// `/users/{id}/manager`: the manager, or `None` for Graph's 404 `Request_ResourceNotFound`.
fn manager(
    file: &str,
    source: Source,
    bytes: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Option<Ref>, InputError> {
    let o: wire::Object = parse(file, bytes)?;
    let status = match source {
        Source::Response(s) => s,
        Source::Exporter => 200,
    };
    if let Some(e) = &o.error {
        if status == 404 && e.code.as_deref() == Some("Request_ResourceNotFound") {
            return Ok(None);
        }
        return Err(graph_error(file, status, e));
    }
    if !(200..300).contains(&status) {
        return Err(file_error(
            file,
            format!("HTTP status {status} without a Graph error body: the capture failed"),
        ));
    }
    to_ref(at(&file.into(), ".".to_owned()), o, warnings).map(Some)
}

/// Deserializes `T` fast; on a type error, reads again to name the JSON path of the value.
pub(super) fn parse<'a, T: Deserialize<'a>>(file: &str, bytes: &'a str) -> Result<T, InputError> {
    serde_json::from_str(bytes).map_err(|e| located::<T>(file, bytes, &e))
}

/// `e` as an input error with its line and column and, for a type error, the JSON path of the
/// value: found by reading `bytes` again as `T` with the path tracked, which costs nothing
/// until an error is met.
fn located<'a, T: Deserialize<'a>>(
    file: &str,
    bytes: &'a str,
    e: &serde_json::Error,
) -> InputError {
    if e.classify() != serde_json::error::Category::Data {
        return json_error(file, e, None);
    }
    let mut de = serde_json::Deserializer::from_str(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(p) => json_error(file, p.inner(), Some(p.path().to_string())),
        Ok(_) => json_error(file, e, None),
    }
}

fn json_error(file: &str, e: &serde_json::Error, path: Option<String>) -> InputError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let message = match e.classify() {
        serde_json::error::Category::Eof => format!("{message}: the file is truncated"),
        serde_json::error::Category::Syntax => format!("malformed JSON: {message}"),
        _ => message.to_owned(),
    };
    InputError {
        file: file.to_owned(),
        line: (e.line() > 0).then_some(e.line()),
        column: (e.line() > 0).then_some(e.column()),
        path,
        message,
    }
}

fn graph_error(file: &str, status: u16, e: &wire::ErrorBody) -> InputError {
    InputError {
        file: file.to_owned(),
        line: None,
        column: None,
        path: Some("error".to_owned()),
        message: format!(
            "Graph answered HTTP {status} with error `{}`: {}",
            e.code.as_deref().unwrap_or("(no code)"),
            e.message.as_deref().unwrap_or("(no message)")
        ),
    }
}
