//! hysim's capture layout: `manifest.json` lists every request URL with its HTTP status and the
//! file holding the body; each response is classified by its URL's path and the pages of a
//! listing are chained by `@odata.nextLink`.

use std::path::{Component, Path};

use rustc_hash::FxHashMap;

use super::super::{InputError, MAX_EXPORT_FILE_BYTES, Warning};
use super::body::{Kind, Page, parse, read_body, text};
use super::files;
use super::{Builder, GraphExport, Route};

/// One manifest entry, with what its URL says it is.
struct Entry {
    url: String,
    status: u16,
    /// The body's path as shown in errors and in [`super::At`].
    file: String,
    route: Option<Route>,
}

/// A body as read on a worker thread, with the kind it was read as.
type Read = Option<(Kind, Result<Page, InputError>)>;

/// Reads the export described by `manifest` (a `manifest.json` in `dir`).
pub(super) fn read(dir: &Path, manifest: &Path) -> Result<GraphExport, InputError> {
    let name = manifest.display().to_string();
    let bytes = files::read(manifest, &name)?;
    let m: super::wire::Manifest = parse(&name, &text(&name, &bytes)?)?;
    let mut b = Builder::new(dir);
    b.export.captured_at = m.captured_at;
    b.export.tenant_id = m.tenant_id.map(|t| t.to_ascii_lowercase());
    let entries = m
        .responses
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            Ok(Entry {
                file: body_path(dir, &name, i, &r.file)?,
                route: classify(&r.url),
                url: r.url,
                status: r.status,
            })
        })
        .collect::<Result<Vec<_>, InputError>>()?;
    let last = last_capture(&entries);
    let superseded: Vec<bool> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| last.get(e.url.as_str()) != Some(&i))
        .collect();
    for (e, _) in entries.iter().zip(&superseded).filter(|(_, s)| **s) {
        b.export.warnings.push(Warning {
            at: e.file.clone(),
            message: format!(
                "`{}` was captured again later in the manifest: the later capture is read",
                e.url
            ),
        });
    }
    let pages = read_pages(&entries, &superseded);
    b.reserve(
        pages
            .iter()
            .flatten()
            .filter_map(|(k, p)| Some((*k, p.as_ref().ok()?))),
    );
    let mut chains = Chains {
        entries: &entries,
        last: &last,
        pages,
        // A superseded capture is never read.
        consumed: superseded,
    };
    let pointed = chains.pointed();
    // Listings from their first page, in manifest order; then pages left over (a loop of
    // `@odata.nextLink`s with no first page), so that nothing captured is dropped unsaid.
    for first_pages_only in [true, false] {
        for i in 0..entries.len() {
            let first = !pointed.get(i).copied().unwrap_or(false);
            if (first || !first_pages_only) && !chains.is_consumed(i) {
                chains.walk(i, &mut b)?;
            }
        }
    }
    Ok(b.finish())
}

/// Reads every body whose URL hysim knows and that no later capture replaces, on a few
/// threads; `None` for the others.
fn read_pages(entries: &[Entry], superseded: &[bool]) -> Vec<Read> {
    let jobs: Vec<(usize, Kind)> = entries
        .iter()
        .enumerate()
        .filter(|&(i, _)| !superseded.get(i).copied().unwrap_or(true))
        .filter_map(|(i, e)| Some((i, e.route.as_ref()?.kind)))
        .collect();
    let read_job = |buf: &mut Vec<u8>, &(i, kind): &(usize, Kind)| {
        (i, kind, entries.get(i).map(|e| read_entry(e, kind, buf)))
    };
    let mut pages: Vec<Read> = entries.iter().map(|_| None).collect();
    for (i, kind, page) in files::parallel(&jobs, Vec::new, read_job) {
        if let (Some(slot), Some(page)) = (pages.get_mut(i), page) {
            *slot = Some((kind, page));
        }
    }
    pages
}

/// The body's path inside the export folder; a path leading out of it is refused.
fn body_path(dir: &Path, manifest: &str, i: usize, file: &str) -> Result<String, InputError> {
    let inside = Path::new(file)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside || file.is_empty() {
        return Err(InputError {
            file: manifest.to_owned(),
            line: None,
            column: None,
            path: Some(format!("responses[{i}].file")),
            message: format!("`{file}` is not a relative path inside the export folder"),
        });
    }
    Ok(dir.join(file).display().to_string())
}

/// URL → the index of its last capture: a URL captured twice (a retried request) is read from
/// its later capture.
fn last_capture(entries: &[Entry]) -> FxHashMap<&str, usize> {
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.url.as_str(), i))
        .collect()
}

fn read_entry(e: &Entry, kind: Kind, buf: &mut Vec<u8>) -> Result<Page, InputError> {
    files::read_into(Path::new(&e.file), &e.file, MAX_EXPORT_FILE_BYTES, buf)?;
    read_body(&e.file, kind, e.status, buf)
}

/// Following `@odata.nextLink` from page to page, each page read once.
struct Chains<'a> {
    entries: &'a [Entry],
    last: &'a FxHashMap<&'a str, usize>,
    /// Each entry's body as read on the worker threads.
    pages: Vec<Read>,
    consumed: Vec<bool>,
}

