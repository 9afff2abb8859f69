//! Simulator throughput, in engine events per second (target: ≥ 10 million on this 2-core
//! machine; 10,000 users re-simulated in under 100 ms so the UI can re-run as the map is edited).
//!
//! Group `sim_10k`: every bundled template and a synthetic 1,000-node map, 10,000 users × 1 day
//! on every core, against the same run with pings sent one by one (`exact_pings`).
//!
//! For `spa-hybrid-tokens` and `banking`, 10,000 users × 1 simulated day, on every core
//! (`threads: 0`, what `simulate` runs) and on one thread. Criterion's throughput is the run's
//! `metrics.events` (engine operations: logins, validations, refreshes, ...), so `thrpt` reads as
//! engine events per second, and `time` is the wall time of one whole run (the UI target).
//!
//! Baselines in the same run and group, one operation per iteration (so `thrpt` is operations
//! per second on one thread, directly comparable with the one-thread simulator figure):
//! - `engine_validate_baseline`: the engine's validate-and-touch alone, under the template's own
//!   derived policy (its first runnable flow), 10,000 live sessions, random access — the raw
//!   engine speed the simulator drives;
//! - `hashmap_baseline`: a bare `HashMap<String, _>` lookup-and-update on the same cookie values.
//!
//! The simulator's one-thread `thrpt` divided by `engine_validate_baseline`'s is the fraction
//! of raw engine speed it reaches (the rest goes to scheduling, walking the map, RNG, sweeps,
//! logins and attack scenarios).
//!
//! The default run takes under a minute once built. 1,000,000 users × 1 day takes seconds per
//! run, too slow for it: set `SIM_BENCH_MILLION=1` to add it for `banking` (10 samples of one
//! run each, the fewest criterion allows; about a minute), or
//! `SIM_BENCH_MILLION=banking,spa-hybrid-tokens` to name the templates (any bundled one;
//! `spa-hybrid-tokens` alone takes several minutes). Run only those with
//! `SIM_BENCH_MILLION=1 cargo bench --bench sim -- sim_million`. Peak memory is not measured
//! here: `/usr/bin/time -v target/release/sessionmap simulate templates/banking.ron --users
//! 1000000 --format json > /dev/null` gives it (maximum resident set size).

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::{ChaCha8Rng, ChaCha20Rng};
use sessionmap::compile::{self, Plan};
use sessionmap::engine::{
    AccountSetup, Client, DeviceCategory, DeviceId, LoginRequest, ManualClock, MfaStatus, NoAudit,
    Policy, RememberMe, RequestKind, Role, SessionEngine, Timestamp, UserId,
};
use sessionmap::model::Map;
use sessionmap::sim::{Builder, Control};

const TEMPLATES: [&str; 2] = ["spa-hybrid-tokens", "banking"];
const USERS: u64 = 10_000;
const MILLION: u64 = 1_000_000;
/// Random access order of the baselines (a power of two, for a cheap wrap).
const ACCESSES: usize = 1 << 16;

const CLIENT: Client<'static> = Client {
    ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
    user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
    geo: None,
    device: DeviceId(1),
    category: DeviceCategory::Desktop,
};

fn load(name: &str) -> (Map, Plan) {
    let map = sessionmap::templates::find(name)
        .and_then(|t| t.load().ok())
        .map(|l| l.map)
        .unwrap_or_else(|| panic!("template {name} loads"));
    let plan = compile::compile(&map);
    (map, plan)
}

/// One whole run; returns the engine events it performed.
fn simulate(map: &Map, plan: &Plan, users: u64, threads: usize) -> u64 {
    simulate_with(map, plan, users, threads, false)
}

/// One whole run, with pings one by one when `exact_pings`.
fn simulate_with(map: &Map, plan: &Plan, users: u64, threads: usize, exact_pings: bool) -> u64 {
    Builder {
        users,
        days: 1,
        threads,
        exact_pings,
        ..Builder::default()
    }
    .build(map, plan)
    .expect("population within limits")
    .run(&Control::default())
    .expect("not cancelled")
    .metrics
    .events
}

/// The policy of the template's first flow the engine accepts.
fn first_policy(plan: &Plan) -> Policy {
    plan.flows
        .iter()
        .map(|f| f.policy.clone())
        .find(|p| p.check().is_ok())
        .unwrap_or_default()
}

/// An engine under `policy` with one account and one live session per user; returns the
/// credential values (session ids or access tokens, as the mechanism issues them).
fn populated_engine(policy: Policy) -> (SessionEngine, Vec<String>) {
    let clock = ManualClock::starting_at(Timestamp::from_millis(1_700_000_000_000));
    let mut engine = SessionEngine::new(policy, clock, NoAudit, ChaCha20Rng::seed_from_u64(42))
        .expect("a checked policy");
    let setup = AccountSetup {
        role: Role::USER,
        email_verified: true,
    };
    let credentials = (0..USERS)
        .map(|n| {
            engine.add_account(UserId(n), setup);
            let request = LoginRequest {
                user: UserId(n),
                client: CLIENT,
                mfa: MfaStatus::Passed,
                remember_me: RememberMe::No,
                presented_id: None,
                idp_session: None,
            };
            engine.login(&request).expect("login").credential.value
        })
        .collect();
    (engine, credentials)
}

