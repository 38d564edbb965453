//! VDC-9: the generated runbooks restore a purge in sessions of at most 1,000 users, the most
//! Veeam takes in one restore session.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hysim_engine::Op;
use hysim_engine::generate::{Incident, Tenant, VDC_SESSION_ITEMS};

#[test]
fn vdc_9_generated_restores_are_sessions_of_at_most_1000_users() {
    // 20,000 users: 2,000 purged, so more than one session.
    let tenant = Tenant::generate(20_000, 1, Incident::Purge);
    let sessions: Vec<usize> = tenant
        .restore_ops()
        .iter()
        .map(|op| match op {
            Op::Restore { users, groups, .. } => users.len() + groups.len(),
            other => panic!("not a restore: {other:?}"),
        })
        .collect();
    assert!(sessions.len() > 1, "{sessions:?}");
    assert!(
        sessions.iter().all(|n| *n <= VDC_SESSION_ITEMS),
        "{sessions:?}"
    );
    let yaml = tenant.to_yaml();
    let deleted = yaml
        .lines()
        .find_map(|l| l.strip_prefix("  - delete: {users: ["))
        .map(|l| l.split(']').next().unwrap().split(", ").count())
        .unwrap();
    assert_eq!(sessions.iter().sum::<usize>(), deleted);
    let written: Vec<usize> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("  - restore: {users: ["))
        .map(|l| l.split(']').next().unwrap().split(", ").count())
        .collect();
    assert_eq!(written, sessions);
}