impl Chains<'_> {
    /// Which entries some page's `@odata.nextLink` names: they are not the first page of a listing.
    fn pointed(&self) -> Vec<bool> {
        let mut pointed = vec![false; self.entries.len()];
        let links = self
            .pages
            .iter()
            .flatten()
            .filter_map(|(_, p)| p.as_ref().ok()?.next_link.as_deref());
        for link in links {
            if let Some(slot) = self.last.get(link).and_then(|&j| pointed.get_mut(j)) {
                *slot = true;
            }
        }
        pointed
    }

    fn is_consumed(&self, i: usize) -> bool {
        self.consumed.get(i).copied().unwrap_or(true)
    }

    /// Reads the listing that starts at entry `first`, page after page, into `b`.
    fn walk(&mut self, first: usize, b: &mut Builder) -> Result<(), InputError> {
        let Some(head) = self.entries.get(first) else {
            return Ok(());
        };
        self.consume(first);
        let Some(route) = head.route.clone() else {
            b.export.warnings.push(Warning {
                at: head.file.clone(),
                message: format!("`{}` is not a request hysim reads: skipped", head.url),
            });
            return Ok(());
        };
        let mut cur = first;
        loop {
            let page = self.page(cur, route.kind)?;
            let next = page.next_link.clone();
            let file = self.entries.get(cur).map_or("", |e| e.file.as_str());
            b.add(&route, file, page);
            let Some(next) = next else { return Ok(()) };
            match self.last.get(next.as_str()) {
                None => {
                    return Err(InputError {
                        file: file.to_owned(),
                        line: None,
                        column: None,
                        path: Some("@odata.nextLink".to_owned()),
                        message:
                            "a broken @odata.nextLink chain: the page it names was not captured"
                                .to_owned(),
                    });
                }
                Some(&j) if self.is_consumed(j) => {
                    b.export.warnings.push(Warning {
                        at: format!("{file}: @odata.nextLink"),
                        message: "names a page already read (a Graph paging loop, a service bug): \
                                  the listing stops here"
                            .to_owned(),
                    });
                    return Ok(());
                }
                Some(&j) => {
                    self.consume(j);
                    cur = j;
                }
            }
        }
    }

    fn consume(&mut self, i: usize) {
        if let Some(c) = self.consumed.get_mut(i) {
            *c = true;
        }
    }

    /// Entry `i`'s body read as `kind`: as read on the workers, or again here when the page
    /// continues a listing of another kind than its own URL says (or none).
    fn page(&mut self, i: usize, kind: Kind) -> Result<Page, InputError> {
        match self.pages.get_mut(i).and_then(Option::take) {
            Some((k, page)) if k == kind => page,
            _ => match self.entries.get(i) {
                Some(e) => read_entry(e, kind, &mut Vec::new()),
                None => Err(files::file_error(
                    "manifest.json",
                    format!("no response {i}"),
                )),
            },
        }
    }
}

/// What a request URL asks for, from its path (the query is ignored but for `$expand=manager`).
pub(super) fn classify(url: &str) -> Option<Route> {
    let (path, query) = split_url(url);
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let mut s: Vec<&str> = segments.iter().map(String::as_str).collect();
    if s.first()
        .is_some_and(|v| v.eq_ignore_ascii_case("v1.0") || v.eq_ignore_ascii_case("beta"))
    {
        s.remove(0);
    }
    let is = |i: usize, name: &str| s.get(i).is_some_and(|v| v.eq_ignore_ascii_case(name));
    let id = |i: usize| s.get(i).map(|v| v.to_ascii_lowercase());
    let route = |kind, owner| {
        Some(Route {
            kind,
            owner,
            expand_manager: false,
        })
    };
    match s.len() {
        1 if is(0, "users") => Some(Route {
            kind: Kind::Users,
            owner: None,
            expand_manager: query.to_ascii_lowercase().contains("expand=manager"),
        }),
        1 if is(0, "groups") => route(Kind::Groups, None),
        1 if is(0, "subscribedSkus") => route(Kind::SubscribedSkus, None),
        1 if is(0, "organization") => route(Kind::Organization, None),
        2 if is(0, "directory") && is(1, "onPremisesSynchronization") => {
            route(Kind::OnPremisesSynchronization, None)
        }
        3 if is(0, "groups") && is(2, "members") => route(Kind::Members, id(1)),
        3 if is(0, "groups") && is(2, "owners") => route(Kind::Owners, id(1)),
        3 if is(0, "users") && is(2, "manager") => route(Kind::Manager, id(1)),
        3 if is(0, "users") && is(2, "appRoleAssignments") => {
            route(Kind::AppRoleAssignments, id(1))
        }
        3 if is(0, "servicePrincipals") && is(2, "appRoleAssignedTo") => {
            route(Kind::AppRoleAssignments, id(1))
        }
        3 if is(0, "roleManagement") && is(1, "directory") && is(2, "roleDefinitions") => {
            route(Kind::RoleDefinitions, None)
        }
        3 if is(0, "roleManagement") && is(1, "directory") && is(2, "roleAssignments") => {
            route(Kind::RoleAssignments, None)
        }
        3 if is(0, "directory") && is(1, "deletedItems") && is(2, "microsoft.graph.user") => {
            route(Kind::DeletedUsers, None)
        }
        3 if is(0, "directory") && is(1, "deletedItems") && is(2, "microsoft.graph.group") => {
            route(Kind::DeletedGroups, None)
        }
        _ => None,
    }
}

/// The URL's path (after `scheme://host`) and its query (`%24` decoded for `$`).
fn split_url(url: &str) -> (&str, String) {
    let rest = match url.split_once("://") {
        Some((_, after)) => after.find('/').and_then(|i| after.get(i..)).unwrap_or(""),
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or("");
    match rest.split_once('?') {
        Some((path, query)) => (path, percent_decode(query)),
        None => (rest, String::new()),
    }
}

/// `%XX` decoded (a UPN's `@` in `/users/{upn}/manager`); an invalid escape is kept as written.
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(v) if b == b'%' => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
