//! `hysim`: the command line of the hybrid-identity reconciliation simulator.

fn main() {
    println!(
        "hysim {} — {} behaviour rules modelled",
        env!("CARGO_PKG_VERSION"),
        hysim_engine::RuleId::ALL.len()
    );
}