fn bench_template(c: &mut Criterion, name: &str) {
    let (map, plan) = load(name);
    let events = simulate(&map, &plan, USERS, 0);
    assert!(
        events > 0,
        "{name}: the simulation performed no engine events"
    );
    println!("sim/{name}: {events} engine events for {USERS} users × 1 day");

    let (mut engine, credentials) = populated_engine(first_policy(&plan));
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let order: Vec<u32> = (0..ACCESSES)
        .map(|_| rng.random_range(0..USERS as u32))
        .collect();
    let mut baseline: HashMap<String, (u64, u64)> = credentials
        .iter()
        .enumerate()
        .map(|(i, c)| (c.clone(), (i as u64, 0)))
        .collect();

    let mut group = c.benchmark_group(format!("sim/{name}"));
    // One run is tens to hundreds of milliseconds: few samples, one run each.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(events));
    group.bench_function("10k_users_1_day", |b| {
        b.iter(|| black_box(simulate(&map, &plan, USERS, 0)))
    });
    group.bench_function("10k_users_1_day_1_thread", |b| {
        b.iter(|| black_box(simulate(&map, &plan, USERS, 1)))
    });

    group
        .sample_size(100)
        .sampling_mode(SamplingMode::Auto)
        .measurement_time(Duration::from_secs(3));
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("engine_validate_baseline", |b| {
        b.iter(|| {
            i = (i + 1) & (ACCESSES - 1);
            let credential = &credentials[order[i] as usize];
            let accepted = engine.validate(black_box(credential), &CLIENT, RequestKind::UserAction);
            black_box(accepted.is_ok())
        })
    });
    let mut i = 0usize;
    let mut now = 0u64;
    group.bench_function("hashmap_baseline", |b| {
        b.iter(|| {
            i = (i + 1) & (ACCESSES - 1);
            now += 1;
            let credential = &credentials[order[i] as usize];
            let hit = match baseline.get_mut(black_box(credential.as_str())) {
                Some(entry) => {
                    entry.1 = now;
                    true
                }
                None => false,
            };
            black_box(hit)
        })
    });
    group.finish();
    // The baseline measured accepted validations, not cheap rejections.
    assert!(
        engine
            .validate(&credentials[0], &CLIENT, RequestKind::UserAction)
            .is_ok(),
        "{name}: the validate baseline's sessions must stay valid"
    );
}

fn bench_sim(c: &mut Criterion) {
    for name in TEMPLATES {
        bench_template(c, name);
    }
    bench_every_map(c);
}

/// The live-loop target for every bundled template and a synthetic 1,000-node map (banking
/// copied side by side): 10,000 users × 1 day on every core, with the ping-by-ping run
/// (`exact_pings`, what the simulator did before runs of pings were made in one call) as its
/// baseline. Both runs give the same report (`tests/sim.rs` proves it).
fn bench_every_map(c: &mut Criterion) {
    let (banking, _) = load("banking");
    let synthetic = sessionmap::model::synthetic(&banking, 1_000, 2_000).expect("a banking copy");
    let maps = sessionmap::templates::ALL
        .iter()
        .map(|t| (t.name.to_string(), load(t.name).0))
        .chain([("synthetic-1000-nodes".to_string(), synthetic)]);
    let mut group = c.benchmark_group("sim_10k");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, map) in maps {
        let plan = compile::compile(&map);
        let events = simulate(&map, &plan, USERS, 0);
        group.throughput(Throughput::Elements(events));
        group.bench_function(format!("{name}/runs_of_pings"), |b| {
            b.iter(|| black_box(simulate(&map, &plan, USERS, 0)))
        });
        group.bench_function(format!("{name}/exact_pings_baseline"), |b| {
            b.iter(|| black_box(simulate_with(&map, &plan, USERS, 0, true)))
        });
    }
    group.finish();
}

/// 1M users × 1 day, only when `SIM_BENCH_MILLION` is set (see the module docs).
fn bench_million(c: &mut Criterion) {
    let Ok(which) = std::env::var("SIM_BENCH_MILLION") else {
        return;
    };
    let names: Vec<&str> = match which.trim() {
        "" | "0" => return,
        "1" => vec!["banking"],
        list => list.split(',').map(str::trim).collect(),
    };
    let mut group = c.benchmark_group("sim_million");
    // The fewest samples criterion allows, one run each; it stretches the measurement time.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(1));
    for name in names {
        let (map, plan) = load(name);
        let events = simulate(&map, &plan, MILLION, 0);
        println!("sim_million/{name}: {events} engine events for {MILLION} users × 1 day");
        group.throughput(Throughput::Elements(events));
        group.bench_function(format!("{name}/1M_users_1_day"), |b| {
            b.iter(|| black_box(simulate(&map, &plan, MILLION, 0)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_sim, bench_million);
criterion_main!(benches);
